package taxii

import (
	"errors"
	"net/http"
	"strconv"
)

// Sentinel errors; test with errors.Is.
var (
	// ErrInvalidOptions is wrapped by [NewHandler] and [NewClient] errors for a
	// configuration they refuse.
	ErrInvalidOptions = errors.New("taxii: invalid options")
	// ErrNotFound matches an [*Error] with status 404.
	ErrNotFound = errors.New("taxii: not found")
	// ErrUnauthorized matches an [*Error] with status 401.
	ErrUnauthorized = errors.New("taxii: authentication required")
	// ErrForbidden matches an [*Error] with status 403.
	ErrForbidden = errors.New("taxii: forbidden")
	// ErrBadResponse is wrapped by client errors for a response that breaks the standard
	// (wrong media type, malformed JSON, more=true with no way to continue, …).
	ErrBadResponse = errors.New("taxii: malformed response")
)

// Error is the TAXII error resource. The handler writes one for every failed request; the
// client returns one (as *Error, with Status set from the response) for every answer that
// is not a success.
type Error struct {
	// Status is the HTTP status of the response (not serialized; HTTPStatus carries it).
	Status      int    `json:"-"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	ErrorID     string `json:"error_id,omitempty"`
	ErrorCode   string `json:"error_code,omitempty"`
	// HTTPStatus is the status as a string, as the standard defines it.
	HTTPStatus      string            `json:"http_status,omitempty"`
	ExternalDetails string            `json:"external_details,omitempty"`
	Details         map[string]string `json:"details,omitempty"`
}

// Error returns the status, title and description.
func (e *Error) Error() string {
	s := "taxii: " + strconv.Itoa(e.Status) + " " + e.Title
	if e.Description != "" {
		s += ": " + e.Description
	}
	return s
}

// Is reports whether target is the sentinel for e's status: [ErrNotFound] (404),
// [ErrUnauthorized] (401) or [ErrForbidden] (403).
func (e *Error) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized
	case ErrForbidden:
		return e.Status == http.StatusForbidden
	}
	return false
}

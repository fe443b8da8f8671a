package csvfeed

import (
	"errors"
	"fmt"
)

// Sentinel errors, checked with errors.Is.
var (
	// ErrInvalid: a definition, window or option breaks its rules.
	ErrInvalid = errors.New("csvfeed: invalid")
	// ErrNotFound: no feed has the id.
	ErrNotFound = errors.New("csvfeed: no such feed")
	// ErrNotGenerated: the feed exists but the scheduler has not generated it yet.
	ErrNotGenerated = errors.New("csvfeed: feed not generated yet")
)

// FieldError is one problem of a [Definition], at Field: the member in the feed's JSON,
// such as `feed_attributes[2].mappings[0].type`. It wraps [ErrInvalid].
type FieldError struct {
	Field string
	Msg   string
}

// Error returns "csvfeed: " followed by the field and the problem.
func (e *FieldError) Error() string { return "csvfeed: " + e.Field + ": " + e.Msg }

// Unwrap returns [ErrInvalid].
func (e *FieldError) Unwrap() error { return ErrInvalid }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

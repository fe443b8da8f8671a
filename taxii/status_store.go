package taxii

import (
	"context"
	"errors"
	"time"
)

// ErrStatusNotFound is wrapped by [StatusStore.GetStatus] errors for a status that is not
// stored or has expired.
var ErrStatusNotFound = errors.New("taxii: status not found")

// StatusRecord is one kept status resource with what the handler needs to serve it.
type StatusRecord struct {
	// Root is the API root the POST went to ("/api1"); a status id is looked up within its
	// root only.
	Root string
	// Owner identifies who posted; the handler shows the status to that owner only.
	Owner string
	// Expires is when the status stops being served.
	Expires time.Time
	// Status is the resource itself. Its ID is non-empty; its detail lists are bounded
	// by [HandlerOptions.MaxStatusDetails], so a record's size does not grow with the
	// number of objects posted.
	Status Status
}

// StatusStore keeps the status resources of POST requests, so that a status can be
// polled after a restart or on another node. The handler calls PutStatus when a POST
// is accepted (and, with [HandlerOptions.AsyncWrites], again as its objects are
// written) and GetStatus for GET {root}/status/{id}/.
//
// All methods must be safe for concurrent use. A method called with a context that is
// already done returns an error wrapping the context's error. Package taxii/statustest
// checks an implementation against every obligation stated here; [NewMemStatusStore] is
// the in-memory default.
type StatusStore interface {
	// PutStatus stores a copy of rec, replacing the status with the same Root and
	// Status.ID if one is kept. The store may discard a status once it has expired by
	// the store's own clock (time.Now unless it documents another).
	PutStatus(ctx context.Context, rec StatusRecord) error
	// GetStatus returns a copy of the status with the id under root (the caller may
	// modify it), or an error wrapping [ErrStatusNotFound] if none is kept or it has
	// expired (now is at or after its Expires).
	GetStatus(ctx context.Context, root, id string, now time.Time) (StatusRecord, error)
}

// Clone returns a copy of st that shares no slice with it.
func (st Status) Clone() Status {
	st.Successes = cloneDetails(st.Successes)
	st.Failures = cloneDetails(st.Failures)
	st.Pendings = cloneDetails(st.Pendings)
	return st
}

// cloneDetails keeps nil as nil, so that a copy serializes as the original does.
func cloneDetails(d []StatusDetail) []StatusDetail {
	if d == nil {
		return nil
	}
	return append(make([]StatusDetail, 0, len(d)), d...)
}

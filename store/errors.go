package store

import "errors"

// Sentinel errors. Implementations may wrap them; test with errors.Is.
var (
	// ErrNotFound: no object with the id is stored.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict: a different object has the same id and version as a stored one, or a
	// merge target is older than the current version.
	ErrConflict = errors.New("store: conflicting version")
	// ErrGap: the log no longer holds every event after the requested position (retention
	// dropped some); the reader must recover some other way, never skip silently.
	ErrGap = errors.New("store: position is older than the retained log")
	// ErrInvalidCursor: a scan cursor that is malformed or was made for another order or
	// direction.
	ErrInvalidCursor = errors.New("store: invalid cursor")
	// ErrInvalidPosition: a string that is not a log position.
	ErrInvalidPosition = errors.New("store: invalid position")
	// ErrInvalid: an argument breaks a documented precondition (nil object, malformed id,
	// limit out of range, …).
	ErrInvalid = errors.New("store: invalid argument")
)

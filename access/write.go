package access

import (
	"context"
	"errors"

	"github.com/ctifeed/ctifeed/stix"
)

// ErrWriteRefused is wrapped by the errors of [Visibility.CheckWrite]: the writer may not
// make this write.
var ErrWriteRefused = errors.New("access: write refused")

// WriteError is a refused write. Its message names the object written and reads the same
// whatever the reason (the current version is hidden from the writer, the object carries
// markings or grants beyond the writer's clearance, a delete would remove what the writer
// may not see), so that a refusal tells a writer nothing about objects it may not see.
type WriteError struct {
	ID stix.ID
}

// RefusedMessage is the text of every refused write, after the object's id.
const RefusedMessage = "refused: this object is beyond your clearance"

func (e *WriteError) Error() string { return string(e.ID) + ": " + RefusedMessage }

// Unwrap returns [ErrWriteRefused].
func (e *WriteError) Unwrap() error { return ErrWriteRefused }

// Write describes one write to decide with [Visibility.CheckWrite].
type Write struct {
	// Object is the object written (a new object, a new version, or an older version to
	// add to the history); nil for a delete.
	Object *stix.Object
	// Current is the current stored version of the id written or deleted; nil when the id
	// is not stored.
	Current *stix.Object
	// Removed lists the other objects the write removes: for a delete, the relationships
	// and sightings that the store's cascade deletes with it (recursively); for a merge,
	// the sources and their cascades.
	Removed []*stix.Object
}

// CheckWrite decides whether p may make the write w (docs/access.md §4). It returns nil when
// p may, and a [*WriteError] (wrapping [ErrWriteRefused]) when:
//   - p is nil;
//   - w.Object carries markings or granted organizations beyond p's clearance (p could
//     not see it: [Visibility.CanSee]);
//   - w.Current is not something p may receive ([Visibility.Screen]: hidden by markings or
//     organizations, or a relationship or sighting with a stored end hidden from p), so p
//     may neither replace it, add an older version under it, nor delete it;
//   - any object of w.Removed is not something p may receive.
//
// A write of an id that is not stored (w.Current nil) is decided on w.Object alone: a
// writer may create objects within its clearance, relationships to objects it does not
// see included (such a relationship then leaves a feed only to callers who see both
// ends). look resolves the ends of relations among w.Current and w.Removed, as for
// Screen; it is not called when there are none. The host performs the write itself, and
// must keep the check and the write atomic with respect to other writers of the id.
func (v *Visibility) CheckWrite(ctx context.Context, p *Principal, w Write, look Lookup) error {
	id := stix.ID("")
	switch {
	case w.Object != nil:
		id = w.Object.ID()
	case w.Current != nil:
		id = w.Current.ID()
	}
	refused := &WriteError{ID: id}
	if p == nil {
		return refused
	}
	if w.Object != nil && !v.CanSee(p, w.Object) {
		return refused
	}
	var check []*stix.Object
	if w.Current != nil {
		check = append(check, w.Current)
	}
	check = append(check, w.Removed...)
	if len(check) == 0 {
		return nil
	}
	out, err := v.Screen(ctx, p, check, look)
	if err != nil {
		return err
	}
	for i, o := range out {
		if o == nil && check[i] != nil {
			return refused
		}
	}
	return nil
}

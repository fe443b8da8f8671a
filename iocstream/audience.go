package iocstream

import (
	"context"
	"errors"
	"fmt"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/stix"
)

// ErrHidden: a STIX object that some principal of the stream's audience may not receive,
// so it must not become a notification.
var ErrHidden = errors.New("iocstream: object hidden from part of the audience")

// Audience is who reads an IoC stream. A notification is shared by every caller of the
// stream, so the bridge from STIX turns into notifications only the objects that each
// principal of the audience may receive under the access boundary
// ([access.Visibility.Screen]: markings, organizations and, for anything that names other
// objects, those objects too).
type Audience struct {
	// Visibility decides what each principal may see; required.
	Visibility *access.Visibility
	// Principals are the stream's readers (for a public stream, its public principal); at
	// least one is required.
	Principals []*access.Principal
	// Lookup finds the objects the boundary needs beyond the one decided, from the host's
	// store (nil is allowed when the bridged objects name no relationship ends or
	// container contents, as indicators and observables do not).
	Lookup access.Lookup
}

// Shareable reports whether every principal of a may receive o. An error is the Lookup's, or [ErrInvalid] for an incomplete
// Audience.
func (a *Audience) Shareable(ctx context.Context, o *stix.Object) (bool, error) {
	if a == nil || a.Visibility == nil || len(a.Principals) == 0 {
		return false, fmt.Errorf("%w: an audience needs a visibility and at least one principal", ErrInvalid)
	}
	if o == nil {
		return false, nil
	}
	for _, p := range a.Principals {
		out, err := a.Visibility.ScreenOne(ctx, p, o, a.Lookup)
		if err != nil {
			return false, err
		}
		if out == nil {
			return false, nil
		}
	}
	return true, nil
}

// FromSTIXFor is [FromSTIX] for an audience: it returns an error wrapping [ErrHidden], and
// no notification, when some principal of a may not receive o (see [Audience.Shareable]).
func FromSTIXFor(ctx context.Context, a *Audience, o *stix.Object, tmpl *Notification) ([]*Notification, error) {
	ok, err := a.Shareable(ctx, o)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%s: %w", o.ID(), ErrHidden)
	}
	return FromSTIX(o, tmpl)
}

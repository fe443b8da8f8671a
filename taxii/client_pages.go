package taxii

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"slices"

	"github.com/ctifeed/ctifeed/stix"
)

// pageOf is one page of any paged resource as the client reads it.
type pageOf struct {
	More     bool              `json:"more"`
	Next     string            `json:"next"`
	Objects  []json.RawMessage `json:"objects"`
	Versions []string          `json:"versions"`
}

// pages fetches u with q and then every following page: with `next` when the server gives
// one, otherwise (a server that says more but gives no next) with added_after set to the
// X-TAXII-Date-Added-Last of the page. Once it yields an error it stops.
//
// A server whose paging would loop forever is stopped with an error wrapping
// ErrBadResponse (see pagingCheck).
func (c *Client) pages(ctx context.Context, u string, q *Query) iter.Seq2[*pageOf, error] {
	return func(yield func(*pageOf, error) bool) {
		vals := q.values()
		pc := pagingCheck{url: u, seen: map[string]int{}}
		for {
			var p pageOf
			hdr, err := c.do(ctx, http.MethodGet, u, vals, nil, &p)
			if err != nil {
				yield(nil, err)
				return
			}
			if err := pc.check(&p); err != nil {
				yield(nil, err)
				return
			}
			if !yield(&p, nil) || !p.More {
				return
			}
			if p.Next != "" {
				vals.Set("next", p.Next)
				continue
			}
			last := hdr.Get("X-TAXII-Date-Added-Last")
			if last == "" || last == vals.Get("added_after") {
				yield(nil, fmt.Errorf("%w: more=true without next or a new X-TAXII-Date-Added-Last", ErrBadResponse))
				return
			}
			vals.Del("next")
			vals.Set("added_after", last)
		}
	}
}

// Objects returns every object of a collection that q selects, across pages. Once the
// iterator yields a non-nil error it stops; objects already yielded stay valid.
func (c *Client) Objects(ctx context.Context, root, collection string, q *Query) iter.Seq2[*stix.Object, error] {
	return c.objects(ctx, q, root, "collections", collection, "objects")
}

// Object returns the versions of one object that q selects (nil: the latest), across
// pages.
func (c *Client) Object(ctx context.Context, root, collection string, id stix.ID, q *Query) ([]*stix.Object, error) {
	var out []*stix.Object
	for o, err := range c.objects(ctx, q, root, "collections", collection, "objects", string(id)) {
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

func (c *Client) objects(ctx context.Context, q *Query, root string, segments ...string) iter.Seq2[*stix.Object, error] {
	return func(yield func(*stix.Object, error) bool) {
		u, err := c.endpoint(root, segments...)
		if err != nil {
			yield(nil, err)
			return
		}
		for p, err := range c.pages(ctx, u, q) {
			if err != nil {
				yield(nil, err)
				return
			}
			for _, raw := range p.Objects {
				o, err := stix.Parse(raw)
				if err != nil {
					yield(nil, fmt.Errorf("%w: %w", ErrBadResponse, err))
					return
				}
				if !yield(o, nil) {
					return
				}
			}
		}
	}
}

// Manifest returns the manifest records of a collection that q selects, across pages.
func (c *Client) Manifest(ctx context.Context, root, collection string, q *Query) iter.Seq2[ManifestRecord, error] {
	return func(yield func(ManifestRecord, error) bool) {
		u, err := c.endpoint(root, "collections", collection, "manifest")
		if err != nil {
			yield(ManifestRecord{}, err)
			return
		}
		for p, err := range c.pages(ctx, u, q) {
			if err != nil {
				yield(ManifestRecord{}, err)
				return
			}
			for _, raw := range p.Objects {
				var m ManifestRecord
				if err := json.Unmarshal(raw, &m); err != nil {
					yield(ManifestRecord{}, fmt.Errorf("%w: manifest record: %w", ErrBadResponse, err))
					return
				}
				if !yield(m, nil) {
					return
				}
			}
		}
	}
}

// Versions returns the versions of an object (as the server writes them), across pages.
func (c *Client) Versions(ctx context.Context, root, collection string, id stix.ID, q *Query) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		u, err := c.endpoint(root, "collections", collection, "objects", string(id), "versions")
		if err != nil {
			yield("", err)
			return
		}
		for p, err := range c.pages(ctx, u, q) {
			if err != nil {
				yield("", err)
				return
			}
			for _, v := range p.Versions {
				if !yield(v, nil) {
					return
				}
			}
		}
	}
}

// resolveBatch is how many ids one match[id] request of ResolveMissing asks for, which
// keeps URLs well under common limits.
const resolveBatch = 40

// ResolveMissing fetches from a collection the objects that objs reference (any _ref or
// _refs, at any depth) but do not contain, then what those reference, until nothing new
// is referenced. TAXII serves each object on its own, so a client that wants a consistent
// graph must close it itself. It returns the objects found, in the order fetched, and the
// referenced ids the collection did not have (sorted), such as marking definitions
// the server does not list.
func (c *Client) ResolveMissing(ctx context.Context, root, collection string, objs []*stix.Object) (found []*stix.Object, missing []stix.ID, err error) {
	have := make(map[stix.ID]bool, len(objs))
	for _, o := range objs {
		have[o.ID()] = true
	}
	var want []stix.ID
	note := func(o *stix.Object) {
		for _, id := range o.RefIDs() {
			if !have[id] {
				have[id] = true
				want = append(want, id)
			}
		}
	}
	for _, o := range objs {
		note(o)
	}
	got := map[stix.ID]bool{}
	var asked []stix.ID
	for len(want) > 0 {
		batch := want[:min(resolveBatch, len(want))]
		want = want[len(batch):]
		asked = append(asked, batch...)
		for o, err := range c.Objects(ctx, root, collection, &Query{IDs: batch}) {
			if err != nil {
				return found, nil, err
			}
			if !got[o.ID()] {
				got[o.ID()] = true
				found = append(found, o)
				note(o)
			}
		}
	}
	for _, id := range asked {
		if !got[id] {
			missing = append(missing, id)
		}
	}
	slices.Sort(missing)
	return found, missing, nil
}

package taxii_test

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/taxii"
)

// TestObjectPathAgreesWithMatchID guards issue 23 item 4: GET {collection}/objects/{id}/
// ignored added_after and the hold-back horizon, while objects/?match[id]= honoured both.
// For every added_after around the object's date_added, and for an object stored in the
// current millisecond, both answer the same objects, and so do the object's versions.
func TestObjectPathAgreesWithMatchID(t *testing.T) {
	f := newFixture(t, nil)
	coll := "/api1/collections/" + collPublic + "/objects/"
	idC := string(idIndC)
	addedC := t0.Add(5 * time.Minute) // the fixture stores idIndC sixth, a minute apart
	cases := []struct {
		name, after string
		want        int
	}{
		{"no added_after", "", 1},
		{"added_after before", taxii.FormatTime(addedC.Add(-time.Microsecond)), 1},
		{"added_after equal", taxii.FormatTime(addedC), 0},
		{"added_after later", taxii.FormatTime(addedC.Add(time.Minute)), 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := ""
			if c.after != "" {
				q = "added_after=" + url.QueryEscape(c.after)
			}
			byPath, _ := getEnvelope(t, f.h, coll+idC+"/?"+q)
			byMatch, _ := getEnvelope(t, f.h, coll+"?match[id]="+idC+"&"+q)
			if len(byPath.Objects) != c.want || !slices.Equal(rawStrings(byPath.Objects), rawStrings(byMatch.Objects)) {
				t.Errorf("objects/{id}/ gave %d objects, match[id] %d, want %d", len(byPath.Objects), len(byMatch.Objects), c.want)
			}
			var versions struct{ Versions []string }
			rec := send(f.h, exchange{method: "GET", target: coll + idC + "/versions/?" + q})
			if err := json.Unmarshal(rec.Body.Bytes(), &versions); err != nil || len(versions.Versions) != c.want {
				t.Errorf("versions: %d %s, want %d versions", rec.Code, rec.Body, c.want)
			}
		})
	}
	t.Run("held back in the current millisecond", func(t *testing.T) {
		f := newFixture(t, nil)
		f.clock.set(t0.Add(2 * time.Hour))
		o := newIndicator(1, t0)
		if _, _, err := f.store.Put(context.Background(), o); err != nil {
			t.Fatal(err)
		}
		f.clock.set(t0.Add(2 * time.Hour)) // the handler reads the same millisecond
		byPath, _ := getEnvelope(t, f.h, coll+string(o.ID())+"/")
		byMatch, _ := getEnvelope(t, f.h, coll+"?match[id]="+string(o.ID()))
		if len(byPath.Objects) != 0 || len(byMatch.Objects) != 0 {
			t.Errorf("an object of the current millisecond: objects/{id}/ gave %d, match[id] %d, want both held back",
				len(byPath.Objects), len(byMatch.Objects))
		}
	})
}

package taxii_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store/memstore"
	"github.com/ctifeed/ctifeed/taxii"
)

type envelopeJSON struct {
	More    bool              `json:"more"`
	Next    string            `json:"next"`
	Objects []json.RawMessage `json:"objects"`
}

func getEnvelope(t *testing.T, h http.Handler, target string) (envelopeJSON, http.Header) {
	t.Helper()
	rec := send(h, exchange{method: "GET", target: target})
	var env envelopeJSON
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &env) != nil {
		t.Fatalf("GET %s: %d %s", target, rec.Code, rec.Body)
	}
	return env, rec.Header()
}

// While one goroutine inserts objects with random ids (so that, within a millisecond,
// new ids sort before and after the position already served), a client pages through the
// collection following next, then polls once with added_after after the inserts stop.
// Every object must arrive exactly once: none skipped, none repeated.
func TestPagingWhileInserting(t *testing.T) {
	ctx := context.Background()
	s := memstore.New(nil) // the real clock: many writes share a millisecond
	const initial, inserted = 500, 2000
	all := make(map[stix.ID]bool, initial+inserted)
	newObj := func() *stix.Object {
		at := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
		o := must(stix.NewIndicator("x", "[ipv4-addr:value = '192.0.2.1']", at, stix.Common{ID: stix.ID("indicator--" + uuid.NewString()), Created: at}))
		return o
	}
	var mu sync.Mutex
	for range initial {
		o := newObj()
		all[o.ID()] = true
		if _, _, err := s.Put(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	opts := fixtureOptions(s, &stepClock{})
	opts.Clock = nil // real time, as the store's
	h, err := taxii.NewHandler(opts)
	if err != nil {
		t.Fatal(err)
	}

	var insertsDone atomic.Bool
	var wg sync.WaitGroup
	wg.Go(func() {
		defer insertsDone.Store(true)
		for range inserted {
			o := newObj()
			mu.Lock()
			all[o.ID()] = true
			mu.Unlock()
			if _, _, err := s.Put(ctx, o); err != nil {
				t.Error(err)
				return
			}
		}
	})

	got := map[stix.ID]int{}
	take := func(env envelopeJSON) {
		for _, raw := range env.Objects {
			got[must(stix.Parse(raw)).ID()]++
		}
	}
	base := objs + "?limit=37"
	q, last, pages := base, "", 0
	target := q
	for {
		env, hdr := getEnvelope(t, h, target)
		take(env)
		pages++
		if v := hdr.Get("X-TAXII-Date-Added-Last"); v != "" {
			last = v
		}
		if env.More {
			target = q + "&next=" + url.QueryEscape(env.Next)
			continue
		}
		if !insertsDone.Load() {
			// Caught up with the writer: poll on from the last date_added, as a client does.
			q = base + "&added_after=" + url.QueryEscape(last)
			target = q
			continue
		}
		break
	}
	wg.Wait()
	time.Sleep(2 * time.Millisecond) // past the horizon of the last write
	q = base + "&added_after=" + url.QueryEscape(last)
	target = q
	for {
		env, hdr := getEnvelope(t, h, target)
		take(env)
		if v := hdr.Get("X-TAXII-Date-Added-Last"); v != "" {
			last = v
		}
		if !env.More {
			break
		}
		target = q + "&next=" + url.QueryEscape(env.Next)
	}
	for id, n := range got {
		if n != 1 {
			t.Errorf("%s served %d times", id, n)
		}
		if !all[id] {
			t.Errorf("%s served but never stored", id)
		}
	}
	missing := 0
	for id := range all {
		if got[id] == 0 {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d objects never served", missing, len(all))
	}
	t.Logf("%d objects in %d pages", len(got), pages)
}

// A next token is signed: changing any one character of it is refused with 400 naming
// next, and the unchanged token is accepted (replayable: twice, with the same answer).
func TestNextTampered(t *testing.T) {
	f := newFixture(t, nil)
	env, _ := getEnvelope(t, f.h, objs+"?limit=2")
	first, _ := getEnvelope(t, f.h, objs+"?limit=2&next="+url.QueryEscape(env.Next))
	again, _ := getEnvelope(t, f.h, objs+"?limit=2&next="+url.QueryEscape(env.Next))
	if fmt.Sprint(first) != fmt.Sprint(again) {
		t.Errorf("a replayed next gave another page:\n%v\n%v", first, again)
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := range len(env.Next) {
		for _, c := range []byte{alphabet[(indexOf(alphabet, env.Next[i])+1)%64], alphabet[(indexOf(alphabet, env.Next[i])+32)%64]} {
			bad := env.Next[:i] + string(c) + env.Next[i+1:]
			rec := send(f.h, exchange{method: "GET", target: objs + "?limit=2&next=" + url.QueryEscape(bad)})
			if rec.Code != http.StatusBadRequest || !json.Valid(rec.Body.Bytes()) || !contains(rec.Body.String(), `"parameter":"next"`) {
				t.Fatalf("next with byte %d changed to %q: %d %s", i, c, rec.Code, rec.Body)
			}
		}
	}
	for _, bad := range []string{env.Next[:len(env.Next)-1], env.Next + "A", "", "%00", env.Next + "\n"} {
		rec := send(f.h, exchange{method: "GET", target: objs + "?limit=2&next=" + url.QueryEscape(bad)})
		if rec.Code != http.StatusBadRequest {
			t.Errorf("next %q: %d, want 400", bad, rec.Code)
		}
	}
}

// A next token is bound to its query: every change of filter, endpoint, collection or
// added_after is refused; a different limit is not a different query.
func TestNextReusedWithOtherQuery(t *testing.T) {
	f := newFixture(t, nil)
	env, _ := getEnvelope(t, f.h, objs+"?limit=2&match[version]=last")
	tok := "&next=" + url.QueryEscape(env.Next)
	for _, tc := range []struct {
		target string
		want   int
	}{
		{objs + "?limit=3&match[version]=last" + tok, http.StatusOK},
		{objs + "?limit=2" + tok, http.StatusOK}, // last is the default: the same query
		{objs + "?limit=2&match[version]=all" + tok, http.StatusBadRequest},
		{objs + "?limit=2&match[type]=indicator" + tok, http.StatusBadRequest},
		{objs + "?limit=2&match[id]=" + string(idOrg) + tok, http.StatusBadRequest},
		{objs + "?limit=2&match[spec_version]=2.1" + tok, http.StatusBadRequest},
		{objs + "?limit=2&added_after=2024-01-01T00:00:00Z" + tok, http.StatusBadRequest},
		{manifest + "?limit=2" + tok, http.StatusBadRequest},
		{"/api1/collections/indicators/objects/?limit=2" + tok, http.StatusBadRequest},
	} {
		ex := exchange{method: "GET", target: tc.target, user: "reader"}
		if rec := send(f.h, ex); rec.Code != tc.want {
			t.Errorf("%s: %d, want %d: %s", tc.target, rec.Code, tc.want, rec.Body)
		}
	}
}

// A page never holds more than limit objects and more is exact, whatever the limit and
// however many versions an object has: walking all pages gives every version once.
func TestPagesExactAtEveryLimit(t *testing.T) {
	f := newFixture(t, nil)
	full, _ := getEnvelope(t, f.h, objs+"?match[version]=all&limit=1000")
	for limit := 1; limit <= len(full.Objects)+1; limit++ {
		base := fmt.Sprintf("%s?match[version]=all&limit=%d", objs, limit)
		var got []string
		target := base
		for {
			env, _ := getEnvelope(t, f.h, target)
			if len(env.Objects) > limit || len(env.Objects) == 0 && env.More {
				t.Fatalf("limit %d: %d objects, more=%t", limit, len(env.Objects), env.More)
			}
			for _, o := range env.Objects {
				got = append(got, string(o))
			}
			if !env.More {
				break
			}
			target = base + "&next=" + url.QueryEscape(env.Next)
		}
		if fmt.Sprint(got) != fmt.Sprint(rawStrings(full.Objects)) {
			t.Errorf("limit %d: pages joined differ from one page:\n%d vs %d objects", limit, len(got), len(full.Objects))
		}
	}
}

func rawStrings(rs []json.RawMessage) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return out
}

func indexOf(s string, c byte) int {
	for i := range len(s) {
		if s[i] == c {
			return i
		}
	}
	return -1
}

func contains(s, sub string) bool {
	return len(sub) == 0 || len(s) >= len(sub) && (s[:len(sub)] == sub || contains(s[1:], sub))
}

package statustest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/taxii"
)

// NewStore returns a fresh, empty status store; it may register cleanups with t.
type NewStore func(t *testing.T) taxii.StatusStore

// Run runs the conformance suite.
func Run(t *testing.T, newStore NewStore) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s taxii.StatusStore)
	}{
		{"PutThenGet", testPutThenGet},
		{"GetMissingIsNotFound", testGetMissing},
		{"ExpiredIsNotFound", testExpired},
		{"PutReplaces", testReplace},
		{"RootsAreSeparate", testRoots},
		{"CopiesAreIndependent", testCopies},
		{"BoundedStatusRoundTrips", testLarge},
		{"CancelledContext", testCancelled},
		{"Concurrent", testConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			if s == nil {
				t.Fatal("newStore returned nil")
			}
			tc.fn(t, s)
		})
	}
}

// epoch is the suite's "now", whole microseconds: the real time when the package
// initialised, since a store may discard expired statuses by its own clock.
var epoch = time.Now().UTC().Truncate(time.Microsecond)

// Record returns a pending status with one detail of each kind, kept under root until
// an hour after the suite started.
func Record(root, id string) taxii.StatusRecord {
	return taxii.StatusRecord{Root: root, Owner: "u:alice", Expires: epoch.Add(time.Hour),
		Status: taxii.Status{ID: id, Status: taxii.StatusPending, RequestTimestamp: "2024-05-01T10:00:00.123456Z",
			TotalCount: 3, SuccessCount: 1, FailureCount: 1, PendingCount: 1,
			Successes: []taxii.StatusDetail{{ID: "indicator--0b0b0b0b-0b0b-4b0b-8b0b-0b0b0b0b0b0b", Version: "2024-01-01T00:00:00.000Z"}},
			Failures:  []taxii.StatusDetail{{ID: "malware--1c1c1c1c-1c1c-4c1c-8c1c-1c1c1c1c1c1c", Message: "the object does not match the collection's filters"}},
			Pendings:  []taxii.StatusDetail{{ID: "report--2d2d2d2d-2d2d-4d2d-8d2d-2d2d2d2d2d2d"}},
		}}
}

func put(t *testing.T, s taxii.StatusStore, rec taxii.StatusRecord) {
	t.Helper()
	if err := s.PutStatus(context.Background(), rec); err != nil {
		t.Fatalf("PutStatus(%s %s): %v", rec.Root, rec.Status.ID, err)
	}
}

// check reports how got differs from want (Expires compared as instants).
func check(t *testing.T, what string, got, want taxii.StatusRecord) {
	t.Helper()
	if !got.Expires.Equal(want.Expires) {
		t.Errorf("%s: Expires = %v, want %v", what, got.Expires, want.Expires)
	}
	got.Expires, want.Expires = time.Time{}, time.Time{}
	if !reflect.DeepEqual(normal(got), normal(want)) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// normal makes empty detail lists nil: the JSON form omits both alike, so a store need
// not tell them apart.
func normal(r taxii.StatusRecord) taxii.StatusRecord {
	for _, l := range []*[]taxii.StatusDetail{&r.Status.Successes, &r.Status.Failures, &r.Status.Pendings} {
		if len(*l) == 0 {
			*l = nil
		}
	}
	return r
}

func get(t *testing.T, s taxii.StatusStore, root, id string, now time.Time) (taxii.StatusRecord, error) {
	t.Helper()
	return s.GetStatus(context.Background(), root, id, now)
}

func testPutThenGet(t *testing.T, s taxii.StatusStore) {
	want := Record("/api1", "s1")
	put(t, s, want)
	got, err := get(t, s, "/api1", "s1", epoch)
	if err != nil {
		t.Fatalf("GetStatus: %v", err)
	}
	check(t, "GetStatus after PutStatus", got, Record("/api1", "s1"))
}

func testGetMissing(t *testing.T, s taxii.StatusStore) {
	put(t, s, Record("/api1", "s1"))
	for _, id := range []string{"s2", "", "S1", "s1 "} {
		if _, err := get(t, s, "/api1", id, epoch); !errors.Is(err, taxii.ErrStatusNotFound) {
			t.Errorf("GetStatus(%q) of a status never stored: %v, want ErrStatusNotFound", id, err)
		}
	}
}

func testExpired(t *testing.T, s taxii.StatusStore) {
	rec := Record("/api1", "s1")
	put(t, s, rec)
	if _, err := get(t, s, "/api1", "s1", rec.Expires.Add(-time.Microsecond)); err != nil {
		t.Errorf("a microsecond before it expires: %v", err)
	}
	for _, now := range []time.Time{rec.Expires, rec.Expires.Add(time.Hour)} {
		if _, err := get(t, s, "/api1", "s1", now); !errors.Is(err, taxii.ErrStatusNotFound) {
			t.Errorf("at %v (expires %v): %v, want ErrStatusNotFound", now, rec.Expires, err)
		}
	}
}

func testReplace(t *testing.T, s taxii.StatusStore) {
	put(t, s, Record("/api1", "s1"))
	done := Record("/api1", "s1")
	done.Status.Status, done.Status.PendingCount, done.Status.SuccessCount = taxii.StatusComplete, 0, 2
	done.Status.Pendings = nil
	done.Status.Successes = append(done.Status.Successes, taxii.StatusDetail{ID: "report--2d2d2d2d-2d2d-4d2d-8d2d-2d2d2d2d2d2d"})
	done.Expires = epoch.Add(2 * time.Hour)
	put(t, s, done)
	got, err := get(t, s, "/api1", "s1", epoch.Add(90*time.Minute))
	if err != nil {
		t.Fatalf("GetStatus after a replacement that expires later: %v", err)
	}
	check(t, "GetStatus after a replacement", got, done)
}

func testRoots(t *testing.T, s taxii.StatusStore) {
	a, b := Record("/api1", "s1"), Record("/api2", "s1")
	b.Owner, b.Status.TotalCount, b.Status.PendingCount = "u:bob", 2, 0
	put(t, s, a)
	put(t, s, b)
	for _, want := range []taxii.StatusRecord{a, b} {
		got, err := get(t, s, want.Root, "s1", epoch)
		if err != nil {
			t.Errorf("GetStatus(%s, s1): %v", want.Root, err)
			continue
		}
		check(t, "GetStatus("+want.Root+")", got, want)
	}
	if _, err := get(t, s, "/api3", "s1", epoch); !errors.Is(err, taxii.ErrStatusNotFound) {
		t.Errorf("GetStatus under a root it was not stored under: %v, want ErrStatusNotFound", err)
	}
}

func testCopies(t *testing.T, s taxii.StatusStore) {
	in := Record("/api1", "s1")
	put(t, s, in)
	in.Status.Successes[0].ID = "changed by the caller after PutStatus"
	got, err := get(t, s, "/api1", "s1", epoch)
	if err != nil {
		t.Fatal(err)
	}
	check(t, "after the caller changed what it put", got, Record("/api1", "s1"))
	got.Status.Failures[0].Message = "changed by the caller after GetStatus"
	again, err := get(t, s, "/api1", "s1", epoch)
	if err != nil {
		t.Fatal(err)
	}
	check(t, "after the caller changed what it got", again, Record("/api1", "s1"))
}

// testLarge stores a status at the handler's default cap of details per list, with text
// that must survive byte for byte.
func testLarge(t *testing.T, s taxii.StatusStore) {
	rec := Record("/api/v1", "9b5b7b0e-4a87-4b51-9c0e-0a7c2f8f0d11")
	rec.Status.Successes, rec.Status.Failures, rec.Status.Pendings = nil, nil, nil
	for i := range taxii.DefaultMaxStatusDetails {
		id := fmt.Sprintf("indicator--%08d-0b0b-4b0b-8b0b-0b0b0b0b0b0b", i)
		rec.Status.Successes = append(rec.Status.Successes, taxii.StatusDetail{ID: id, Version: "2024-01-01T00:00:00.000Z", Message: "already stored (a duplicate or an older version)"})
		rec.Status.Failures = append(rec.Status.Failures, taxii.StatusDetail{ID: id, Message: "invalid: «name» has \"quotes\", a\ttab and \u2028"})
		rec.Status.Pendings = append(rec.Status.Pendings, taxii.StatusDetail{ID: id})
	}
	n := taxii.DefaultMaxStatusDetails * 10
	rec.Status.TotalCount, rec.Status.SuccessCount, rec.Status.FailureCount, rec.Status.PendingCount = 3*n, n, n, n
	put(t, s, rec)
	got, err := get(t, s, rec.Root, rec.Status.ID, epoch)
	if err != nil {
		t.Fatal(err)
	}
	check(t, "a status with full detail lists", got, rec)
}

func testCancelled(t *testing.T, s taxii.StatusStore) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.PutStatus(ctx, Record("/api1", "s1")); !errors.Is(err, context.Canceled) {
		t.Errorf("PutStatus with a cancelled context: %v, want context.Canceled", err)
	}
	if _, err := get(t, s, "/api1", "s1", epoch); !errors.Is(err, taxii.ErrStatusNotFound) {
		t.Errorf("a PutStatus with a cancelled context stored something: %v", err)
	}
	put(t, s, Record("/api1", "s1"))
	if _, err := s.GetStatus(ctx, "/api1", "s1", epoch); !errors.Is(err, context.Canceled) {
		t.Errorf("GetStatus with a cancelled context: %v, want context.Canceled", err)
	}
}

// testConcurrent puts and polls from several goroutines, as POSTs and their pollers do.
func testConcurrent(t *testing.T, s taxii.StatusStore) {
	const writers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers*each*2)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				rec := Record("/api1", fmt.Sprintf("w%d-%d", w, i))
				if err := s.PutStatus(context.Background(), rec); err != nil {
					errs <- err
					continue
				}
				rec.Status.Status, rec.Status.PendingCount, rec.Status.SuccessCount = taxii.StatusComplete, 0, 2
				if err := s.PutStatus(context.Background(), rec); err != nil {
					errs <- err
				}
				if _, err := s.GetStatus(context.Background(), "/api1", fmt.Sprintf("w%d-%d", (w+1)%writers, i), epoch); err != nil && !errors.Is(err, taxii.ErrStatusNotFound) {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent use: %v", err)
	}
	for w := range writers {
		for i := range each {
			got, err := get(t, s, "/api1", fmt.Sprintf("w%d-%d", w, i), epoch)
			if err != nil {
				t.Errorf("status w%d-%d after concurrent writes: %v", w, i, err)
				continue
			}
			if got.Status.Status != taxii.StatusComplete || got.Status.SuccessCount != 2 {
				t.Errorf("status w%d-%d: the later PutStatus is not the one kept: %+v", w, i, got.Status)
			}
		}
	}
}

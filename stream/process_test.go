package stream_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/memstore"
	"github.com/ctifeed/ctifeed/stream"
)

var errBroken = errors.New("broken store")

// failingStore fails every look-up once armed.
type failingStore struct {
	*memstore.Store
	armed bool
}

func (f *failingStore) GetMany(ctx context.Context, ids []stix.ID) (map[stix.ID]store.Record, error) {
	if f.armed {
		return nil, errBroken
	}
	return f.Store.GetMany(ctx, ids)
}

func (f *failingStore) RelationsOf(ctx context.Context, id stix.ID) ([]store.Record, error) {
	if f.armed {
		return nil, errBroken
	}
	return f.Store.RelationsOf(ctx, id)
}

func (f *failingStore) GetManyAt(ctx context.Context, at store.Position, ids []stix.ID) (map[stix.ID]store.Record, error) {
	if f.armed {
		return nil, errBroken
	}
	return f.Store.GetManyAt(ctx, at, ids)
}

func (f *failingStore) RelationsOfAt(ctx context.Context, at store.Position, id stix.ID) ([]store.Record, error) {
	if f.armed {
		return nil, errBroken
	}
	return f.Store.RelationsOfAt(ctx, at, id)
}

func (f *failingStore) Scan(ctx context.Context, opts store.ScanOptions) (store.Page, error) {
	if f.armed {
		return store.Page{}, errBroken
	}
	return f.Store.Scan(ctx, opts)
}

func newSub(t *testing.T, src store.History, filters string, o stream.Options) *stream.Subscriber {
	t.Helper()
	vis, _ := access.NewVisibility(nil)
	def := stream.Definition{ID: "s"}
	if filters != "" {
		def.Filters = mustGroup(t, filters)
	}
	s, err := stream.NewSubscriber(src, def, stream.SubscriberOptions{Principal: analyst(), Visibility: vis, Options: o})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Store errors reach the caller wrapped, never as a partial group.
func TestProcessStoreErrors(t *testing.T) {
	ctx := context.Background()
	fs := &failingStore{Store: memstore.New(nil)}
	mal := malware(t, 1, "Emotet", common("malware", 1, ""))
	ind := indicator(t, 1, "Emotet C2", common("indicator", 1, "", stix.TLPGreen))
	fs.Put(ctx, tlp(stix.TLPGreen))
	fs.Put(ctx, mal)
	fs.Put(ctx, relationship(t, 1, "indicates", ind.ID(), mal.ID(), common("relationship", 1, "")))
	ev, _, _ := fs.Put(ctx, ind)
	s := newSub(t, fs, "entity_type = Indicator", stream.Options{})
	fs.armed = true
	msgs, err := s.Process(ctx, ev)
	if !errors.Is(err, errBroken) || msgs != nil {
		t.Errorf("Process on a failing store: %v, %d messages", err, len(msgs))
	}
	if _, err := s.Recover(ctx, fs, time.Time{}, time.Time{}, ev.Pos); !errors.Is(err, errBroken) {
		t.Errorf("Recover on a failing store: %v", err)
	}
	fs.armed = false
	msgs, err = s.Process(ctx, ev)
	if err != nil || len(msgs) != 4 {
		t.Errorf("after the store recovers, the event gives %d messages, %v; want 4 (marking, malware, indicator, relationship)", len(msgs), err)
	}
}

// Bad input gives an error or nothing, never a panic.
func TestProcessBadEvents(t *testing.T) {
	ctx := context.Background()
	s := newSub(t, memstore.New(nil), "", stream.Options{})
	ind := indicator(t, 1, "x", common("indicator", 1, ""))
	for _, tc := range []struct {
		rule    string
		ev      store.Event
		wantErr error
	}{
		{"the zero event is of unknown kind", store.Event{}, stream.ErrInvalid},
		{"an unknown kind is an error", store.Event{Kind: 99, Cur: ind}, stream.ErrInvalid},
		{"a create without an object gives nothing", store.Event{Kind: store.EventCreate}, nil},
		{"an update without objects gives nothing", store.Event{Kind: store.EventUpdate}, nil},
		{"a delete without its object gives nothing", store.Event{Kind: store.EventDelete, ID: ind.ID()}, nil},
		{"a merge without objects gives nothing", store.Event{Kind: store.EventMerge, Sources: []stix.ID{oid("indicator", 2)},
			SourceObjects: []*stix.Object{nil}}, nil},
		{"a relationship without ends is never sent", store.Event{Kind: store.EventCreate,
			Cur: stix.MustParse(`{"type":"relationship","spec_version":"2.1","id":"relationship--00000000-0000-4000-8000-000000000001","created":"2024-01-01T00:00:00Z","modified":"2024-01-01T00:00:00Z","relationship_type":"x"}`)}, nil},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			msgs, err := s.Process(ctx, tc.ev)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Errorf("error %v, want %v", err, tc.wantErr)
			}
			if len(msgs) != 0 {
				t.Errorf("messages %v, want none", msgs)
			}
		})
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Process(cancelled, store.Event{Kind: store.EventCreate, Cur: ind}); !errors.Is(err, context.Canceled) {
		t.Errorf("Process with a cancelled context: %v", err)
	}
}

func TestRecoverArguments(t *testing.T) {
	s := newSub(t, memstore.New(nil), "", stream.Options{})
	ctx := context.Background()
	if _, err := s.Recover(ctx, nil, time.Time{}, time.Time{}, store.Position{}); !errors.Is(err, stream.ErrInvalid) {
		t.Errorf("nil scanner: %v", err)
	}
	if _, err := s.Recover(ctx, memstore.New(nil), t0.Add(time.Hour), t0, store.Position{}); !errors.Is(err, stream.ErrInvalid) {
		t.Errorf("until before since: %v", err)
	}
}

// Objects that reference each other in a cycle are all sent, each once; the cycle is
// broken at a fixed place, so output is deterministic.
func TestReferenceCycle(t *testing.T) {
	h := newHarness(t, harnessOptions{def: stream.Definition{Filters: mustGroup(t, "entity_type = Report")},
		opts: stream.Options{NoDependencies: true}})
	a := ok(t)(stix.NewIdentity("a", "organization", stix.Common{ID: oid("identity", 1), Created: t0, CreatedByRef: oid("identity", 2)}))
	b := ok(t)(stix.NewIdentity("b", "organization", stix.Common{ID: oid("identity", 2), Created: t0, CreatedByRef: oid("identity", 1)}))
	h.put(a, b)
	h.put(ok(t)(stix.NewReport("r", t0, []stix.ID{a.ID()}, common("report", 1, ""))))
	var got []string
	for _, m := range h.all {
		got = append(got, m.String())
	}
	want := []string{
		`create  dep  identity--00000000-0000-4000-8000-000000000001 "a"`,
		`create  dep  identity--00000000-0000-4000-8000-000000000002 "b"`,
		`create       report--00000000-0000-4000-8000-000000000001 "r"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestMessageString(t *testing.T) {
	for _, tc := range []struct {
		rule string
		m    stream.Message
		want string
	}{
		{"a message without object says so", stream.Message{Type: stream.Delete}, "delete       <nil>"},
		{"an object without name shows its id", stream.Message{Type: stream.Create, Dependency: true,
			Object: ok(t)(stix.NewSCO("ipv4-addr", map[string]any{"value": "198.51.100.1"}))},
			"create  dep  ipv4-addr--"},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			if got := tc.m.String(); !strings.HasPrefix(got, tc.want) {
				t.Errorf("%q, want prefix %q", got, tc.want)
			}
		})
	}
}

// An event older than what the store's log retains cannot be decided as of its position:
// Process says so with an error wrapping store.ErrGap (the connection then recovers)
// rather than deciding it from a later state.
func TestProcessDroppedEvent(t *testing.T) {
	ctx := context.Background()
	st := memstore.New(&memstore.Options{MaxEvents: 2})
	ind := indicator(t, 1, "Emotet C2", common("indicator", 1, "", stix.TLPGreen))
	st.Put(ctx, tlp(stix.TLPGreen))
	ev, _, err := st.Put(ctx, ind)
	if err != nil {
		t.Fatal(err)
	}
	for i := 2; i <= 4; i++ {
		st.Put(ctx, indicator(t, i, "later", common("indicator", i, "")))
	}
	s := newSub(t, st, "entity_type = Indicator", stream.Options{})
	if msgs, err := s.Process(ctx, ev); !errors.Is(err, store.ErrGap) || msgs != nil {
		t.Errorf("an event the log dropped: %d messages, %v; want an error wrapping ErrGap", len(msgs), err)
	}
}

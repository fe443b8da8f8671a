package stream_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/memstore"
	"github.com/ctifeed/ctifeed/stream"
)

// recoverStore holds TLP:GREEN, an author and n labelled indicators, each marked and
// authored, one second apart from t0+1s.
func recoverStore(t *testing.T, n int) (*memstore.Store, *time.Time) {
	now := t0
	st := memstore.New(&memstore.Options{Clock: func() time.Time { return now }})
	ctx := context.Background()
	author := identity(t, 1, "CrowdStrike")
	for _, o := range []*stix.Object{tlp(stix.TLPGreen), author} {
		if _, _, err := st.Put(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= n; i++ {
		now = now.Add(time.Second)
		c := common("indicator", i, author.ID(), stix.TLPGreen)
		c.Labels = []string{"detection"}
		if _, _, err := st.Put(ctx, indicator(t, i, fmt.Sprint("ind", i), c)); err != nil {
			t.Fatal(err)
		}
	}
	return st, &now
}

func lastPos(t *testing.T, st *memstore.Store) store.Position {
	b, err := st.Bounds(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return b.Last
}

// The snapshot comes in batches of at least the asked size (but the last), each ending
// with a whole object group; together they are Recover's snapshot, Seq increasing
// across batches.
func TestRecoverBatches(t *testing.T) {
	ctx := context.Background()
	st, _ := recoverStore(t, 10)
	at := lastPos(t, st)
	whole, err := newSub(t, st, "entity_type = Indicator", stream.Options{NoDependencies: true}).Recover(ctx, st, time.Time{}, time.Time{}, at)
	if err != nil {
		t.Fatal(err)
	}
	if len(whole) != 12 { // TLP:GREEN, the author, ten indicators
		t.Fatalf("Recover: %d messages, want 12", len(whole))
	}
	for _, size := range []int{1, 3, 5, 100} {
		t.Run(fmt.Sprint("batch=", size), func(t *testing.T) {
			s := newSub(t, st, "entity_type = Indicator", stream.Options{NoDependencies: true})
			var all []stream.Message
			var batches [][]stream.Message
			for b, err := range s.RecoverBatches(ctx, st, time.Time{}, time.Time{}, at, size) {
				if err != nil {
					t.Fatal(err)
				}
				batches = append(batches, b)
				all = append(all, b...)
			}
			for i, b := range batches {
				if i < len(batches)-1 && len(b) < size {
					t.Errorf("batch %d of %d has %d messages, fewer than %d", i, len(batches), len(b), size)
				}
				if last := b[len(b)-1]; last.Dependency {
					t.Errorf("batch %d ends inside a group, with the dependency %s", i, last)
				}
			}
			if got, want := lines(all), lines(whole); !slices.Equal(got, want) {
				t.Errorf("the batches together:\n%v\nwant Recover's:\n%v", got, want)
			}
			for i := range all {
				if all[i].Seq != i || all[i].Pos != at {
					t.Errorf("message %d: Seq %d at %s, want Seq %d at %s", i, all[i].Seq, all[i].Pos, i, at)
				}
			}
		})
	}
}

func lines(msgs []stream.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.String()
	}
	return out
}

// A consumer that stops reading stops the snapshot: the iterator returns.
func TestRecoverBatchesStop(t *testing.T) {
	st, _ := recoverStore(t, 10)
	s := newSub(t, st, "entity_type = Indicator", stream.Options{NoDependencies: true})
	n := 0
	for _, err := range s.RecoverBatches(context.Background(), st, time.Time{}, time.Time{}, lastPos(t, st), 2) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		break
	}
	if n != 1 {
		t.Errorf("%d batches after break, want 1", n)
	}
}

// The snapshot is the store as of at: an object changed or created after at is left to
// the live events after at, and a dependency deleted after at is still sent as it was.
func TestRecoverAsOf(t *testing.T) {
	ctx := context.Background()
	st, now := recoverStore(t, 3)
	at := lastPos(t, st)
	*now = now.Add(time.Second)
	cur, _ := st.Get(ctx, oid("indicator", 2))
	if _, _, err := st.Put(ctx, edit(t, cur.Object, *now, func(m map[string]any) { m["description"] = "changed after at" })); err != nil {
		t.Fatal(err)
	}
	c := common("indicator", 4, "")
	c.Labels = []string{"detection"}
	if _, _, err := st.Put(ctx, indicator(t, 4, "created after at", c)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Delete(ctx, oid("identity", 1)); err != nil {
		t.Fatal(err)
	}
	s := newSub(t, st, "entity_type = Indicator", stream.Options{NoDependencies: true})
	got, err := s.Recover(ctx, st, time.Time{}, time.Time{}, at)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`create  dep  marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da "TLP:GREEN"`,
		`create  dep  identity--00000000-0000-4000-8000-000000000001 "CrowdStrike"`,
		`create       indicator--00000000-0000-4000-8000-000000000001 "ind1"`,
		`create       indicator--00000000-0000-4000-8000-000000000003 "ind3"`,
	}
	if !slices.Equal(lines(got), want) {
		t.Errorf("snapshot as of %s:\n%v\nwant\n%v", at, lines(got), want)
	}
}

// A snapshot starts afresh: dependencies sent live before it are sent again (events may
// have been lost before it, so the cache may be stale), and it fills the cache as live
// messages do.
func TestRecoverClearsTheCache(t *testing.T) {
	ctx := context.Background()
	st, _ := recoverStore(t, 2)
	s := newSub(t, st, "entity_type = Indicator", stream.Options{NoDependencies: true})
	var live []stream.Message
	for ev, err := range store.Events(ctx, st, store.Position{}, 100) {
		if err != nil {
			t.Fatal(err)
		}
		msgs, err := s.Process(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		live = append(live, msgs...)
	}
	if len(live) != 4 {
		t.Fatalf("live: %v, want the marking, the author and two indicators", lines(live))
	}
	got, err := s.Recover(ctx, st, time.Time{}, time.Time{}, lastPos(t, st))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(lines(got), lines(live)) {
		t.Errorf("snapshot after live:\n%v\nwant the same messages as live:\n%v", lines(got), lines(live))
	}
}

// countingScanner counts the records its scans returned.
type countingScanner struct {
	store.Scanner
	records int
}

func (c *countingScanner) Scan(ctx context.Context, opts store.ScanOptions) (store.Page, error) {
	p, err := c.Scanner.Scan(ctx, opts)
	c.records += len(p.Records)
	return p, err
}

// A snapshot is produced as it is consumed: when the first batch arrives, the scan has
// read one page, not the whole window, so a connection holds one batch and one page
// whatever the snapshot's size (issue 15, item 6: a snapshot was collected whole).
func TestRecoverBatchesReadAsConsumed(t *testing.T) {
	ctx := context.Background()
	st, _ := recoverStore(t, 1000)
	scan := &countingScanner{Scanner: st}
	s := newSub(t, st, "entity_type = Indicator", stream.Options{NoDependencies: true})
	batches, total := 0, 0
	for b, err := range s.RecoverBatches(ctx, scan, time.Time{}, time.Time{}, lastPos(t, st), 10) {
		if err != nil {
			t.Fatal(err)
		}
		if batches == 0 && scan.records > 100 {
			t.Errorf("the first batch came after %d records were scanned, want at most one page of 100", scan.records)
		}
		batches++
		total += len(b)
	}
	if total != 1002 || scan.records != 1000 {
		t.Errorf("%d messages from %d scanned records in %d batches; want 1,002 (marking, author, 1,000 indicators) from 1,000", total, scan.records, batches)
	}
}

// The recovery after a gap stands just before the first retained event (the handler's
// resume point): the store answers as of that position, so the snapshot is taken there.
func TestRecoverAfterGap(t *testing.T) {
	ctx := context.Background()
	now := t0
	st := memstore.New(&memstore.Options{Clock: func() time.Time { return now }, MaxEvents: 3})
	for i := 1; i <= 6; i++ {
		now = now.Add(time.Second)
		c := common("indicator", i, "")
		c.Labels = []string{"detection"}
		if _, _, err := st.Put(ctx, indicator(t, i, fmt.Sprint("ind", i), c)); err != nil {
			t.Fatal(err)
		}
	}
	b, err := st.Bounds(ctx)
	if err != nil || b.Dropped.IsZero() {
		t.Fatalf("bounds %+v, %v: want dropped events", b, err)
	}
	at := store.Position{Millis: b.First.Millis, Seq: b.First.Seq - 1}
	if b.First.Seq == 0 {
		at = store.Position{Millis: b.First.Millis - 1, Seq: ^uint64(0)}
	}
	s := newSub(t, st, "entity_type = Indicator", stream.Options{})
	got, err := s.Recover(ctx, st, time.Time{}, b.First.Time().Add(time.Millisecond), at)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`create       indicator--00000000-0000-4000-8000-000000000001 "ind1"`,
		`create       indicator--00000000-0000-4000-8000-000000000002 "ind2"`,
		`create       indicator--00000000-0000-4000-8000-000000000003 "ind3"`,
	}
	if !slices.Equal(lines(got), want) {
		t.Errorf("snapshot just before the first retained event %s:\n%v\nwant\n%v", b.First, lines(got), want)
	}
}

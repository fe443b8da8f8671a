package boltstore_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/boltstore"
)

// crashChildEnv makes the test binary a crash-test writer in the directory it names.
const crashChildEnv = "CTIFEED_BOLTSTORE_CRASH_CHILD"

// TestCrash kills a writer process with SIGKILL at random moments, at least 20 times, and
// after each kill checks the store it left: every write the writer acknowledged is in the
// log; objects and log agree exactly (replaying the whole log gives the stored objects,
// so no object lacks its event and no event lacks its object); positions keep increasing
// across restarts; and a consumer resuming from its last position gets each later event
// once.
func TestCrash(t *testing.T) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashWriter(dir) // never returns: the parent kills it
	}
	if testing.Short() {
		t.Skip("the crash test starts 20 processes")
	}
	dir := t.TempDir()
	rnd := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	var consumer store.Position // the consumer's last position
	var lastRound store.Position
	seen := map[store.Position]bool{}
	// At least 20 kills within a minute; more, up to 40, while the first 10 s last.
	start := time.Now()
	deadline := start.Add(60 * time.Second)
	const minRounds = 20
	rounds, totalAcks := 0, 0
	for ; rounds < minRounds || rounds < 40 && time.Since(start) < 10*time.Second; rounds++ {
		if time.Now().After(deadline) {
			t.Fatalf("only %d kills in the time allowed", rounds)
		}
		acks := runAndKill(t, dir, time.Duration(5+rnd.IntN(150))*time.Millisecond)
		totalAcks += len(acks)
		s, err := boltstore.Open(dir, &boltstore.Options{LockTimeout: 5 * time.Second})
		if err != nil {
			t.Fatalf("round %d: reopening after SIGKILL: %v", rounds, err)
		}
		evs := readAll(t, s, store.Position{})
		checkAcked(t, rounds, evs, acks)
		checkReplay(t, rounds, s, evs)
		// Positions continue: this round's first event is after the previous round's last.
		for _, ev := range evs {
			if ev.Pos.Compare(lastRound) > 0 {
				if len(acks) > 0 && ev.Pos.Compare(acks[0].pos) > 0 {
					t.Errorf("round %d: an event at %s before the first acknowledged one %s is unexplained", rounds, ev.Pos, acks[0].pos)
				}
				break
			}
		}
		if len(evs) > 0 {
			lastRound = evs[len(evs)-1].Pos
		}
		// The consumer resumes from where it was and gets every later event once.
		got := readAll(t, s, consumer)
		for _, ev := range got {
			if seen[ev.Pos] {
				t.Errorf("round %d: the resuming consumer got %s a second time", rounds, ev.Pos)
			}
			seen[ev.Pos] = true
			consumer = ev.Pos
		}
		if len(seen) != len(evs) {
			t.Errorf("round %d: the consumer has seen %d events, the log holds %d", rounds, len(seen), len(evs))
		}
		s.Close()
	}
	t.Logf("%d SIGKILLs, %d acknowledged writes, %d events", rounds, totalAcks, len(seen))
	if totalAcks < rounds {
		t.Errorf("the writer acknowledged only %d writes in %d rounds: the kills came before any work", totalAcks, rounds)
	}
}

type ack struct {
	pos  store.Position
	kind string
	id   stix.ID
}

// runAndKill starts a writer on dir, lets it write for d after it is ready, kills it with
// SIGKILL and returns what it acknowledged.
func runAndKill(t *testing.T, dir string, d time.Duration) []ack {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrash$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1<<16)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	select {
	case l := <-lines:
		if l != "ready" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("writer: %q", l)
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("the writer did not start")
	}
	time.Sleep(d)
	cmd.Process.Kill() // SIGKILL
	var acks []ack
	for l := range lines {
		f := strings.Fields(l)
		if len(f) != 4 || f[0] != "ack" {
			if strings.HasPrefix(l, "error") {
				t.Errorf("writer: %s", l)
			}
			continue
		}
		p, err := store.ParsePosition(f[1])
		if err != nil {
			t.Fatalf("writer wrote %q", l)
		}
		acks = append(acks, ack{pos: p, kind: f[2], id: stix.ID(f[3])})
	}
	cmd.Wait()
	return acks
}

func readAll(t *testing.T, s store.Log, after store.Position) []store.Event {
	t.Helper()
	var out []store.Event
	for ev, err := range store.Events(context.Background(), s, after, 1000) {
		if err != nil {
			t.Fatalf("reading the log after %s: %v", after, err)
		}
		if len(out) > 0 && ev.Pos.Compare(out[len(out)-1].Pos) <= 0 || ev.Pos.Compare(after) <= 0 {
			t.Fatalf("positions do not increase: %s after %s", ev.Pos, after)
		}
		out = append(out, ev)
	}
	return out
}

// checkAcked: every acknowledged event is in the log as acknowledged.
func checkAcked(t *testing.T, round int, evs []store.Event, acks []ack) {
	t.Helper()
	byPos := make(map[store.Position]store.Event, len(evs))
	for _, ev := range evs {
		byPos[ev.Pos] = ev
	}
	for _, a := range acks {
		ev, ok := byPos[a.pos]
		if !ok {
			t.Errorf("round %d: acknowledged %s %s at %s is not in the log", round, a.kind, a.id, a.pos)
			continue
		}
		if ev.Kind.String() != a.kind || ev.ID != a.id {
			t.Errorf("round %d: at %s the log has %s %s, the writer acknowledged %s %s", round, a.pos, ev.Kind, ev.ID, a.kind, a.id)
		}
	}
}

// checkReplay: replaying the log gives exactly the stored objects, and the relation index
// agrees with them.
func checkReplay(t *testing.T, round int, s *boltstore.Store, evs []store.Event) {
	t.Helper()
	ctx := context.Background()
	model := map[stix.ID]*stix.Object{}
	for _, ev := range evs {
		switch ev.Kind {
		case store.EventCreate, store.EventUpdate:
			model[ev.ID] = ev.Cur
		case store.EventMerge:
			model[ev.ID] = ev.Cur
			for _, src := range ev.Sources {
				delete(model, src)
			}
		case store.EventDelete:
			delete(model, ev.ID)
		}
	}
	stored := map[stix.ID]*stix.Object{}
	for r, err := range store.All(ctx, s, store.ScanOptions{}) {
		if err != nil {
			t.Fatalf("round %d: scan: %v", round, err)
		}
		stored[r.Object.ID()] = r.Object
	}
	for id, o := range model {
		if got, ok := stored[id]; !ok {
			t.Errorf("round %d: the log says %s exists, the store lacks it", round, id)
		} else if string(got.Raw()) != string(o.Raw()) {
			t.Errorf("round %d: %s differs from its last event", round, id)
		}
	}
	for id := range stored {
		if _, ok := model[id]; !ok {
			t.Errorf("round %d: %s is stored without an event that explains it", round, id)
		}
	}
	if n, err := s.Count(ctx); err != nil || n != len(model) {
		t.Errorf("round %d: Count = %d, %v; the log explains %d objects", round, n, err, len(model))
	}
	for id, o := range model {
		if o.Type() != "relationship" {
			continue
		}
		src := stix.ID(strings.Trim(string(mustGet(o.Raw(), "source_ref")), `"`))
		rels, err := s.RelationsOf(ctx, src)
		if err != nil || !slices.ContainsFunc(rels, func(r store.Record) bool { return r.Object.ID() == id }) {
			t.Errorf("round %d: RelationsOf(%s) lacks %s (%v)", round, src, id, err)
		}
	}
}

func mustGet(raw []byte, prop string) string {
	o, _ := stix.Parse(raw)
	for _, r := range o.Refs() {
		if r.Path == prop {
			return string(r.ID)
		}
	}
	return ""
}

// crashWriter writes continuously into dir, printing "ack <pos> <kind> <id>" for each
// event a call returned, after it returned: puts, batched puts, relationships, merges and
// cascading deletes.
func crashWriter(dir string) {
	ctx := context.Background()
	s, err := boltstore.Open(dir, &boltstore.Options{LockTimeout: 10 * time.Second})
	if err != nil {
		fmt.Printf("error opening: %v\n", err)
		os.Exit(1)
	}
	var live []*stix.Object
	for r, err := range store.All(ctx, s, store.ScanOptions{}) {
		if err != nil {
			fmt.Printf("error scanning: %v\n", err)
			os.Exit(1)
		}
		live = append(live, r.Object)
	}
	w := bufio.NewWriter(os.Stdout)
	ackEv := func(ev store.Event) {
		fmt.Fprintf(w, "ack %s %s %s\n", ev.Pos, ev.Kind, ev.ID)
	}
	fmt.Fprintln(w, "ready")
	w.Flush()
	rnd := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(os.Getpid())))
	fresh := func() *stix.Object {
		o, _ := stix.New("malware", map[string]any{"name": fmt.Sprintf("m%d", rnd.Uint32()), "is_family": false},
			stix.Common{Created: time.Now().UTC().Truncate(time.Millisecond)})
		return o
	}
	newer := func(o *stix.Object) *stix.Object {
		if o.Type() == "relationship" {
			return nil
		}
		n, err := o.NewVersion(o.Version().Add(time.Duration(1+rnd.IntN(1000))*time.Millisecond), func(m map[string]any) {
			m["description"] = fmt.Sprintf("v%d", rnd.Uint32())
		})
		if err != nil {
			return nil
		}
		return n
	}
	pickLive := func() (int, *stix.Object) {
		if len(live) == 0 {
			return -1, nil
		}
		i := rnd.IntN(len(live))
		return i, live[i]
	}
	refresh := func() { // live = what the store holds now (after cascades and merges)
		live = live[:0]
		for r, err := range store.All(ctx, s, store.ScanOptions{}) {
			if err == nil {
				live = append(live, r.Object)
			}
		}
	}
	for {
		switch op := rnd.IntN(10); {
		case op < 3 || len(live) < 4: // put: a create or an update
			o, at := fresh(), -1
			if i, cur := pickLive(); cur != nil && rnd.IntN(2) == 0 {
				if n := newer(cur); n != nil {
					o, at = n, i
				}
			}
			ev, changed, err := s.Put(ctx, o)
			if err != nil {
				fmt.Fprintf(w, "error put: %v\n", err)
				break
			}
			if changed {
				ackEv(ev)
				if at >= 0 {
					live[at] = o
				} else {
					live = append(live, o)
				}
			}
		case op < 5: // a batch
			objs := make([]*stix.Object, 0, 20)
			for range 5 + rnd.IntN(15) {
				objs = append(objs, fresh())
			}
			res, err := s.PutMany(ctx, objs)
			if err != nil {
				fmt.Fprintf(w, "error putmany: %v\n", err)
				break
			}
			for i, r := range res {
				if r.Changed {
					ackEv(r.Event)
					live = append(live, objs[i])
				}
			}
		case op < 7: // a relationship between two objects
			_, a := pickLive()
			_, b := pickLive()
			r, _ := stix.NewRelationship("related-to", a.ID(), b.ID(), stix.Common{Created: time.Now().UTC()})
			ev, _, err := s.Put(ctx, r)
			if err != nil {
				fmt.Fprintf(w, "error relationship: %v\n", err)
				break
			}
			ackEv(ev)
			live = append(live, r)
		case op < 8: // a merge of one or two sources into a target
			_, target := pickLive()
			if target.Type() == "relationship" {
				break
			}
			var sources []stix.ID
			for range 1 + rnd.IntN(2) {
				if _, src := pickLive(); src.ID() != target.ID() && !slices.Contains(sources, src.ID()) {
					sources = append(sources, src.ID())
				}
			}
			if len(sources) == 0 {
				break
			}
			nt := newer(target)
			if nt == nil {
				break
			}
			ev, err := s.Merge(ctx, nt, sources)
			if err != nil {
				fmt.Fprintf(w, "error merge: %v\n", err)
				break
			}
			ackEv(ev)
			refresh()
		default: // a cascading delete
			_, o := pickLive()
			ev, err := s.Delete(ctx, o.ID())
			if err != nil {
				fmt.Fprintf(w, "error delete: %v\n", err)
				break
			}
			ackEv(ev)
			refresh()
		}
		w.Flush()
	}
}

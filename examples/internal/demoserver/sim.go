package demoserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/ctifeed/ctifeed/examples/internal/demodata"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// simulate changes the demo data every interval until ctx ends, so that the live stream
// shows creates (an indicator gains the detection label, or comes back), updates (its
// confidence changes) and deletes (it loses the label, or is deleted).
func (p *platform) simulate(ctx context.Context, every time.Duration, out io.Writer) {
	rnd := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	deleted := map[stix.ID]*stix.Object{}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		id := p.indicators[rnd.IntN(len(p.indicators))]
		what, err := p.change(ctx, id, rnd, deleted)
		if err != nil {
			fmt.Fprintf(out, "simulate: %s: %v\n", id, err)
			continue
		}
		fmt.Fprintf(out, "simulate: %s %s\n", what, id)
	}
}

// change applies one random change to indicator id and says what it did.
func (p *platform) change(ctx context.Context, id stix.ID, rnd *rand.Rand, deleted map[stix.ID]*stix.Object) (string, error) {
	if old, ok := deleted[id]; ok {
		delete(deleted, id)
		return "restored", p.put(ctx, old)
	}
	rec, err := p.store.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return "skipped (gone)", nil
	}
	if err != nil {
		return "", err
	}
	o, now := rec.Object, time.Now().UTC()
	if !now.After(o.Modified()) {
		now = o.Modified().Add(time.Millisecond)
	}
	var next *stix.Object
	var what string
	switch k := rnd.IntN(10); {
	case k == 0:
		deleted[id] = o
		_, err := p.store.Delete(ctx, id)
		return "deleted", err
	case k < 5 && hasLabel(o, demodata.LabelDetection):
		next, err = o.WithoutLabel(demodata.LabelDetection, now)
		what = "removed label detection from"
	case k < 5:
		next, err = o.WithLabel(demodata.LabelDetection, now)
		what = "added label detection to"
	default:
		next, err = o.NewVersion(now, func(m map[string]any) { m["confidence"] = 40 + rnd.IntN(61) })
		what = "changed the confidence of"
	}
	if err != nil {
		return "", err
	}
	return what, p.put(ctx, next)
}

func hasLabel(o *stix.Object, label string) bool {
	for _, l := range o.Labels() {
		if l == label {
			return true
		}
	}
	return false
}

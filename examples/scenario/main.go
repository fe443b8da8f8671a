package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/memstore"
	"github.com/ctifeed/ctifeed/store/storetest/seedscenario"
	"github.com/ctifeed/ctifeed/stream"
)

func main() {
	if err := replay(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "scenario:", err)
		os.Exit(1)
	}
}

// setting is one column of the table: a subscriber with or without dependency resolution.
type setting struct {
	title string
	table func(seedscenario.Step) string
	sub   *stream.Subscriber
	live  []stream.Message // what sub sent, step by step
}

// replay runs the scenario with one clock driving the store and both subscribers, so the
// five steps, a minute apart, all fall within the 5-minute cache lifetime.
func replay(ctx context.Context, out io.Writer) error {
	now := seedscenario.Start()
	clock := func() time.Time { return now }
	st := memstore.New(&memstore.Options{Clock: clock})
	vis, err := access.NewVisibility(nil)
	if err != nil {
		return err
	}
	// The subscriber may see TLP:GREEN, as the table assumes.
	p := &access.Principal{UserID: "consumer", Capabilities: []access.Capability{access.CapAccessDataSharing},
		Markings: access.Clearance{Max: []stix.ID{stix.TLP2Green}}}
	f := seedscenario.Filters()
	settings := []*setting{
		{title: "avoid dependencies resolution = true", table: func(s seedscenario.Step) string { return s.WithoutResolution }},
		{title: "avoid dependencies resolution = false", table: func(s seedscenario.Step) string { return s.WithResolution }},
	}
	subscribe := func(i int) (*stream.Subscriber, error) {
		def := stream.Definition{ID: seedscenario.StreamID, Name: seedscenario.StreamName, Filters: &f, Live: true,
			Defaults: stream.Options{NoDependencies: i == 0}}
		return stream.NewSubscriber(st, def, stream.SubscriberOptions{Principal: p, Visibility: vis, Clock: clock})
	}
	for i, s := range settings {
		if s.sub, err = subscribe(i); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "Live stream %q, filters: %s\n", seedscenario.StreamName, f.String())
	fmt.Fprintln(out, "An indicator marked TLP:GREEN, authored by CrowdStrike, that indicates the malware Emotet.")
	var after store.Position
	if err := seedscenario.Setup(ctx, st); err != nil {
		return err
	}
	if after, err = skip(ctx, st, settings, after); err != nil {
		return err
	}
	for _, step := range seedscenario.Steps() {
		now = step.At
		if err := step.Apply(ctx, st); err != nil {
			return err
		}
		fmt.Fprintf(out, "\n%s\n", step.Name)
		msgs, pos, err := process(ctx, st, settings, after)
		if err != nil {
			return err
		}
		after = pos
		for i, s := range settings {
			fmt.Fprintf(out, "  %s\n    table:  %s\n", s.title, s.table(step))
			fmt.Fprintf(out, "    stream: %s\n", describe(msgs[i]))
			s.live = append(s.live, msgs[i]...)
		}
	}
	// A consumer that connects afterwards and replays the log from 0 receives the same
	// messages: the engine decides each event as of its position in the log.
	fmt.Fprintln(out, "\nReplayed from 0 after step 5, by a new subscriber:")
	for i, s := range settings {
		late, err := subscribe(i)
		if err != nil {
			return err
		}
		s.sub = late
		msgs, _, err := process(ctx, st, []*setting{s}, store.Position{})
		if err != nil {
			return err
		}
		same := len(msgs[0]) == len(s.live)
		for j := 0; same && j < len(msgs[0]); j++ {
			same = msgs[0][j].String() == s.live[j].String() && msgs[0][j].Seq == s.live[j].Seq
		}
		fmt.Fprintf(out, "  %s: %d messages, the same as live: %t\n", s.title, len(msgs[0]), same)
	}
	return nil
}

// skip lets both subscribers see the setup's events (they produce nothing: no indicator).
func skip(ctx context.Context, st *memstore.Store, settings []*setting, after store.Position) (store.Position, error) {
	_, pos, err := process(ctx, st, settings, after)
	return pos, err
}

// process feeds every event after after to each subscriber and returns their messages.
func process(ctx context.Context, st *memstore.Store, settings []*setting, after store.Position) ([][]stream.Message, store.Position, error) {
	out := make([][]stream.Message, len(settings))
	for ev, err := range store.Events(ctx, st, after, 100) {
		if err != nil {
			return nil, after, err
		}
		after = ev.Pos
		for i, s := range settings {
			msgs, err := s.sub.Process(ctx, ev)
			if err != nil {
				return nil, after, err
			}
			out[i] = append(out[i], msgs...)
		}
	}
	return out, after, nil
}

// describe says what the messages do in the table's words: "Create TLP:GREEN, create
// CrowdStrike, ...", or "Nothing".
func describe(msgs []stream.Message) string {
	if len(msgs) == 0 {
		return "Nothing"
	}
	parts := make([]string, len(msgs))
	for i, m := range msgs {
		parts[i] = string(m.Type) + " " + name(m.Object)
	}
	s := strings.Join(parts, ", ")
	return strings.ToUpper(s[:1]) + s[1:]
}

// name is how the table calls an object.
func name(o *stix.Object) string {
	switch o.Type() {
	case "indicator":
		return "the indicator"
	case "relationship":
		return "the relationship " + o.Get("relationship_type").String()
	case "malware":
		return "the malware " + o.Get("name").String()
	case "marking-definition":
		return o.Get("name").String()
	}
	return o.Get("name").String()
}

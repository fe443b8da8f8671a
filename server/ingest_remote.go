package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/stream"
	"github.com/ctifeed/ctifeed/taxii"
)

// pollTAXII polls a remote collection with added_after from the saved position until ctx
// ends. Each poll first reads the manifest to learn the newest date_added, then the
// objects added after the position: objects added between the two requests are read
// again by the next poll (idempotent), never lost.
func (s *Server) pollTAXII(ctx context.Context, name string, rc *RemoteTAXIIConfig) {
	opts := &taxii.ClientOptions{Username: rc.Username, HTTPClient: s.hc}
	if rc.PasswordEnv != "" {
		opts.Password = os.Getenv(rc.PasswordEnv)
	}
	if rc.TokenEnv != "" {
		opts.Token = os.Getenv(rc.TokenEnv)
	}
	c, err := taxii.NewClient(rc.URL, opts)
	if err != nil {
		s.log.Error("ingestion source unusable", "source", name, "err", err)
		return
	}
	interval := orDefaultDur(rc.Interval, 5*time.Minute)
	for {
		if err := s.pollOnce(ctx, name, c, rc); err != nil && ctx.Err() == nil {
			s.m.ingestErrors.WithLabelValues(name).Inc()
			s.log.Error("TAXII poll failed", "source", name, "err", err)
		}
		if !sleep(ctx, interval) {
			return
		}
	}
}

func (s *Server) pollOnce(ctx context.Context, name string, c *taxii.Client, rc *RemoteTAXIIConfig) error {
	raw, err := s.cps.Load(ctx, name)
	if err != nil {
		return err
	}
	var after time.Time
	if raw != "" {
		if after, err = time.Parse(time.RFC3339Nano, raw); err != nil {
			return fmt.Errorf("saved position %q: %w", raw, err)
		}
	}
	var newest time.Time
	for rec, err := range c.Manifest(ctx, rc.APIRoot, rc.Collection, &taxii.Query{AddedAfter: after}) {
		if err != nil {
			return err
		}
		t, err := time.Parse(time.RFC3339Nano, rec.DateAdded)
		if err != nil {
			return fmt.Errorf("manifest record %s: date_added %q: %w", rec.ID, rec.DateAdded, err)
		}
		if t.After(newest) {
			newest = t
		}
	}
	if newest.IsZero() {
		return nil // nothing new
	}
	var objs []*stix.Object
	var problems []string
	for o, err := range c.Objects(ctx, rc.APIRoot, rc.Collection, &taxii.Query{AddedAfter: after}) {
		if err != nil {
			return err
		}
		if err := stix.Validate(o); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", o.ID(), err))
			continue
		}
		objs = append(objs, o)
	}
	if len(problems) > 0 {
		// A remote object is refused alone (the server would send it again on every
		// poll otherwise): it is reported, the valid ones are stored.
		s.m.ingestInvalid.WithLabelValues(name).Add(float64(len(problems)))
		s.log.Error("TAXII poll refused invalid objects", "source", name, "count", len(problems), "objects", problems)
	}
	if err := s.storeAll(ctx, name, objs); err != nil {
		return err
	}
	s.m.ingestLag.WithLabelValues(name).Set(time.Since(newest).Seconds())
	s.log.Info("TAXII poll stored objects", "source", name, "objects", len(objs), "added_until", newest)
	return s.cps.Save(ctx, name, newest.UTC().Format(time.RFC3339Nano))
}

// mirrorStream follows a remote live stream from the saved event id, applying each
// message with stream.Mirror, until ctx ends. A refused connection (401, 404…) is retried
// after a minute.
func (s *Server) mirrorStream(ctx context.Context, name string, rc *RemoteStreamConfig) {
	for ctx.Err() == nil {
		err := s.mirrorOnce(ctx, name, rc)
		if ctx.Err() != nil {
			return
		}
		s.m.ingestErrors.WithLabelValues(name).Inc()
		s.log.Error("live-stream mirror stopped; retrying in a minute", "source", name, "err", err)
		if !sleep(ctx, time.Minute) {
			return
		}
	}
}

func (s *Server) mirrorOnce(ctx context.Context, name string, rc *RemoteStreamConfig) error {
	from, err := s.cps.Load(ctx, name)
	if err != nil {
		return err
	}
	if from == "" {
		from = "0"
	}
	opts := &stream.ClientOptions{From: from, HTTPClient: s.hc, OnReconnect: func(err error, last string) {
		s.m.ingestErrors.WithLabelValues(name).Inc()
		s.log.Warn("live-stream mirror reconnecting", "source", name, "err", err, "from", last)
	}}
	if rc.TokenEnv != "" {
		opts.Token = os.Getenv(rc.TokenEnv)
	}
	c, err := stream.NewClient(rc.URL, opts)
	if err != nil {
		return err
	}
	m := stream.NewMirror(s.store, nil)
	for f, err := range c.Frames(ctx) {
		if err != nil {
			return err
		}
		if f.Event == "gap" {
			s.m.ingestErrors.WithLabelValues(name).Inc()
			s.log.Warn("the remote stream lost events to retention; its recovery snapshot follows (deletions in the window are missed)",
				"source", name)
		}
		if f.Message.Object != nil {
			if err := m.Apply(ctx, f.Message); err != nil {
				if errors.Is(err, store.ErrInvalid) {
					s.m.ingestInvalid.WithLabelValues(name).Inc()
					s.log.Error("live-stream mirror refused an object", "source", name, "id", f.Message.Object.ID(), "err", err)
				} else {
					return err
				}
			} else {
				s.m.ingested.WithLabelValues(name).Inc()
			}
		}
		if f.ID != "" {
			if err := s.cps.Save(ctx, name, f.ID); err != nil {
				return err
			}
			if p, err := store.ParsePosition(f.ID); err == nil && !p.IsZero() {
				s.m.ingestLag.WithLabelValues(name).Set(time.Since(p.Time()).Seconds())
			}
		}
	}
	return ctx.Err()
}

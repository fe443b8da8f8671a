package server

import (
	"context"
	"time"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// instrumented times store operations. It implements the optional interfaces the feeds
// look for (Counter, BatchWriter) by passing them on, or through store's fallbacks.
type instrumented struct {
	store.Store
	m *metrics
}

func instrument(s store.Store, m *metrics) store.Store {
	i := &instrumented{Store: s, m: m}
	if fp, ok := s.(store.FilterPushdown); ok {
		return &instrumentedPushdown{instrumented: i, fp: fp}
	}
	return i
}

func (s *instrumented) since(op string, start time.Time) {
	s.m.storeSeconds.WithLabelValues(op).Observe(time.Since(start).Seconds())
}

func (s *instrumented) Get(ctx context.Context, id stix.ID) (store.Record, error) {
	defer s.since("get", time.Now())
	return s.Store.Get(ctx, id)
}

func (s *instrumented) GetMany(ctx context.Context, ids []stix.ID) (map[stix.ID]store.Record, error) {
	defer s.since("get_many", time.Now())
	return s.Store.GetMany(ctx, ids)
}

func (s *instrumented) Scan(ctx context.Context, opts store.ScanOptions) (store.Page, error) {
	defer s.since("scan", time.Now())
	return s.Store.Scan(ctx, opts)
}

func (s *instrumented) Read(ctx context.Context, after store.Position, limit int) ([]store.Event, error) {
	defer s.since("read", time.Now())
	return s.Store.Read(ctx, after, limit)
}

func (s *instrumented) Put(ctx context.Context, obj *stix.Object) (store.Event, bool, error) {
	defer s.since("put", time.Now())
	return s.Store.Put(ctx, obj)
}

func (s *instrumented) Delete(ctx context.Context, id stix.ID) (store.Event, error) {
	defer s.since("delete", time.Now())
	return s.Store.Delete(ctx, id)
}

func (s *instrumented) Merge(ctx context.Context, target *stix.Object, sources []stix.ID) (store.Event, error) {
	defer s.since("merge", time.Now())
	return s.Store.Merge(ctx, target, sources)
}

// PutMany implements store.BatchWriter.
func (s *instrumented) PutMany(ctx context.Context, objs []*stix.Object) ([]store.PutResult, error) {
	defer s.since("put_many", time.Now())
	return store.PutMany(ctx, s.Store, objs)
}

// Count implements store.Counter.
func (s *instrumented) Count(ctx context.Context) (int, error) {
	defer s.since("count", time.Now())
	return store.Count(ctx, s.Store)
}

type instrumentedPushdown struct {
	*instrumented
	fp store.FilterPushdown
}

func (s *instrumentedPushdown) ScanFilter(ctx context.Context, opts store.ScanOptions) (store.Page, error) {
	defer s.since("scan_filter", time.Now())
	return s.fp.ScanFilter(ctx, opts)
}

package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/ctifeed/ctifeed/iocstream"
)

// Notifications returns the IoC notification store kept in the same file; opts may be
// nil (iocstream's defaults: 7 days of retention, time.Now). Expired notifications are
// discarded on the next write. A listing walks the date index from its cursor or date
// bound and checks the filter on each notification it meets: O(log n + page) when the
// filter is only dates, plus the notifications a filter on other keys rejects. Several
// calls share the same data.
func (s *Store) Notifications(opts *iocstream.StoreOptions) iocstream.Store {
	var o iocstream.StoreOptions
	if opts != nil {
		o = *opts
	}
	if o.Retention <= 0 {
		o.Retention = iocstream.DefaultRetention
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &notifications{s: s, opts: o}
}

type notifications struct {
	s    *Store
	opts iocstream.StoreOptions
}

// storedNotification is the file's form of a notification (Date in Unix seconds;
// attributes kept byte for byte).
type storedNotification struct {
	ID      string                 `json:"id"`
	Date    int64                  `json:"date"`
	Origin  iocstream.Origin       `json:"origin"`
	Sources []iocstream.Source     `json:"sources,omitempty"`
	Tags    []string               `json:"tags,omitempty"`
	Hunting *iocstream.HuntingInfo `json:"hunting,omitempty"`
	Type    iocstream.EntityType   `json:"entity_type"`
	Entity  string                 `json:"entity_id"`
	Attrs   []byte                 `json:"attributes,omitempty"`
}

func encodeNotification(n *iocstream.Notification) ([]byte, error) {
	return json.Marshal(storedNotification{ID: n.ID, Date: n.Date.Unix(), Origin: n.Origin, Sources: n.Sources,
		Tags: n.Tags, Hunting: n.Hunting, Type: n.Entity.Type, Entity: n.Entity.ID, Attrs: n.Entity.Attributes})
}

func decodeNotification(b []byte) (*iocstream.Notification, error) {
	var sn storedNotification
	if err := json.Unmarshal(b, &sn); err != nil {
		return nil, fmt.Errorf("%w: a stored notification does not decode: %v", ErrCorrupt, err)
	}
	n := &iocstream.Notification{ID: sn.ID, Date: time.Unix(sn.Date, 0).UTC(), Origin: sn.Origin,
		Sources: sn.Sources, Tags: sn.Tags, Hunting: sn.Hunting,
		Entity: iocstream.Entity{Type: sn.Type, ID: sn.Entity}}
	if sn.Attrs != nil {
		n.Entity.Attributes = json.RawMessage(sn.Attrs)
	}
	if n.Hunting != nil && n.Hunting.RuleTags == nil {
		n.Hunting.RuleTags = nil
	}
	return n, nil
}

func dateKey(sec int64, id string) []byte {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(id)), uint64(sec)^(1<<63))
	return append(b, id...)
}

func secOfDateKey(k []byte) int64 { return int64(binary.BigEndian.Uint64(k) ^ (1 << 63)) }

// minLive returns the oldest date (Unix seconds) that has not expired.
func (ns *notifications) minLive() int64 {
	return ns.opts.Now().Add(-ns.opts.Retention).Unix() + 1
}

func (ns *notifications) update(ctx context.Context, fn func(byID, byDate *bolt.Bucket, minLive int64) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return ns.s.db.Update(func(tx *bolt.Tx) error {
		byID, byDate := tx.Bucket(bIoC), tx.Bucket(bIoCDate)
		minLive := ns.minLive()
		// Discard the expired, oldest first.
		c := byDate.Cursor()
		for k, _ := c.First(); len(k) >= 8 && secOfDateKey(k) < minLive; k, _ = c.First() {
			if err := byID.Delete(k[8:]); err != nil {
				return err
			}
			if err := c.Delete(); err != nil {
				return err
			}
		}
		return fn(byID, byDate, minLive)
	})
}

// Add implements [iocstream.Store].
func (ns *notifications) Add(ctx context.Context, n *iocstream.Notification) error {
	if err := n.Validate(); err != nil {
		return err
	}
	v, err := encodeNotification(n)
	if err != nil {
		return err
	}
	return ns.update(ctx, func(byID, byDate *bolt.Bucket, minLive int64) error {
		if byID.Get([]byte(n.ID)) != nil {
			return fmt.Errorf("%w: %q", iocstream.ErrExists, n.ID)
		}
		if n.Date.Unix() < minLive {
			return nil // expired on arrival: accepted, never seen
		}
		if err := byID.Put([]byte(n.ID), v); err != nil {
			return err
		}
		return byDate.Put(dateKey(n.Date.Unix(), n.ID), nil)
	})
}

// Get implements [iocstream.Store].
func (ns *notifications) Get(ctx context.Context, id string) (*iocstream.Notification, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var n *iocstream.Notification
	err := ns.s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bIoC).Get([]byte(id))
		if v == nil {
			return fmt.Errorf("%w: %q", iocstream.ErrNotFound, id)
		}
		var err error
		if n, err = decodeNotification(v); err != nil {
			return err
		}
		if n.Date.Unix() < ns.minLive() {
			return fmt.Errorf("%w: %q", iocstream.ErrNotFound, id)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}

// Delete implements [iocstream.Store].
func (ns *notifications) Delete(ctx context.Context, id string) error {
	return ns.update(ctx, func(byID, byDate *bolt.Bucket, _ int64) error {
		v := byID.Get([]byte(id))
		if v == nil {
			return fmt.Errorf("%w: %q", iocstream.ErrNotFound, id)
		}
		n, err := decodeNotification(v)
		if err != nil {
			return err
		}
		if err := byDate.Delete(dateKey(n.Date.Unix(), n.ID)); err != nil {
			return err
		}
		return byID.Delete([]byte(id))
	})
}

// DeleteMatching implements [iocstream.Store].
func (ns *notifications) DeleteMatching(ctx context.Context, q *iocstream.Query) (int, error) {
	var count int
	err := ns.update(ctx, func(byID, byDate *bolt.Bucket, minLive int64) error {
		count = 0
		doomed, err := scanNotifications(byID, byDate, q, &iocstream.ScanOptions{Order: iocstream.OrderOldest}, -1, minLive)
		if err != nil {
			return err
		}
		for _, n := range doomed {
			if err := byDate.Delete(dateKey(n.Date.Unix(), n.ID)); err != nil {
				return err
			}
			if err := byID.Delete([]byte(n.ID)); err != nil {
				return err
			}
		}
		count = len(doomed)
		return nil
	})
	return count, err
}

// Scan implements [iocstream.Store].
func (ns *notifications) Scan(ctx context.Context, q *iocstream.Query, opts *iocstream.ScanOptions) ([]*iocstream.Notification, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []*iocstream.Notification
	err := ns.s.db.View(func(tx *bolt.Tx) error {
		var err error
		out, err = scanNotifications(tx.Bucket(bIoC), tx.Bucket(bIoCDate), q, opts, opts.Limit, ns.minLive())
		return err
	})
	return out, err
}

// scanNotifications returns up to limit (all when limit < 0) live notifications that q
// matches, in opts.Order, strictly after opts.After.
func scanNotifications(byID, byDate *bolt.Bucket, q *iocstream.Query, opts *iocstream.ScanOptions, limit int, minLive int64) ([]*iocstream.Notification, error) {
	from := minLive
	if t, ok := q.From(); ok && t.Unix() > from {
		from = t.Unix()
	}
	before, hasBefore := int64(0), false
	if t, ok := q.Before(); ok {
		before, hasBefore = t.Unix(), true
	}
	c := byDate.Cursor()
	var k []byte
	asc := opts.Order == iocstream.OrderOldest
	if asc {
		lo := dateKey(from, "")
		if opts.After != nil {
			if a := dateKey(opts.After.Date, opts.After.ID); bytes.Compare(a, lo) >= 0 {
				lo = a
			}
		}
		k, _ = c.Seek(lo)
		if k != nil && opts.After != nil && bytes.Equal(k, dateKey(opts.After.Date, opts.After.ID)) {
			k, _ = c.Next()
		}
	} else {
		var hi []byte // exclusive
		if hasBefore {
			hi = dateKey(before, "")
		}
		if opts.After != nil {
			if a := dateKey(opts.After.Date, opts.After.ID); hi == nil || bytes.Compare(a, hi) < 0 {
				hi = a
			}
		}
		if hi == nil {
			k, _ = c.Last()
		} else if k, _ = c.Seek(hi); k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
	}
	var out []*iocstream.Notification
	for ; k != nil && (limit < 0 || len(out) < limit); k = step(c, asc) {
		if len(k) < 8 {
			return nil, fmt.Errorf("%w: a malformed notification date key", ErrCorrupt)
		}
		sec := secOfDateKey(k)
		if sec < from {
			if asc {
				continue
			}
			break
		}
		if hasBefore && sec >= before {
			if asc {
				break
			}
			continue
		}
		v := byID.Get(k[8:])
		if v == nil {
			return nil, fmt.Errorf("%w: notification %q is in the date index only", ErrCorrupt, k[8:])
		}
		n, err := decodeNotification(v)
		if err != nil {
			return nil, err
		}
		if q.Match(n) {
			out = append(out, n)
		}
	}
	return out, nil
}

func step(c *bolt.Cursor, asc bool) []byte {
	var k []byte
	if asc {
		k, _ = c.Next()
	} else {
		k, _ = c.Prev()
	}
	return k
}

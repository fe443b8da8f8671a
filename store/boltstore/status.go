package boltstore

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/ctifeed/ctifeed/taxii"
)

// Statuses returns the TAXII status store kept in the same file. Expired statuses are
// discarded, by the store's clock ([Options.Clock]), on the next PutStatus.
func (s *Store) Statuses() taxii.StatusStore { return statuses{s} }

type statuses struct{ s *Store }

// storedStatus is the file's form of a status record.
type storedStatus struct {
	Root    string       `json:"root"`
	Owner   string       `json:"owner"`
	Expires int64        `json:"expires"` // Unix nanoseconds
	Status  taxii.Status `json:"status"`
}

func statusKey(root, id string) []byte { return join([]byte(root), []byte{sep}, []byte(id)) }

// PutStatus implements [taxii.StatusStore].
func (st statuses) PutStatus(ctx context.Context, rec taxii.StatusRecord) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	v, err := json.Marshal(storedStatus{Root: rec.Root, Owner: rec.Owner, Expires: rec.Expires.UnixNano(), Status: rec.Status})
	if err != nil {
		return err
	}
	k := statusKey(rec.Root, rec.Status.ID)
	now := st.s.clock()
	return st.s.db.Update(func(tx *bolt.Tx) error {
		byKey, byExp := tx.Bucket(bStatuses), tx.Bucket(bStatusExp)
		c := byExp.Cursor()
		for ek, _ := c.First(); len(ek) >= 8 && nanosOfTkey(ek) <= now.UnixNano(); ek, _ = c.First() {
			if err := byKey.Delete(ek[8:]); err != nil {
				return err
			}
			if err := c.Delete(); err != nil {
				return err
			}
		}
		if old := byKey.Get(k); old != nil {
			var o storedStatus
			if err := json.Unmarshal(old, &o); err != nil {
				return fmt.Errorf("%w: a stored TAXII status does not decode: %v", ErrCorrupt, err)
			}
			if err := byExp.Delete(join(appendTkeyNanos(nil, o.Expires), k)); err != nil {
				return err
			}
		}
		if err := byExp.Put(join(appendTkeyNanos(nil, rec.Expires.UnixNano()), k), nil); err != nil {
			return err
		}
		return byKey.Put(k, v)
	})
}

// GetStatus implements [taxii.StatusStore].
func (st statuses) GetStatus(ctx context.Context, root, id string, now time.Time) (taxii.StatusRecord, error) {
	if err := ctx.Err(); err != nil {
		return taxii.StatusRecord{}, err
	}
	var rec taxii.StatusRecord
	err := st.s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bStatuses).Get(statusKey(root, id))
		if v == nil {
			return fmt.Errorf("%w: %q", taxii.ErrStatusNotFound, id)
		}
		var o storedStatus
		if err := json.Unmarshal(v, &o); err != nil {
			return fmt.Errorf("%w: a stored TAXII status does not decode: %v", ErrCorrupt, err)
		}
		rec = taxii.StatusRecord{Root: o.Root, Owner: o.Owner, Expires: time.Unix(0, o.Expires).UTC(), Status: o.Status}
		if !now.Before(rec.Expires) {
			return fmt.Errorf("%w: %q", taxii.ErrStatusNotFound, id)
		}
		return nil
	})
	if err != nil {
		return taxii.StatusRecord{}, err
	}
	return rec, nil
}

// Secret returns the random secret called name, size bytes long, creating it on first use
// (with crypto/rand) and keeping it in the file: a key that must survive restarts, such as
// the TAXII `next` signing key ([taxii.HandlerOptions.CursorKey]). A secret kept with
// another size is an error.
func (s *Store) Secret(ctx context.Context, name string, size int) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if name == "" || size < 1 || size > 4096 {
		return nil, fmt.Errorf("boltstore: a secret needs a name and a size of 1 to 4096 bytes")
	}
	var out []byte
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bSecrets)
		if v := b.Get([]byte(name)); v != nil {
			if len(v) != size {
				return fmt.Errorf("boltstore: secret %q is kept with %d bytes, not %d", name, len(v), size)
			}
			out = append([]byte(nil), v...)
			return nil
		}
		out = make([]byte, size)
		rand.Read(out)
		return b.Put([]byte(name), out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

package boltstore

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/ctifeed/ctifeed/store"
)

// FileName is the name of the store's file inside its directory.
const FileName = "ctifeed.db"

// Format is the version of the file layout this package writes. A file of a newer
// format is refused ([ErrNewerFormat]); older formats are upgraded on open when one exists.
const Format = 1

// Defaults of [Options].
const (
	DefaultMaxEvents   = 1_000_000
	DefaultLockTimeout = time.Second
)

// Errors of [Open], checked with errors.Is; the returned errors name the directory.
var (
	// ErrLocked: another process holds the store open.
	ErrLocked = errors.New("boltstore: locked")
	// ErrNotWritable: the directory or its file cannot be written.
	ErrNotWritable = errors.New("boltstore: not writable")
	// ErrNewerFormat: the file was written by a newer version of this package.
	ErrNewerFormat = errors.New("boltstore: newer format")
	// ErrCorrupt: the file is damaged or is not a ctifeed store.
	ErrCorrupt = errors.New("boltstore: corrupted or not a ctifeed store")
)

// Options configure [Open]. Nil or the zero value gives the defaults.
type Options struct {
	// Clock returns the current time (default time.Now); tests fix it so that positions
	// and record times are deterministic.
	Clock func() time.Time
	// MaxEvents caps how many events the log retains (default 1,000,000; negative = no
	// cap). The oldest are dropped, with what only they needed (superseded versions,
	// deleted objects), in the transaction that appends past the cap.
	MaxEvents int
	// MaxAge drops events older than this, checked on each append (0 = no age limit). The
	// newest event is always retained, so the log's bounds stay known.
	MaxAge time.Duration
	// LockTimeout is how long Open waits for another process to release the file before
	// failing with [ErrLocked] (default 1 s).
	LockTimeout time.Duration
	// NoSync skips fsync on commit. A crash of the process loses nothing, but a crash of
	// the machine may lose or corrupt recent writes: for tests and bulk loads only.
	NoSync bool
}

// Store is a durable [store.Store] in one file, DIR/ctifeed.db, on bbolt. The same file
// holds the IoC notifications ([Store.Notifications]), the TAXII status resources
// ([Store.Statuses]) and named secrets ([Store.Secret]). It implements [store.Counter] and
// [store.BatchWriter]. Close it when done.
type Store struct {
	db        *bolt.DB
	dir       string
	clock     func() time.Time
	maxEvents int
	maxAge    time.Duration

	mu   sync.Mutex     // guards last and wake
	last store.Position // the newest event committed
	wake chan struct{}  // closed and replaced on each commit that appended events

	closeOnce sync.Once
	closed    chan struct{} // closed by Close: ends every Wait
}

// Open opens (creating if needed) the store in dir. Only one process may have a
// directory open at a time: Open waits up to opts.LockTimeout and then fails with
// [ErrLocked]. Other failures wrap [ErrNotWritable], [ErrNewerFormat] or [ErrCorrupt].
func Open(dir string, opts *Options) (*Store, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.MaxEvents == 0 {
		o.MaxEvents = DefaultMaxEvents
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = DefaultLockTimeout
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		if errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS) {
			return nil, fmt.Errorf("%w: cannot create directory %s: %v", ErrNotWritable, dir, err)
		}
		return nil, fmt.Errorf("boltstore: %s: %w", dir, err)
	}
	path := filepath.Join(dir, FileName)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: o.LockTimeout, NoSync: o.NoSync,
		FreelistType: bolt.FreelistMapType})
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return nil, fmt.Errorf("%w: another ctifeed process is using %s (waited %v for %s)", ErrLocked, dir, o.LockTimeout, path)
	case errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS):
		return nil, fmt.Errorf("%w: directory %s: %v", ErrNotWritable, dir, err)
	case errors.Is(err, berrors.ErrInvalid) || errors.Is(err, berrors.ErrChecksum) ||
		errors.Is(err, berrors.ErrVersionMismatch) || errors.Is(err, berrors.ErrInvalidMapping):
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, path, err)
	case err != nil:
		return nil, fmt.Errorf("boltstore: opening %s: %w", path, err)
	}
	s := &Store{db: db, dir: dir, clock: o.Clock, maxEvents: o.MaxEvents, maxAge: o.MaxAge,
		wake: make(chan struct{}), closed: make(chan struct{})}
	if err := s.init(path); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// init creates the buckets of a new file, or checks the format of an existing one, and
// loads the last position.
func (s *Store) init(path string) (err error) {
	defer func() {
		// bbolt panics on some damaged pages rather than returning an error.
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %s: %v", ErrCorrupt, path, r)
		}
	}()
	return s.db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bMeta)
		if meta == nil {
			empty := true
			tx.ForEach(func([]byte, *bolt.Bucket) error { empty = false; return nil })
			if !empty {
				return fmt.Errorf("%w: %s holds data but no ctifeed format record", ErrCorrupt, path)
			}
			for _, name := range allBuckets {
				if _, err := tx.CreateBucket(name); err != nil {
					return err
				}
			}
			meta = tx.Bucket(bMeta)
			if err := meta.Put(mFormat, u64(Format)); err != nil {
				return err
			}
		}
		format := meta.Get(mFormat)
		switch v := getU64(format); {
		case len(format) != 8:
			return fmt.Errorf("%w: %s has no valid format record", ErrCorrupt, path)
		case v > Format:
			return fmt.Errorf("%w: %s has format %d, written by a newer ctifeed; this one reads up to format %d", ErrNewerFormat, path, v, Format)
		}
		for _, name := range allBuckets {
			if tx.Bucket(name) == nil {
				return fmt.Errorf("%w: %s lacks its %q bucket", ErrCorrupt, path, name)
			}
		}
		s.last = posOf(meta.Get(mLast))
		if !bytes.Equal(meta.Get(mLast), nil) && len(meta.Get(mLast)) != 16 {
			return fmt.Errorf("%w: %s has a malformed log position", ErrCorrupt, path)
		}
		return nil
	})
}

// Dir returns the directory the store is in.
func (s *Store) Dir() string { return s.dir }

// ErrClosed is returned by Wait once the store is closed (other methods then return
// bbolt's own error for a closed database).
var ErrClosed = errors.New("boltstore: closed")

// Close closes the file, waiting for transactions in progress. Calls made after Close
// fail; a Wait in progress returns [ErrClosed].
func (s *Store) Close() error {
	s.closeOnce.Do(func() { close(s.closed) })
	return s.db.Close()
}

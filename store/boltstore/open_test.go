package boltstore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/boltstore"
)

func TestOpenNotWritable(t *testing.T) {
	parent := t.TempDir()
	if err := os.Chmod(parent, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(parent, 0o755) })
	for _, dir := range []string{parent, filepath.Join(parent, "data")} {
		asUnprivileged(t, func() {
			s, err := boltstore.Open(dir, nil)
			if err == nil {
				s.Close()
			}
			if !errors.Is(err, boltstore.ErrNotWritable) || !strings.Contains(err.Error(), dir) {
				t.Errorf("Open(%s) of a directory that cannot be written: %v, want ErrNotWritable naming it", dir, err)
			}
		})
	}
}

// A second opener (another process, or this one twice: bbolt's flock is per open file)
// fails after the lock timeout, saying who holds the directory; it never hangs.
func TestOpenLocked(t *testing.T) {
	dir := t.TempDir()
	s, err := boltstore.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := time.Now()
	s2, err := boltstore.Open(dir, &boltstore.Options{LockTimeout: 100 * time.Millisecond})
	if err == nil {
		s2.Close()
	}
	if !errors.Is(err, boltstore.ErrLocked) || !strings.Contains(err.Error(), "another ctifeed process is using "+dir) {
		t.Errorf("second Open: %v, want ErrLocked saying another ctifeed process is using %s", err, dir)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the second Open took %v to fail", d)
	}
}

func TestOpenNewerFormat(t *testing.T) {
	dir := t.TempDir()
	s, err := boltstore.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := bolt.Open(filepath.Join(dir, boltstore.FileName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("meta")).Put([]byte("format"), []byte{0, 0, 0, 0, 0, 0, 0, boltstore.Format + 1})
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	_, err = boltstore.Open(dir, nil)
	if !errors.Is(err, boltstore.ErrNewerFormat) || !strings.Contains(err.Error(), dir) {
		t.Errorf("Open of a file from a newer format: %v, want ErrNewerFormat naming the file", err)
	}
}

func TestOpenCorrupted(t *testing.T) {
	valid := t.TempDir()
	s, err := boltstore.Open(valid, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	good, err := os.ReadFile(filepath.Join(valid, boltstore.FileName))
	if err != nil {
		t.Fatal(err)
	}
	garbage := []byte(strings.Repeat("not a database ", 4096))
	headerless := append(make([]byte, 8192), good[8192:]...)
	foreign := func(dir string) { // a bbolt file of another program
		db, err := bolt.Open(filepath.Join(dir, boltstore.FileName), 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("theirs")); return err })
		db.Close()
	}
	cases := []struct {
		name  string
		write func(dir string)
	}{
		{"Garbage", func(dir string) { os.WriteFile(filepath.Join(dir, boltstore.FileName), garbage, 0o600) }},
		{"MetaPagesZeroed", func(dir string) { os.WriteFile(filepath.Join(dir, boltstore.FileName), headerless, 0o600) }},
		{"AnotherProgramsFile", foreign},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			c.write(dir)
			s, err := boltstore.Open(dir, nil)
			if err == nil {
				s.Close()
			}
			if !errors.Is(err, boltstore.ErrCorrupt) || !strings.Contains(err.Error(), dir) {
				t.Errorf("Open: %v, want ErrCorrupt naming the file", err)
			}
		})
	}
}

// Everything the store keeps is there after Close and Open, and positions continue even
// when the clock has gone back.
func TestReopenContinues(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	s, err := boltstore.Open(dir, &boltstore.Options{Clock: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	a := stix.MustParse(`{"type":"malware","spec_version":"2.1","id":"malware--0b0b0b0b-0b0b-4b0b-8b0b-0b0b0b0b0b0b","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","name":"a","is_family":false}`)
	ev1, _, err := s.Put(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	key, err := s.Secret(ctx, "taxii-next", 32)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := s.Bounds(ctx)
	s.Close()

	now = now.Add(-time.Hour) // the clock went back across the restart
	s, err = boltstore.Open(dir, &boltstore.Options{Clock: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if r, err := s.Get(ctx, a.ID()); err != nil || string(r.Object.Raw()) != string(a.Raw()) {
		t.Errorf("after reopening, Get = %v, %v", r.Object, err)
	}
	if after, _ := s.Bounds(ctx); after != before {
		t.Errorf("bounds changed across the restart: %+v, then %+v", before, after)
	}
	if err := s.Wait(ctx, store0()); err != nil {
		t.Errorf("Wait after a position the reopened log holds: %v", err)
	}
	b := stix.MustParse(`{"type":"malware","spec_version":"2.1","id":"malware--1c1c1c1c-1c1c-4c1c-8c1c-1c1c1c1c1c1c","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","name":"b","is_family":false}`)
	ev2, _, err := s.Put(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if ev2.Pos.Compare(ev1.Pos) <= 0 {
		t.Errorf("the first position after reopening, %s, is not after the last one before, %s", ev2.Pos, ev1.Pos)
	}
	if again, err := s.Secret(ctx, "taxii-next", 32); err != nil || string(again) != string(key) {
		t.Errorf("the secret changed across the restart (%v)", err)
	}
}

func store0() store.Position { return store.Position{} }

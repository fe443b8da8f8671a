package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// source is one configured ingestion source.
type source struct {
	cfg SourceConfig
	s   *Server
	// firstPass, if set, is called once the files were read a first time.
	firstPass func()
}

// run ingests until ctx ends (or, for a one-shot file source, once).
func (src *source) run(ctx context.Context) {
	switch {
	case len(src.cfg.Files) > 0:
		for {
			if err := src.s.ingestFiles(ctx, src.cfg.Name, src.cfg.Files, nil); err != nil && ctx.Err() == nil {
				src.s.log.Error("ingestion failed", "source", src.cfg.Name, "err", err)
			}
			if src.firstPass != nil {
				src.firstPass()
				src.firstPass = nil
			}
			if src.cfg.Watch <= 0 || !sleep(ctx, src.cfg.Watch) {
				return
			}
		}
	case src.cfg.TAXII != nil:
		src.s.pollTAXII(ctx, src.cfg.Name, src.cfg.TAXII)
	case src.cfg.Stream != nil:
		src.s.mirrorStream(ctx, src.cfg.Name, src.cfg.Stream)
	}
}

// sleep waits d or until ctx ends; it reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// InvalidError reports objects refused by an ingestion: nothing of the bundle they came
// in was stored.
type InvalidError struct {
	// Source and File name where the objects came from.
	Source, File string
	// Problems lists each refused object (its index in the bundle, its id when known) and why.
	Problems []string
}

func (e *InvalidError) Error() string {
	return fmt.Sprintf("%s: %s: %d invalid object(s), nothing stored: %s", e.Source, e.File, len(e.Problems), strings.Join(e.Problems, "; "))
}

// Progress is told how far a one-shot ingestion is: files done of files in all, and the
// objects stored so far.
type Progress func(file string, filesDone, files, objects int)

// IngestFiles loads STIX bundle files (or directories of *.json bundles) into the store
// once, as `ctifeed ingest` does. A bundle with an invalid object is refused whole and
// reported in the returned error (an *[InvalidError] among errors.Join's); the others are
// stored. Loading is idempotent: a version already stored changes nothing.
func (s *Server) IngestFiles(ctx context.Context, paths []string, progress Progress) error {
	return s.ingestFiles(ctx, "cli", paths, progress)
}

// fileCheckpoint is a file source's position: the digest of each file it stored, or
// "refused:" and the digest of a file it refused (reported once, until the file changes).
type fileCheckpoint map[string]string

const refusedPrefix = "refused:"

func (s *Server) ingestFiles(ctx context.Context, name string, paths []string, progress Progress) error {
	files, err := expand(paths)
	if err != nil {
		s.m.ingestErrors.WithLabelValues(name).Inc()
		return err
	}
	cp := fileCheckpoint{}
	if raw, err := s.cps.Load(ctx, name); err == nil && raw != "" {
		_ = json.Unmarshal([]byte(raw), &cp) // a damaged position only costs a re-read
	}
	var errs []error
	stored := 0
	for i, f := range files {
		n, digest, err := s.ingestFile(ctx, name, f, cp[f])
		stored += n
		if err != nil {
			s.m.ingestErrors.WithLabelValues(name).Inc()
			s.log.Error("ingestion refused a file", "source", name, "file", f, "err", err)
			errs = append(errs, err)
			var ie *InvalidError
			if errors.As(err, &ie) && digest != "" {
				digest = refusedPrefix + digest // not read again until it changes
			} else {
				digest = ""
			}
		}
		if digest != "" {
			cp[f] = digest
			b, _ := json.Marshal(cp)
			if err := s.cps.Save(ctx, name, string(b)); err != nil {
				errs = append(errs, err)
			}
			s.m.ingestLag.WithLabelValues(name).Set(0)
		}
		if progress != nil {
			progress(f, i+1, len(files), stored)
		}
	}
	return errors.Join(errs...)
}

// expand lists the files paths name, a directory standing for its *.json files in name order.
func expand(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			out = append(out, p)
			continue
		}
		m, err := filepath.Glob(filepath.Join(p, "*.json"))
		if err != nil {
			return nil, err
		}
		slices.Sort(m)
		out = append(out, m...)
	}
	return out, nil
}

// ingestFile stores one bundle file unless its digest is done (already stored). It
// returns how many objects it stored and the file's digest.
func (s *Server) ingestFile(ctx context.Context, name, path, done string) (int, string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, "", err
	}
	sum := sha256.Sum256(data)
	digest := hex.EncodeToString(sum[:])
	if digest == done || refusedPrefix+digest == done {
		return 0, "", nil
	}
	objs, err := decodeValid(name, path, data)
	if err != nil {
		var ie *InvalidError
		if errors.As(err, &ie) {
			s.m.ingestInvalid.WithLabelValues(name).Add(float64(len(ie.Problems)))
		}
		return 0, digest, err
	}
	if err := s.storeAll(ctx, name, objs); err != nil {
		return 0, "", fmt.Errorf("%s: %w", path, err)
	}
	s.log.Info("ingested", "source", name, "file", path, "objects", len(objs))
	return len(objs), digest, nil
}

// decodeValid decodes a bundle and validates every object; any problem refuses the whole
// bundle, so that nothing of it is half-applied.
func decodeValid(name, path string, data []byte) ([]*stix.Object, error) {
	var objs []*stix.Object
	ie := &InvalidError{Source: name, File: path}
	i := 0
	for o, err := range stix.DecodeBundle(strings.NewReader(string(data))) {
		if err != nil {
			ie.Problems = append(ie.Problems, fmt.Sprintf("object %d: %v", i, err))
			break // the bundle cannot be read further
		}
		if err := stix.Validate(o); err != nil {
			ie.Problems = append(ie.Problems, fmt.Sprintf("object %d (%s): %v", i, o.ID(), err))
		}
		objs = append(objs, o)
		i++
	}
	if len(ie.Problems) > 0 {
		return nil, ie
	}
	return objs, nil
}

// storeAll writes objs in batches; a version already stored changes nothing.
func (s *Server) storeAll(ctx context.Context, name string, objs []*stix.Object) error {
	const batch = 500
	for len(objs) > 0 {
		n := min(batch, len(objs))
		res, err := store.PutMany(ctx, s.store, objs[:n])
		if err != nil {
			return err
		}
		var refused []error
		for i, r := range res {
			if r.Err != nil {
				refused = append(refused, fmt.Errorf("%s: %w", objs[i].ID(), r.Err))
			}
		}
		s.m.ingested.WithLabelValues(name).Add(float64(n - len(refused)))
		if len(refused) > 0 {
			// The store refused these (a conflicting version): the others are stored, and
			// these are reported rather than dropped in silence.
			s.m.ingestInvalid.WithLabelValues(name).Add(float64(len(refused)))
			return fmt.Errorf("the store refused %d object(s): %w", len(refused), errors.Join(refused...))
		}
		objs = objs[n:]
	}
	return nil
}

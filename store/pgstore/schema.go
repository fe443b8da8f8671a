package pgstore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// ErrSchemaTooNew is returned by [Open] when the database was migrated by a newer version
// of this package than the running one: its tables may mean something this code does not
// know, so it refuses to touch them.
var ErrSchemaTooNew = errors.New("pgstore: the database schema is newer than this code")

// migration is one numbered step of the schema.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded steps in version order; their names start with the
// version number ("001_store.sql").
func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		num, _, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil {
			return nil, fmt.Errorf("pgstore: migration %s has no version number", base)
		}
		b, err := migrationFS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: base, sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("pgstore: migration %s out of sequence (want version %d)", m.name, i+1)
		}
	}
	return out, nil
}

// SchemaVersion is the schema version this code creates and understands.
func SchemaVersion() int {
	ms, err := migrations()
	if err != nil {
		return 0
	}
	return len(ms)
}

// migrateLock is the advisory lock key that serialises migrations: two nodes opening the
// same database at once apply each step exactly once (the second waits, then finds it done).
const migrateLock = 0x63746966 // "ctif"

// migrate brings the database's schema up to this code's version in one transaction.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	steps, err := migrations()
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(migrateLock)); err != nil {
			return fmt.Errorf("pgstore: taking the migration lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS ctifeed_schema (
			version integer PRIMARY KEY, name text NOT NULL, applied timestamptz NOT NULL DEFAULT now())`); err != nil {
			return fmt.Errorf("pgstore: creating the schema table: %w", err)
		}
		var have int
		if err := tx.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM ctifeed_schema").Scan(&have); err != nil {
			return fmt.Errorf("pgstore: reading the schema version: %w", err)
		}
		if have > len(steps) {
			return fmt.Errorf("%w: the database is at version %d, this code knows versions up to %d (upgrade the program)",
				ErrSchemaTooNew, have, len(steps))
		}
		for _, m := range steps[have:] {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return fmt.Errorf("pgstore: applying migration %s: %w", m.name, err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO ctifeed_schema (version, name) VALUES ($1, $2)", m.version, m.name); err != nil {
				return fmt.Errorf("pgstore: recording migration %s: %w", m.name, err)
			}
		}
		return nil
	})
}

package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ctifeed/ctifeed/store"
)

// Options configures a Store. The zero value (or nil) gives the defaults.
type Options struct {
	// Clock returns the current time (default time.Now). Positions take its millisecond
	// when it moved forward since the last event, else the last position's sequence + 1,
	// so nodes whose clocks disagree still append in increasing order.
	Clock func() time.Time
	// MaxEvents caps how many events the log retains (default 2,000,000, OpenCTI's stream
	// trimming; negative = no cap).
	MaxEvents int
	// MaxAge drops events older than this, checked on each write (0 = no age limit). The
	// newest event is always retained.
	MaxAge time.Duration
	// MaxConns bounds the connection pool (default: pgxpool's, the larger of 4 and the
	// number of CPUs). The listening connection comes on top of it.
	MaxConns int32
}

// DefaultMaxEvents is the log retention when Options.MaxEvents is zero.
const DefaultMaxEvents = 2_000_000

// Store is a [store.Store] on PostgreSQL. It also implements [store.Counter],
// [store.FilterPushdown] and [store.BatchWriter]. Make one with [Open]; Close it.
type Store struct {
	pool      *pgxpool.Pool
	clock     func() time.Time
	maxEvents int
	maxAge    time.Duration

	lis   *listener
	reads coalescer
}

var (
	_ store.Store          = (*Store)(nil)
	_ store.Counter        = (*Store)(nil)
	_ store.FilterPushdown = (*Store)(nil)
	_ store.BatchWriter    = (*Store)(nil)
)

// Open connects to the database dsn names (a URL, postgres://user:pass@host/db, or
// key=value pairs), creates or upgrades the schema, and starts the listening connection
// that wakes [Store.Wait]. A database whose schema is newer than this code gives
// [ErrSchemaTooNew]. ctx bounds the connection and the migration only.
func Open(ctx context.Context, dsn string, opts *Options) (*Store, error) {
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
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("pgstore: invalid DSN: %w", err)
	}
	if o.MaxConns > 0 {
		cfg.MaxConns = o.MaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("pgstore: connecting to %s: %w", describe(cfg.ConnConfig), err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	s := &Store{pool: pool, clock: o.Clock, maxEvents: o.MaxEvents, maxAge: o.MaxAge}
	s.lis = startListener(cfg.ConnConfig.Copy())
	return s, nil
}

// describe names a server without its password, for error messages.
func describe(c *pgx.ConnConfig) string {
	return fmt.Sprintf("database %q on %s:%d as %q", c.Database, c.Host, c.Port, c.User)
}

// Close stops the listening connection and closes the pool; waiting calls end with an
// error. It is safe to call more than once.
func (s *Store) Close() {
	s.lis.stop()
	s.pool.Close()
}

// Pool returns the store's connection pool, for hosts that keep state of their own in the
// same database.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

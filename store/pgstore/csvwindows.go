package pgstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ctifeed/ctifeed/csvfeed"
)

// CSVWindows is a [csvfeed.WindowState] on the store's database, for
// [csvfeed.SchedulerOptions].State: CSV feeds' since-previous windows continue from the
// stored close after a restart, and the schedulers of every node that opens the database
// publish the same windows, each closed once. Make one with [Store.CSVWindows]; it is
// safe for concurrent use and needs no closing.
//
// Advance holds the feed's row lock (SELECT … FOR UPDATE) while the scheduler fixes the
// window and generates its public file. The lock is held on a connection of its own,
// outside the store's pool, so that generations of many feeds at once, which read
// through the pool, can never wait for a pooled connection held by a lock.
type CSVWindows struct{ s *Store }

var _ csvfeed.WindowState = CSVWindows{}

// CSVWindows returns the store's CSV window state.
func (s *Store) CSVWindows() CSVWindows { return CSVWindows{s: s} }

// Advance implements [csvfeed.WindowState].
func (c CSVWindows) Advance(ctx context.Context, feed string, next func(prev *csvfeed.Window) (csvfeed.Window, error)) (csvfeed.Window, error) {
	if err := ctx.Err(); err != nil {
		return csvfeed.Window{}, err
	}
	conn, err := pgx.ConnectConfig(ctx, c.s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return csvfeed.Window{}, c.s.wrap(ctx, "connecting to lock the CSV window of "+feed, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var out csvfeed.Window
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "INSERT INTO ctifeed_csv_windows (feed) VALUES ($1) ON CONFLICT (feed) DO NOTHING", feed); err != nil {
			return err
		}
		var body []byte
		if err := tx.QueryRow(ctx, "SELECT win FROM ctifeed_csv_windows WHERE feed = $1 FOR UPDATE", feed).Scan(&body); err != nil {
			return err
		}
		var prev *csvfeed.Window
		if body != nil {
			prev = new(csvfeed.Window)
			if err := json.Unmarshal(body, prev); err != nil {
				return fmt.Errorf("pgstore: the stored CSV window of %q does not decode: %w", feed, err)
			}
		}
		w, err := next(prev)
		if err != nil {
			return errNext{err}
		}
		body, err = json.Marshal(w)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE ctifeed_csv_windows SET win = $2 WHERE feed = $1", feed, body); err != nil {
			return err
		}
		out = w
		return nil
	})
	if e, ok := err.(errNext); ok {
		return csvfeed.Window{}, e.err // the scheduler's own error, as it gave it
	}
	if err != nil {
		return csvfeed.Window{}, c.s.wrap(ctx, "storing the CSV window of "+feed, err)
	}
	return out, nil
}

// errNext carries the scheduler's error through the transaction unchanged.
type errNext struct{ err error }

func (e errNext) Error() string { return e.err.Error() }

package pgstore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Secret returns the random secret called name, size bytes long, creating it on first use
// (with crypto/rand) and keeping it in the database: every node that opens the database
// gets the same bytes, so it suits the TAXII `next` signing key
// ([taxii.HandlerOptions.CursorKey]) of a platform served by several nodes. Nodes that ask
// at once agree on one value. A secret kept with another size is an error. A key from the
// host's configuration, the same on every node, serves as well.
func (s *Store) Secret(ctx context.Context, name string, size int) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if name == "" || size < 1 || size > 4096 {
		return nil, fmt.Errorf("pgstore: a secret needs a name and a size of 1 to 4096 bytes")
	}
	fresh := make([]byte, size)
	rand.Read(fresh)
	var out []byte
	var err error
	// The insert loses to a concurrent one without error. The select reads the winner,
	// unless the winner committed after this statement's snapshot was taken: then the
	// statement finds nothing, and the next one sees it.
	for try := 0; try < 3; try++ {
		err = s.pool.QueryRow(ctx, `WITH ins AS (INSERT INTO ctifeed_secrets (name, value) VALUES ($1, $2)
				ON CONFLICT (name) DO NOTHING RETURNING value)
			SELECT value FROM ins UNION ALL SELECT value FROM ctifeed_secrets WHERE name = $1 LIMIT 1`, name, fresh).Scan(&out)
		if !errors.Is(err, pgx.ErrNoRows) {
			break
		}
	}
	if err != nil {
		return nil, s.wrap(ctx, "reading secret "+name, err)
	}
	if len(out) != size {
		return nil, fmt.Errorf("pgstore: secret %q is kept with %d bytes, not %d", name, len(out), size)
	}
	return out, nil
}

package pgtest

import (
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// Two tests get two different, empty, working databases.
func TestDSNGivesSeparateDatabases(t *testing.T) {
	names := map[string]bool{}
	for range 2 {
		dsn := DSN(t)
		conn, err := pgx.Connect(t.Context(), dsn)
		if err != nil {
			t.Fatalf("connecting to %s: %v", dsn, err)
		}
		var db string
		if err := conn.QueryRow(t.Context(), "SELECT current_database()").Scan(&db); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("database %s is not empty: %d tables", db, n)
		}
		names[db] = true
		conn.Close(t.Context())
	}
	if len(names) != 2 {
		t.Errorf("two calls gave databases %v, want two different ones", names)
	}
}

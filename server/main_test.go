package server

import (
	"os"
	"testing"

	"github.com/ctifeed/ctifeed/internal/pgtest"
)

// TestMain starts the throwaway PostgreSQL the postgres engine's tests use (or skips them,
// as internal/pgtest documents).
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

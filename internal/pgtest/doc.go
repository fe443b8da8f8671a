// Package pgtest gives tests a throwaway PostgreSQL server: one cluster per test binary,
// started from the installed binaries in a temporary directory on a Unix socket (no TCP
// port), and one fresh database per test.
//
// A test binary calls [Main] from its TestMain; each test calls [DSN] for the connection
// string of a database of its own, dropped when the test ends.
//
// Where the server comes from, in order:
//   - the variable CTIFEED_TEST_POSTGRES_DSN: a DSN of a role allowed to create databases
//     (nothing is started; databases named ctifeed_test_* are created and dropped on it);
//   - the binaries initdb and postgres from /usr/lib/postgresql/<version>/bin (the newest
//     version) or from $PATH: a cluster in a temporary directory, removed at the end. As
//     root, where initdb refuses to run, the cluster runs as the "postgres" user (created
//     by Debian's package) in a directory that user owns;
//   - neither: every test that asks for a database is skipped, saying why, unless
//     CTIFEED_REQUIRE_POSTGRES=1, which turns that skip into a failure (CI sets it so that
//     it never passes without having run them).
//
// The throwaway cluster trades durability for speed (fsync off): it is for tests and
// benchmarks of this process only.
package pgtest

// Package statustest checks a [taxii.StatusStore] implementation against every
// obligation the interface states. A host runs it from a test:
//
//	func TestStatusStore(t *testing.T) {
//		statustest.Run(t, func(t *testing.T) taxii.StatusStore {
//			return mystore.New(t)
//		})
//	}
//
// Each obligation is a subtest on a fresh, empty store. Expected results are the records
// the suite stored, never read back from the store under test. Times are whole
// microseconds (what PostgreSQL keeps), so a store must keep Expires to the microsecond.
// Subtests report every misbehaviour they find; run the suite with -race.
package statustest

// Package storetest is the conformance suite for [store.Store] implementations: one call
// checks every obligation the store package documents, one subtest per obligation, each on a
// fresh store, driven only through the public interfaces.
//
// An engine runs it from one test function:
//
//	func TestConformance(t *testing.T) {
//		storetest.RunWith(t, storetest.Harness{
//			New: func(t *testing.T) store.Store { return open(t, defaultRetention) },
//			NewWithRetention: func(t *testing.T, maxEvents int) store.Store {
//				return open(t, maxEvents)
//			},
//		})
//	}
//
// [Run] (a constructor only) is [RunWith] with just [Harness.New]. Obligations that depend on
// configuration, such as what retention does to the log and to reads as of a position
// (ErrGap, histories dropped with their events), need the matching optional [Harness] field;
// without it their subtests skip and name the field, so a missing capability shows in the
// test output instead of passing silently.
//
// The suite uses the store's own clock and makes no assumption about it beyond what the
// contract states (positions increase, times never decrease, events are after 1970), so it
// runs against real servers as well as in-memory stores.
//
// Subtests report every misbehaviour they find (t.Error), stopping early (t.Fatal) only when
// a setup step fails. Run the suite with -race: several subtests write and read at once, and
// some check that a reader never observes part of an atomic step.
package storetest

// Package storetest is the conformance suite for [store.Store] implementations: one call to
// [Run] checks every obligation the store package documents, one subtest per obligation, each
// on a fresh store, driven only through the public interfaces.
//
// The suite uses the store's own clock and makes no assumption about it beyond what the
// contract states, so it runs against real servers as well as in-memory stores. It needs a
// store that retains at least 1,000 events; retention itself (ErrGap) depends on
// configuration and is left to each implementation's own tests.
//
// Subtests report every misbehaviour they find (t.Error), stopping early (t.Fatal) only when
// a setup step fails. Run the suite with -race: several subtests write and read at once.
package storetest

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

import (
	"testing"

	"github.com/ctifeed/ctifeed/store"
)

// Run runs the conformance suite. newStore is called once per subtest and must return an
// empty store; it may register cleanups with t.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		// Reader and Writer
		{"GetMissingIsNotFound", testGetMissing},
		{"PutCreates", testPutCreates},
		{"PutNewerVersionUpdates", testPutUpdates},
		{"PutDuplicateIsSilent", testPutDuplicate},
		{"PutOlderVersionIsKeptNotCurrent", testPutOlder},
		{"PutSameVersionDifferentContentConflicts", testPutConflict},
		{"PutUnversionedComparesContent", testPutUnversioned},
		{"PutRejectsInvalid", testPutInvalid},
		{"DeleteRemovesEveryVersion", testDelete},
		{"MergeRemovesSourcesInOneEvent", testMerge},
		{"MergeErrorsChangeNothing", testMergeErrors},
		{"GetManyOmitsMissing", testGetMany},
		{"VersionsAscending", testVersions},
		{"RelationsOfFindsBothEnds", testRelationsOf},
		// Scanner
		{"ScanOrdersAndDirections", testScanOrders},
		{"ScanNextIsExact", testScanExactNext},
		{"ScanTypes", testScanTypes},
		{"ScanSinceUntilHalfOpen", testScanSinceUntil},
		{"ScanMatchKeepsPagesExact", testScanMatch},
		{"ScanRejectsBadOptions", testScanInvalid},
		{"ScanWhileInsertingSkipsAndRepeatsNothing", testScanWhileInserting},
		{"ScanUpdatedMovesChangedRecords", testScanUpdatedMoves},
		{"AllIteratesEveryRecord", testAll},
		// Log
		{"LogPositionsIncrease", testLogPositions},
		{"LogReadAfterAndLimit", testLogRead},
		{"LogBounds", testLogBounds},
		{"LogPositionAt", testLogPositionAt},
		{"WaitReturnsWhenEventExists", testWaitReady},
		{"WaitWakesOnAppend", testWaitWakes},
		{"WaitEndsWithContext", testWaitContext},
		// Everything
		{"CancelledContext", testCancelled},
		{"ConcurrentWritersAndReaders", testConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			if s == nil {
				t.Fatal("newStore returned nil")
			}
			tc.fn(t, s)
		})
	}
}

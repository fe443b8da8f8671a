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

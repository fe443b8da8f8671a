package storetest

import (
	"testing"

	"github.com/ctifeed/ctifeed/store"
)

// Harness says how to build the stores the suite runs on and which configuration-dependent
// obligations an engine can be held to. Only New is required; a nil optional field makes the
// subtests that need it skip, each saying which field would enable it (as watermill's
// Features do), so no obligation is ever silently absent. Fields may be added later; a
// harness that leaves them nil keeps working.
type Harness struct {
	// New returns an empty store whose log retains at least 1,000 events. It is called
	// once per subtest and may register cleanups with t.
	New func(t *testing.T) store.Store

	// NewWithRetention returns an empty store whose log keeps only the newest maxEvents
	// events (1 ≤ maxEvents ≤ 100): once a write has returned, every older event has been
	// dropped and [store.LogBounds.Dropped] is the newest dropped one. The retention
	// subtests (ErrGap from Read and from as-of reads at dropped positions, histories
	// dropped with their events) run only when it is set.
	NewWithRetention func(t *testing.T, maxEvents int) store.Store
}

// Run runs the conformance suite on stores made by newStore, which is called once per
// subtest, must return an empty store retaining at least 1,000 events, and may register
// cleanups with t. It is RunWith with only [Harness.New]: the subtests that need more skip
// and say so.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	RunWith(t, Harness{New: newStore})
}

// RunWith runs the conformance suite on the stores h builds: one subtest per documented
// obligation, each on a fresh store.
func RunWith(t *testing.T, h Harness) {
	if h.New == nil {
		t.Fatal("storetest: Harness.New is required")
	}
	for _, tc := range suite() {
		t.Run(tc.name, func(t *testing.T) {
			if tc.retention != nil {
				if h.NewWithRetention == nil {
					t.Skip("needs Harness.NewWithRetention: the engine did not say how to build a store with a small log retention")
				}
				tc.retention(t, func(maxEvents int) store.Store { return nonNil(t, h.NewWithRetention(t, maxEvents)) })
				return
			}
			tc.fn(t, nonNil(t, h.New(t)))
		})
	}
}

func nonNil(t *testing.T, s store.Store) store.Store {
	t.Helper()
	if s == nil {
		t.Fatal("the harness returned a nil store")
	}
	return s
}

// subtest is one obligation: fn runs on a fresh default store; retention, when set instead,
// builds its own stores with a small retention.
type subtest struct {
	name      string
	fn        func(t *testing.T, s store.Store)
	retention func(t *testing.T, newStore func(maxEvents int) store.Store)
}

func suite() []subtest {
	return []subtest{
		// Reader and Writer
		{name: "GetMissingIsNotFound", fn: testGetMissing},
		{name: "PutCreates", fn: testPutCreates},
		{name: "PutNewerVersionUpdates", fn: testPutUpdates},
		{name: "PutDuplicateIsSilent", fn: testPutDuplicate},
		{name: "PutOlderVersionIsKeptNotCurrent", fn: testPutOlder},
		{name: "PutSameVersionDifferentContentConflicts", fn: testPutConflict},
		{name: "PutUnversionedComparesContent", fn: testPutUnversioned},
		{name: "PutRejectsInvalid", fn: testPutInvalid},
		{name: "PutManyIsPutInOrder", fn: testPutMany},
		{name: "PutManyIsAtomic", fn: testPutManyAtomic},
		{name: "DeleteRemovesEveryVersion", fn: testDelete},
		{name: "MergeRemovesSourcesInOneEvent", fn: testMerge},
		{name: "MergeErrorsChangeNothing", fn: testMergeErrors},
		{name: "MergeRefusesAStoredOlderTarget", fn: testMergeOlderStoredTarget},
		{name: "DeleteCascadesToRelations", fn: testDeleteCascades},
		{name: "MergeCascadesFromSources", fn: testMergeCascades},
		{name: "GetManyOmitsMissing", fn: testGetMany},
		{name: "VersionsAscending", fn: testVersions},
		{name: "RelationsOfFindsBothEnds", fn: testRelationsOf},
		// History
		{name: "AsOfReadsReplayTheLog", fn: testAsOfReplay},
		{name: "AsOfOutOfBoundsErrors", fn: testAsOfOutOfBounds},
		// Scanner
		{name: "ScanOrdersAndDirections", fn: testScanOrders},
		{name: "ScanNextIsExact", fn: testScanExactNext},
		{name: "ScanTypes", fn: testScanTypes},
		{name: "ScanSinceUntilHalfOpen", fn: testScanSinceUntil},
		{name: "ScanMatchKeepsPagesExact", fn: testScanMatch},
		{name: "ScanRejectsBadOptions", fn: testScanInvalid},
		{name: "ScanWhileInsertingSkipsAndRepeatsNothing", fn: testScanWhileInserting},
		{name: "ScanUpdatedMovesChangedRecords", fn: testScanUpdatedMoves},
		{name: "ScanMatchNeverRepeatsAMovedRecordInAPage", fn: testScanMatchMovedNotRepeated},
		{name: "AllIteratesEveryRecord", fn: testAll},
		// Log
		{name: "LogPositionsIncrease", fn: testLogPositions},
		{name: "LogReadAfterAndLimit", fn: testLogRead},
		{name: "LogBounds", fn: testLogBounds},
		{name: "LogPositionAt", fn: testLogPositionAt},
		{name: "LogOriginAndCheck", fn: testLogOrigin},
		{name: "RetentionGaps", retention: testRetentionGaps},
		{name: "RetentionAsOfFollowsTheLog", retention: testRetentionAsOf},
		{name: "WaitReturnsWhenEventExists", fn: testWaitReady},
		{name: "WaitWakesOnAppend", fn: testWaitWakes},
		{name: "WaitEndsWithContext", fn: testWaitContext},
		// Everything
		{name: "CancelledContext", fn: testCancelled},
		{name: "ConcurrentWritersAndReaders", fn: testConcurrent},
		{name: "CascadeIsAtomicToReaders", fn: testCascadeAtomic},
		{name: "AsOfReadsRacingWrites", fn: testAsOfRacingWrites},
	}
}

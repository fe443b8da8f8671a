package taxii_test

import (
	"encoding/json"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/ctifeed/ctifeed/taxii"
)

// emptyObjects is issue 16's amplifying POST: n `{}` objects (2.9 MB for a million).
func emptyObjects(n int) string {
	return `{"objects":[` + strings.Repeat(`{},`, n-1) + `{}]}`
}

func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// Guards issue 16 item 5: one 2.9 MB POST of a million `{}` objects kept ~113 MiB of
// status details for a day and answered 79 MiB. By default such an envelope is refused
// with 413 before it is decoded; an envelope at the limit (100,000 such objects, which
// kept ~11 MiB before the cap) gets a status with exact counts but at most
// MaxStatusDetails details per list.
func TestPostOfAMillionEmptyObjectsKeepsStatusMemoryBounded(t *testing.T) {
	big := func(o *taxii.HandlerOptions) { o.APIRoots[0].MaxContentLength = 4 << 20 }

	t.Run("RefusedByDefault", func(t *testing.T) {
		f := newFixture(t, big)
		before := liveHeap()
		rec := send(f.h, exchange{method: "POST", target: indObjs, user: "reader", contentType: taxii.MediaType, body: emptyObjects(1_000_000)})
		after := liveHeap()
		if rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(rec.Body.String(), "1000000 objects") {
			t.Errorf("POST of a million objects: %d %s, want 413 naming the count", rec.Code, rec.Body)
		}
		if grew := int64(after) - int64(before); grew > 4<<20 {
			t.Errorf("the refused POST left %d MiB more live heap", grew>>20)
		}
	})

	t.Run("AcceptedAtTheLimitWithBoundedStatus", func(t *testing.T) {
		const n = taxii.DefaultMaxPostObjects
		f := newFixture(t, big)
		before := liveHeap()
		rec := send(f.h, exchange{method: "POST", target: indObjs, user: "reader", contentType: taxii.MediaType, body: emptyObjects(n)})
		after := liveHeap()
		if rec.Code != http.StatusAccepted {
			t.Fatalf("POST: %d %s", rec.Code, rec.Body)
		}
		if rec.Body.Len() > 64<<10 {
			t.Errorf("the 202 answer is %d bytes; it must not grow with the envelope", rec.Body.Len())
		}
		var st taxii.Status
		if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil {
			t.Fatal(err)
		}
		if st.TotalCount != n || st.FailureCount != n || st.SuccessCount+st.PendingCount != 0 {
			t.Errorf("counts are not exact: total %d, failures %d, successes %d, pending %d",
				st.TotalCount, st.FailureCount, st.SuccessCount, st.PendingCount)
		}
		if len(st.Failures) != taxii.DefaultMaxStatusDetails {
			t.Errorf("%d failure details listed, want the first %d", len(st.Failures), taxii.DefaultMaxStatusDetails)
		}
		// The kept status is what remains of the request.
		if grew := int64(after) - int64(before); grew > 2<<20 {
			t.Errorf("the kept status holds %d MiB of live heap", grew>>20)
		}
		runtime.KeepAlive(f)
	})
}

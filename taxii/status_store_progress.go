package taxii

import (
	"encoding/json"

	"github.com/tidwall/gjson"
)

// progress builds a POST's status resource as its objects are written, in order. Counts
// are exact; each detail list holds at most max entries (the first objects of its kind),
// so the status costs O(max) memory whatever the number of objects: issue 16 found a
// million-object POST keeping 113 MiB of details for a day.
type progress struct {
	st   Status
	max  int
	raws []json.RawMessage
	next int // index of the first object not written yet
}

func newProgress(st Status, raws []json.RawMessage, max int) *progress {
	st.TotalCount, st.PendingCount = len(raws), len(raws)
	st.Status = StatusPending
	return &progress{st: st, max: max, raws: raws}
}

// record counts the outcome of the next object.
func (p *progress) record(d StatusDetail, ok bool) {
	p.next++
	p.st.PendingCount--
	if ok {
		p.st.SuccessCount++
		if len(p.st.Successes) < p.max {
			p.st.Successes = append(p.st.Successes, d)
		}
	} else {
		p.st.FailureCount++
		if len(p.st.Failures) < p.max {
			p.st.Failures = append(p.st.Failures, d)
		}
	}
}

// status returns the current status, its pendings being the next objects to write (at
// most max of them); it shares no slice with p.
func (p *progress) status() Status {
	st := p.st.Clone()
	st.Pendings = nil
	for _, raw := range p.raws[p.next:min(len(p.raws), p.next+p.max)] {
		st.Pendings = append(st.Pendings, StatusDetail{ID: gjson.GetBytes(raw, "id").String()})
	}
	if st.PendingCount == 0 {
		st.Status = StatusComplete
	}
	return st
}

package stream

import (
	"encoding/json"

	"github.com/wI2L/jsondiff"

	"github.com/ctifeed/ctifeed/stix"
)

// patches returns the RFC 6902 JSON Patch from prev to cur and the one back, computed on
// the objects as the subscriber receives them (so a patch never reveals what redaction
// removed). Both are JSON arrays, "[]" when nothing changed.
func patches(prev, cur *stix.Object) (fwd, rev json.RawMessage, err error) {
	if fwd, err = diff(prev, cur); err != nil {
		return nil, nil, err
	}
	if rev, err = diff(cur, prev); err != nil {
		return nil, nil, err
	}
	return fwd, rev, nil
}

func diff(from, to *stix.Object) (json.RawMessage, error) {
	p, err := jsondiff.CompareJSON(from.Raw(), to.Raw())
	if err != nil {
		return nil, err
	}
	if len(p) == 0 {
		return json.RawMessage("[]"), nil
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	return b, nil
}

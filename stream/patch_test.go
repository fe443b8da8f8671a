package stream_test

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/stream"
)

// Update messages carry a patch that turns the previous version into the sent one and a
// reverse patch that turns it back: applied by an independent RFC 6902 applier, both land
// exactly on the other document.
func TestUpdatePatchesApply(t *testing.T) {
	base := indicator(t, 1, "Emotet C2", stix.Common{ID: oid("indicator", 1), Created: t0,
		Labels: []string{"detection", "a", "b"}, Extra: map[string]any{
			"kill_chain_phases": []map[string]any{{"kill_chain_name": "k", "phase_name": "p"}},
			"x_nested":          map[string]any{"a/b": 1, "c~d": []any{1, 2, 3}}}})
	for i, ed := range []func(m map[string]any){
		func(m map[string]any) { m["name"] = "renamed" },
		func(m map[string]any) { m["labels"] = []string{"b", "detection"} },
		func(m map[string]any) { m["labels"] = []string{"detection", "a", "b", "c", "d"} },
		func(m map[string]any) { delete(m, "kill_chain_phases"); m["description"] = "x" },
		func(m map[string]any) { m["x_nested"] = map[string]any{"a/b": 2, "c~d": []any{3}, "e": nil} },
		func(m map[string]any) {},
	} {
		t.Run(fmt.Sprint("edit", i), func(t *testing.T) {
			next := edit(t, base, t0.Add(time.Duration(i+1)*time.Second), ed)
			h := newHarness(t, harnessOptions{def: stream.Definition{Filters: mustGroup(t, "entity_type = Indicator")}})
			h.put(base)
			msgs := func() []stream.Message { h.put(next); return h.all[1:] }()
			if len(msgs) != 1 || msgs[0].Type != stream.Update {
				t.Fatalf("want one update, got %v", msgs)
			}
			m := msgs[0]
			checkApply(t, "patch", base.Raw(), m.Patch, next.Raw())
			checkApply(t, "reverse patch", next.Raw(), m.ReversePatch, base.Raw())
		})
	}
}

func checkApply(t *testing.T, what string, from []byte, patch json.RawMessage, want []byte) {
	t.Helper()
	var doc, w any
	if err := json.Unmarshal(from, &doc); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	var ops []struct {
		Op, Path, From string
		Value          json.RawMessage
	}
	if err := json.Unmarshal(patch, &ops); err != nil {
		t.Fatalf("%s %s is not a JSON Patch: %v", what, patch, err)
	}
	for _, op := range ops {
		var v any
		if op.Value != nil {
			if err := json.Unmarshal(op.Value, &v); err != nil {
				t.Fatal(err)
			}
		}
		var err error
		switch op.Op {
		case "add", "replace", "remove":
			doc, err = applyOp(doc, pointer(op.Path), op.Op, v)
		case "move", "copy":
			var got any
			if got, err = getPtr(doc, pointer(op.From)); err == nil {
				if op.Op == "move" {
					doc, err = applyOp(doc, pointer(op.From), "remove", nil)
				}
				if err == nil {
					doc, err = applyOp(doc, pointer(op.Path), "add", got)
				}
			}
		case "test":
			var got any
			if got, err = getPtr(doc, pointer(op.Path)); err == nil && !cmp.Equal(got, v) {
				err = fmt.Errorf("test failed at %s", op.Path)
			}
		default:
			err = fmt.Errorf("unknown op %q", op.Op)
		}
		if err != nil {
			t.Fatalf("%s %s: %v", what, patch, err)
		}
	}
	if diff := cmp.Diff(w, doc); diff != "" {
		t.Errorf("%s %s does not produce the target (-want +got):\n%s", what, patch, diff)
	}
}

// pointer splits an RFC 6901 JSON Pointer into unescaped tokens.
func pointer(p string) []string {
	if p == "" {
		return nil
	}
	toks := strings.Split(p[1:], "/")
	for i, s := range toks {
		toks[i] = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
	}
	return toks
}

func getPtr(doc any, toks []string) (any, error) {
	for _, tok := range toks {
		switch d := doc.(type) {
		case map[string]any:
			v, ok := d[tok]
			if !ok {
				return nil, fmt.Errorf("no member %q", tok)
			}
			doc = v
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(d) {
				return nil, fmt.Errorf("bad index %q", tok)
			}
			doc = d[i]
		default:
			return nil, fmt.Errorf("cannot descend into %T", doc)
		}
	}
	return doc, nil
}

// applyOp applies add, replace or remove at toks and returns the new document.
func applyOp(doc any, toks []string, op string, v any) (any, error) {
	if len(toks) == 0 {
		if op == "remove" {
			return nil, nil
		}
		return v, nil
	}
	tok, rest := toks[0], toks[1:]
	switch d := doc.(type) {
	case map[string]any:
		if len(rest) > 0 {
			child, ok := d[tok]
			if !ok {
				return nil, fmt.Errorf("no member %q", tok)
			}
			c, err := applyOp(child, rest, op, v)
			d[tok] = c
			return d, err
		}
		_, exists := d[tok]
		switch op {
		case "remove", "replace":
			if !exists {
				return nil, fmt.Errorf("%s of missing member %q", op, tok)
			}
		}
		if op == "remove" {
			delete(d, tok)
		} else {
			d[tok] = v
		}
		return d, nil
	case []any:
		i := len(d)
		if tok != "-" {
			var err error
			if i, err = strconv.Atoi(tok); err != nil || i < 0 || i > len(d) {
				return nil, fmt.Errorf("bad index %q", tok)
			}
		}
		if len(rest) > 0 {
			if i >= len(d) {
				return nil, fmt.Errorf("index %d out of range", i)
			}
			c, err := applyOp(d[i], rest, op, v)
			d[i] = c
			return d, err
		}
		switch op {
		case "add":
			return append(d[:i], append([]any{v}, d[i:]...)...), nil
		case "remove", "replace":
			if i >= len(d) {
				return nil, fmt.Errorf("%s at index %d out of range", op, i)
			}
			if op == "replace" {
				d[i] = v
				return d, nil
			}
			return append(d[:i], d[i+1:]...), nil
		}
	}
	return nil, fmt.Errorf("cannot apply %s into %T", op, doc)
}

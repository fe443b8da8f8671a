package main

import (
	"context"
	"flag"
	"strings"
	"testing"

	"github.com/ctifeed/ctifeed/internal/golden"
)

var update = flag.Bool("update", false, "rewrite testdata/output.golden")

// TestOutput pins the printed replay (reviewed against the seed's table).
func TestOutput(t *testing.T) {
	var b strings.Builder
	if err := replay(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/output.golden", b.String(), *update)
}

// TestStreamSaysWhatTheTableSays checks each printed step: where the table lists creates,
// the stream's messages say the same words in the same order; where it deletes "X and the
// relationship", the stream deletes both, the relationship first (it references X).
func TestStreamSaysWhatTheTableSays(t *testing.T) {
	var b strings.Builder
	if err := replay(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	checked := 0
	for i := 0; i+1 < len(lines); i++ {
		table, ok := strings.CutPrefix(strings.TrimSpace(lines[i]), "table:")
		if !ok {
			continue
		}
		got, _ := strings.CutPrefix(strings.TrimSpace(lines[i+1]), "stream:")
		table, got = strings.TrimSpace(table), strings.TrimSpace(got)
		want := table
		if strings.HasSuffix(table, " and the relationship") {
			want = "Delete the relationship indicates, delete " + strings.TrimPrefix(strings.TrimSuffix(table, " and the relationship"), "Delete ")
		}
		if got != want {
			t.Errorf("line %d: table says %q, stream did %q (want %q)", i+1, table, got, want)
		}
		checked++
	}
	if checked != 10 {
		t.Errorf("checked %d table cells, want 10 (5 steps x 2 settings)", checked)
	}
}

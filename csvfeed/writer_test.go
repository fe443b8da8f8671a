package csvfeed_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctifeed/ctifeed/csvfeed"
)

// corpus holds cells that need care: separators, quotes, line breaks, formula prefixes,
// non-ASCII text and invalid UTF-8.
var corpus = []string{
	"", "plain", " leading and trailing ", "a,b", "a;b", "a\tb", "a|b", "a€b",
	`"`, `""`, `say "hi"`, `"quoted"`, "trailing quote\"",
	"two\nlines", "two\r\nlines", "cr\ronly", "\n", "\r\n", "ends with LF\n",
	"=1+2", "+1", "-1", "@SUM(A1)", "\tTAB", "\rCR", "=cmd|' /C calc'!A0", "'already",
	"Zürich", "東京", "emoji 🙂", "\u00a0nbsp", "\ufeffbom", "bad \xff utf8",
	`\.`, "#comment",
}

// expectRead is what encoding/csv's Reader gives back for a cell we wrote: the cell with
// its formula prefix neutralised and, as that reader normalises line ends inside quoted
// fields, CRLF read as LF.
func expectRead(cell string, allowFormulas bool) string {
	if !allowFormulas && cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		cell = "'" + cell
	}
	return strings.ReplaceAll(cell, "\r\n", "\n")
}

// TestWriterOracle writes the corpus with each separator, with and without formula
// neutralisation, and reads it back with encoding/csv as the oracle.
func TestWriterOracle(t *testing.T) {
	for _, sep := range []rune{',', ';', '\t', '|', '€'} {
		for _, allow := range []bool{false, true} {
			var buf bytes.Buffer
			w, err := csvfeed.NewWriter(&buf, &csvfeed.WriterOptions{Separator: sep, AllowFormulas: allow})
			if err != nil {
				t.Fatal(err)
			}
			var want [][]string
			for i, c := range corpus {
				row := []string{c, corpus[(i+1)%len(corpus)], "x"}
				if err := w.Write(row); err != nil {
					t.Fatal(err)
				}
				want = append(want, []string{expectRead(row[0], allow), expectRead(row[1], allow), "x"})
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			r := csv.NewReader(&buf)
			r.Comma = sep
			got, err := r.ReadAll()
			if err != nil {
				t.Fatalf("sep %q: %v", sep, err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("sep %q allowFormulas %t (-want +got):\n%s", sep, allow, diff)
			}
		}
	}
}

// TestWriterBytes pins the exact bytes for the rules a reader cannot show.
func TestWriterBytes(t *testing.T) {
	tests := []struct {
		rule  string
		opts  *csvfeed.WriterOptions
		cells []string
		want  string
	}{
		{"rows end with CRLF", nil, []string{"a", "b"}, "a,b\r\n"},
		{"LF inside a cell stays LF (encoding/csv with UseCRLF would write CRLF)", nil, []string{"a\nb"}, "\"a\nb\"\r\n"},
		{"a lone CR is quoted", nil, []string{"a\rb"}, "\"a\rb\"\r\n"},
		{"quotes are doubled", nil, []string{`a"b`}, "\"a\"\"b\"\r\n"},
		{"a leading space is not quoted", nil, []string{" a"}, " a\r\n"},
		{"a lone empty cell is quoted so the row is not blank", nil, []string{""}, "\"\"\r\n"},
		{"empty cells among others stay bare", nil, []string{"", ""}, ",\r\n"},
		{"a formula gets an apostrophe", nil, []string{"=1"}, "'=1\r\n"},
		{"the apostrophe goes inside the quotes", nil, []string{"=a,b"}, "\"'=a,b\"\r\n"},
		{"a tab formula under tab separator is quoted and neutralised", &csvfeed.WriterOptions{Separator: '\t'}, []string{"\tx", "y"}, "\"'\tx\"\ty\r\n"},
		{"with ' as separator a neutralised cell is quoted", &csvfeed.WriterOptions{Separator: '\''}, []string{"+1", "b"}, "\"'+1\"'b\r\n"},
		{"formulas can be allowed", &csvfeed.WriterOptions{AllowFormulas: true}, []string{"=1", "-2"}, "=1,-2\r\n"},
		{"a multi-byte separator quotes cells holding it", &csvfeed.WriterOptions{Separator: '€'}, []string{"1€", "2"}, "\"1€\"€2\r\n"},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		w, err := csvfeed.NewWriter(&buf, tt.opts)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(tt.cells); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		if buf.String() != tt.want {
			t.Errorf("%s: got %q, want %q", tt.rule, buf.String(), tt.want)
		}
	}
	for _, sep := range []rune{'"', '\r', '\n', 0xFFFD} {
		if _, err := csvfeed.NewWriter(&bytes.Buffer{}, &csvfeed.WriterOptions{Separator: sep}); !errors.Is(err, csvfeed.ErrInvalid) {
			t.Errorf("separator %q: err = %v, want ErrInvalid", sep, err)
		}
	}
}

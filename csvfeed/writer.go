package csvfeed

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// WriterOptions configure a [Writer]. The zero value (or nil) separates with commas and
// neutralises formulas.
type WriterOptions struct {
	// Separator separates cells (default ','); not a double quote, CR, LF or U+FFFD.
	Separator rune
	// AllowFormulas writes cells that a spreadsheet would execute (starting with = + - @
	// tab or CR) unchanged instead of prefixing them with an apostrophe.
	AllowFormulas bool
}

// Writer writes CSV per RFC 4180: rows end with CRLF; a cell is quoted when it contains
// the separator, a double quote, CR or LF, and its double quotes are doubled; nothing
// else is changed (a CR or LF inside a cell is written as it is). A row of one empty cell
// is written `""`, so that it is not a blank line that readers skip.
//
// encoding/csv's Writer is not used because with UseCRLF it rewrites every LF inside a
// quoted cell as CRLF, changing the cell, and it quotes cells for reasons of its own
// (a leading space, `\.`).
//
// A Writer buffers; call Flush at the end. It is not safe for concurrent use.
type Writer struct {
	w   *bufio.Writer
	f   rowFormat
	buf []byte
}

// NewWriter returns a Writer to w; opts may be nil. The error wraps [ErrInvalid] for an
// unusable separator.
func NewWriter(w io.Writer, opts *WriterOptions) (*Writer, error) {
	var o WriterOptions
	if opts != nil {
		o = *opts
	}
	if o.Separator == 0 {
		o.Separator = ','
	}
	f, err := newRowFormat(string(o.Separator), o.AllowFormulas)
	if err != nil {
		return nil, err
	}
	return &Writer{w: bufio.NewWriter(w), f: f}, nil
}

// Write writes one row.
func (w *Writer) Write(cells []string) error {
	w.buf = w.f.appendRow(w.buf[:0], cells)
	_, err := w.w.Write(w.buf)
	return err
}

// Flush writes any buffered data to the underlying writer.
func (w *Writer) Flush() error { return w.w.Flush() }

// rowFormat renders rows; it is immutable.
type rowFormat struct {
	sep           string
	allowFormulas bool
	specials      string // the bytes that force quoting besides the separator
}

func newRowFormat(sep string, allowFormulas bool) (rowFormat, error) {
	r, err := separatorRune(sep)
	if err != nil {
		return rowFormat{}, fmt.Errorf("%w: separator %v", ErrInvalid, err)
	}
	f := rowFormat{sep: string(r), allowFormulas: allowFormulas, specials: "\"\r\n"}
	if r < utf8.RuneSelf {
		f.specials += string(r)
	}
	return f, nil
}

// formulaStarts are the first characters that make a spreadsheet evaluate a cell (OWASP's
// CSV injection list).
const formulaStarts = "=+-@\t\r"

func (f rowFormat) appendRow(dst []byte, cells []string) []byte {
	if len(cells) == 1 && cells[0] == "" {
		return append(dst, "\"\"\r\n"...)
	}
	for i, c := range cells {
		if i > 0 {
			dst = append(dst, f.sep...)
		}
		dst = f.appendCell(dst, c)
	}
	return append(dst, '\r', '\n')
}

func (f rowFormat) appendCell(dst []byte, c string) []byte {
	neutralise := !f.allowFormulas && c != "" && strings.IndexByte(formulaStarts, c[0]) >= 0
	// The apostrophe is part of the cell: with ' as separator it too forces quotes.
	quoted := strings.ContainsAny(c, f.specials) || len(f.sep) > 1 && strings.Contains(c, f.sep) ||
		neutralise && f.sep == "'"
	if quoted {
		dst = append(dst, '"')
	}
	if neutralise {
		dst = append(dst, '\'')
	}
	if !quoted {
		return append(dst, c...)
	}
	for {
		i := strings.IndexByte(c, '"')
		if i < 0 {
			break
		}
		dst = append(dst, c[:i+1]...)
		dst = append(dst, '"')
		c = c[i+1:]
	}
	dst = append(dst, c...)
	return append(dst, '"')
}

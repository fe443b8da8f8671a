package stix

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
)

// DecodeBundle returns an iterator over the objects of the STIX bundle read from r. It reads
// the bundle as a stream, so memory is bounded by the largest object, not the bundle. Objects
// are yielded as they are read; a structural error (including a top-level `type` other than
// "bundle", wherever it stands) is yielded once, with a nil object, and ends the iteration.
func DecodeBundle(r io.Reader) iter.Seq2[*Object, error] {
	return func(yield func(*Object, error) bool) {
		d := json.NewDecoder(r)
		err := decodeBundle(d, func(o *Object) bool { return yield(o, nil) })
		if err != nil && !errors.Is(err, errStop) {
			yield(nil, err)
		}
	}
}

var errStop = errors.New("stop")

func decodeBundle(d *json.Decoder, emit func(*Object) bool) error {
	if err := expectDelim(d, '{'); err != nil {
		return err
	}
	sawType, sawObjects := false, false
	for d.More() {
		key, err := d.Token()
		if err != nil {
			return bundleErr(err)
		}
		switch key {
		case "type":
			var t string
			if err := d.Decode(&t); err != nil || t != "bundle" {
				return errNotBundle
			}
			sawType = true
		case "objects":
			sawObjects = true
			if err := decodeObjects(d, emit); err != nil {
				return err
			}
		default:
			var skip json.RawMessage
			if err := d.Decode(&skip); err != nil {
				return bundleErr(err)
			}
		}
	}
	if !sawType {
		return errNotBundle
	}
	_ = sawObjects // a bundle without objects is valid and simply empty
	return nil
}

func decodeObjects(d *json.Decoder, emit func(*Object) bool) error {
	if err := expectDelim(d, '['); err != nil {
		return err
	}
	for i := 0; d.More(); i++ {
		var raw json.RawMessage // Decode copies, so the object owns its bytes
		if err := d.Decode(&raw); err != nil {
			return bundleErr(err)
		}
		o, err := parseOwned(raw)
		if err != nil {
			return fmt.Errorf("stix: bundle objects[%d]: %w", i, err)
		}
		if !emit(o) {
			return errStop
		}
	}
	_, err := d.Token() // the closing ]
	return bundleErr(err)
}

func expectDelim(d *json.Decoder, want json.Delim) error {
	tok, err := d.Token()
	if err != nil {
		return bundleErr(err)
	}
	if tok != want {
		return errNotBundle
	}
	return nil
}

func bundleErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return &SyntaxError{Msg: "bundle: " + err.Error()}
}

// BundleEncoder writes a STIX bundle to a writer one object at a time. Close must be called
// to finish the bundle. A BundleEncoder is not safe for concurrent use.
type BundleEncoder struct {
	w     *bufio.Writer
	n     int
	err   error
	start string
}

// NewBundleEncoder returns an encoder that writes a bundle with the given id to w.
func NewBundleEncoder(w io.Writer, id ID) *BundleEncoder {
	start := `{"type":"bundle","id":` + quote(string(id)) + `,"objects":[`
	return &BundleEncoder{w: bufio.NewWriter(w), start: start}
}

// Encode appends o, exactly as it was parsed, to the bundle.
func (e *BundleEncoder) Encode(o *Object) error {
	if e.err != nil {
		return e.err
	}
	if e.n == 0 {
		_, e.err = e.w.WriteString(e.start)
	} else {
		e.err = e.w.WriteByte(',')
	}
	if e.err == nil {
		_, e.err = e.w.Write(o.raw)
	}
	e.n++
	return e.err
}

// Close ends the bundle and flushes it. A bundle with no objects is written without an
// `objects` property, as STIX does not allow an empty list.
func (e *BundleEncoder) Close() error {
	if e.err != nil {
		return e.err
	}
	if e.n == 0 {
		_, e.err = e.w.WriteString(e.start[:len(e.start)-len(`,"objects":[`)] + "}")
	} else {
		_, e.err = e.w.WriteString("]}")
	}
	if e.err == nil {
		e.err = e.w.Flush()
	}
	if e.err == nil {
		e.err = errClosed
		return nil
	}
	return e.err
}

var errClosed = errors.New("stix: bundle encoder is closed")

// MarshalBundle returns the JSON of a bundle with the given id holding objs.
func MarshalBundle(id ID, objs []*Object) []byte {
	n := 64
	for _, o := range objs {
		n += len(o.raw) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, `{"type":"bundle","id":`...)
	b = append(b, quote(string(id))...)
	if len(objs) > 0 {
		b = append(b, `,"objects":[`...)
		for i, o := range objs {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, o.raw...)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

func quote(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b)
}

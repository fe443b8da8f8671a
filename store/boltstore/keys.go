package boltstore

import (
	"bytes"
	"encoding/binary"
	"time"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// Bucket names. Every key that holds an id ends it with sep (ids never contain it), so that
// one id's entries form a contiguous range that no other id's entries interleave with.
var (
	bMeta      = []byte("meta")
	bObjects   = []byte("objects")          // id → header (added, updated, current version key)
	bVersions  = []byte("versions")         // id sep versionKey → stored time, raw JSON
	bByAdded   = []byte("by_added")         // tkey(added) id → nil
	bByUpdated = []byte("by_updated")       // tkey(updated) id → nil
	bTypeAdded = []byte("type_added")       // type sep tkey(added) id → nil
	bTypeUpd   = []byte("type_updated")     // type sep tkey(updated) id → nil
	bRelations = []byte("relations")        // end sep relation id → nil (current relations)
	bHistory   = []byte("history")          // id sep position → the id's state before that event
	bRelHist   = []byte("relation_history") // end sep position relation id → nil (relation left end then)
	bLog       = []byte("log")              // position → event
	bIoC       = []byte("ioc")              // notification id → notification
	bIoCDate   = []byte("ioc_date")         // tkey-seconds id → nil
	bStatuses  = []byte("taxii_statuses")   // root sep id → status record
	bStatusExp = []byte("taxii_status_exp") // tkey(expires) root sep id → nil
	bSecrets   = []byte("secrets")          // name → random bytes

	allBuckets = [][]byte{bMeta, bObjects, bVersions, bByAdded, bByUpdated, bTypeAdded, bTypeUpd,
		bRelations, bHistory, bRelHist, bLog, bIoC, bIoCDate, bStatuses, bStatusExp, bSecrets}
)

// Keys of the meta bucket.
var (
	mFormat  = []byte("format")  // uint32: the file's format version
	mLast    = []byte("last")    // position: the newest event ever appended
	mOrigin  = []byte("origin")  // position: the log never held an event at or before it
	mDropped = []byte("dropped") // position: the newest event retention dropped
	mEvents  = []byte("events")  // uint64: retained events
	mObjects = []byte("objects") // uint64: current objects
)

const sep = 0

// tkey encodes a time so that byte order is time order (the sign bit flipped).
func tkey(t time.Time) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(t.UnixNano())^(1<<63))
}

func appendTkeyNanos(b []byte, ns int64) []byte {
	return binary.BigEndian.AppendUint64(b, uint64(ns)^(1<<63))
}

func nanosOfTkey(b []byte) int64 { return int64(binary.BigEndian.Uint64(b) ^ (1 << 63)) }

func posKey(p store.Position) []byte {
	b := make([]byte, 16)
	binary.BigEndian.PutUint64(b, p.Millis)
	binary.BigEndian.PutUint64(b[8:], p.Seq)
	return b
}

func posOf(b []byte) store.Position {
	if len(b) < 16 {
		return store.Position{}
	}
	return store.Position{Millis: binary.BigEndian.Uint64(b), Seq: binary.BigEndian.Uint64(b[8:16])}
}

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func getU64(b []byte) uint64 {
	if len(b) < 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

// idPrefix is id sep: the start of every key about id.
func idPrefix(id stix.ID) []byte {
	b := make([]byte, 0, len(id)+1+16)
	return append(append(b, id...), sep)
}

// join concatenates key parts into a new slice.
func join(parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	b := make([]byte, 0, n)
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// validKeyID reports whether id can be part of a key (ids with sep are never stored).
func validKeyID(id stix.ID) bool { return id != "" && bytes.IndexByte([]byte(id), sep) < 0 }

// versionKey orders an object's versions; unversioned objects (which keep one version)
// use the zero key, which no real version has.
func versionKey(obj *stix.Object) []byte {
	v := obj.Version()
	if v.IsZero() {
		return make([]byte, 8)
	}
	return tkey(v)
}

// header is an objects-bucket value: the platform's times of the current record and where
// its JSON lies in the versions bucket.
type header struct {
	added, updated int64 // Unix nanoseconds
	verKey         []byte
}

func (h header) encode() []byte {
	b := make([]byte, 0, 24)
	b = binary.BigEndian.AppendUint64(b, uint64(h.added))
	b = binary.BigEndian.AppendUint64(b, uint64(h.updated))
	return append(b, h.verKey...)
}

func decodeHeader(b []byte) (header, bool) {
	if len(b) != 24 {
		return header{}, false
	}
	return header{added: int64(binary.BigEndian.Uint64(b)), updated: int64(binary.BigEndian.Uint64(b[8:])),
		verKey: bytes.Clone(b[16:24])}, true
}

func unixNano(ns int64) time.Time { return time.Unix(0, ns).UTC() }

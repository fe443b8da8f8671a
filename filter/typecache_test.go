package filter

import (
	"strconv"
	"testing"

	"github.com/ctifeed/ctifeed/stix"
)

func relationship(n int, modified, typ string) *stix.Object {
	return stix.MustParse(`{"type":"relationship","spec_version":"2.1","id":"relationship--44298a74-ba52-4f0c-87a3-` +
		strconv.FormatInt(100000000000+int64(n), 10) + `","created":"2024-05-01T10:00:00.000Z","modified":"` + modified +
		`","relationship_type":"` + typ + `","source_ref":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",` +
		`"target_ref":"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"}`)
}

// TestTypeCache checks that the cache keys a relationship's type by its version and stays
// bounded.
func TestTypeCache(t *testing.T) {
	var c typeCache
	c.mu.Lock() // as relationEnds holds it
	defer c.mu.Unlock()
	v1 := relationship(1, "2024-05-01T10:00:00.000Z", "Indicates")
	v2 := relationship(1, "2024-05-02T10:00:00.000Z", "uses")
	if got := c.relationshipType(v1); got != "indicates" {
		t.Errorf("v1: %q", got)
	}
	if got := c.relationshipType(v1); got != "indicates" {
		t.Errorf("v1 cached: %q", got)
	}
	if got := c.relationshipType(v2); got != "uses" {
		t.Errorf("a new version is read again: %q", got)
	}
	for i := range maxTypeCache + 10 {
		c.relationshipType(relationship(i+2, "2024-05-01T10:00:00.000Z", "uses"))
	}
	if n := len(c.m); n > maxTypeCache {
		t.Errorf("%d entries, bound %d", n, maxTypeCache)
	}
}

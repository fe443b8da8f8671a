package stream_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/stix"
)

// oid returns a fixed identifier of type typ, numbered n, so that goldens are stable.
func oid(typ string, n int) stix.ID {
	return stix.ID(fmt.Sprintf("%s--00000000-0000-4000-8000-%012d", typ, n))
}

var t0 = time.Date(2024, 1, 15, 9, 0, 0, 0, time.UTC)

// ok unwraps a builder's result, failing the test on an error.
func ok(t testing.TB) func(*stix.Object, error) *stix.Object {
	return func(o *stix.Object, err error) *stix.Object {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
}

func tlp(id stix.ID) *stix.Object {
	m, _ := stix.TLPMarking(id)
	return m
}

// common is the Common of an object numbered n: created at t0, with the given author and
// markings.
func common(typ string, n int, author stix.ID, markings ...stix.ID) stix.Common {
	return stix.Common{ID: oid(typ, n), Created: t0, CreatedByRef: author, ObjectMarkingRefs: markings}
}

func indicator(t testing.TB, n int, name string, c stix.Common) *stix.Object {
	return ok(t)(stix.NewIndicator(name, "[ipv4-addr:value = '198.51.100."+fmt.Sprint(n)+"']", t0, c))
}

func identity(t testing.TB, n int, name string, markings ...stix.ID) *stix.Object {
	return ok(t)(stix.NewIdentity(name, "organization", common("identity", n, "", markings...)))
}

func malware(t testing.TB, n int, name string, c stix.Common) *stix.Object {
	return ok(t)(stix.NewMalware(name, true, c))
}

func relationship(t testing.TB, n int, typ string, src, dst stix.ID, c stix.Common) *stix.Object {
	c.ID = oid("relationship", n)
	return ok(t)(stix.NewRelationship(typ, src, dst, c))
}

// granted returns c with OpenCTI's granted_refs set to orgs.
func granted(c stix.Common, orgs ...stix.ID) stix.Common {
	c.Extra = map[string]any{"extensions": map[string]any{access.OpenCTIExtension: map[string]any{
		"extension_type": "property-extension", "granted_refs": orgs}}}
	return c
}

// inferred returns c marked as an inference (OpenCTI's is_inferred).
func inferred(c stix.Common) stix.Common {
	c.Extra = map[string]any{"extensions": map[string]any{access.OpenCTIExtension: map[string]any{
		"extension_type": "property-extension", "is_inferred": true}}}
	return c
}

func relabel(t testing.TB, o *stix.Object, at time.Time, label string) *stix.Object {
	return ok(t)(o.WithLabel(label, at))
}

func unlabel(t testing.TB, o *stix.Object, at time.Time, label string) *stix.Object {
	return ok(t)(o.WithoutLabel(label, at))
}

func edit(t testing.TB, o *stix.Object, at time.Time, f func(map[string]any)) *stix.Object {
	return ok(t)(o.NewVersion(at, f))
}

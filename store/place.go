package store

import (
	"bytes"
	"fmt"
	"slices"
	"sort"

	"github.com/gowebpki/jcs"

	"github.com/ctifeed/ctifeed/stix"
)

// SameContent reports whether two objects' JSON texts hold the same content: equal bytes,
// or equal after RFC 8785 canonicalization. It is the rule by which [Writer.Put] treats a
// reformatted copy of a stored version as a duplicate; engines share it so that they agree.
func SameContent(a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	ca, err1 := jcs.Transform(a)
	cb, err2 := jcs.Transform(b)
	return err1 == nil && err2 == nil && bytes.Equal(ca, cb)
}

// Place applies [Writer.Put]'s version rules to obj against the n stored versions of its
// id, in ascending order of version (versions(i) is the i-th, the current one last, n ≥ 1):
// it returns the index obj goes at (n: it becomes current), or same = true with the index
// of a stored duplicate, or an error wrapping [ErrConflict] for different content under a
// stored version. Objects without a version (SCOs, marking definitions) are compared with
// the current one by content only. Engines share it so that they agree.
func Place(n int, versions func(i int) *stix.Object, obj *stix.Object) (i int, same bool, err error) {
	cur := versions(n - 1)
	v := obj.Version()
	if v.IsZero() || cur.Version().IsZero() {
		if SameContent(cur.Raw(), obj.Raw()) {
			return n - 1, true, nil
		}
		return n, false, nil
	}
	i = sort.Search(n, func(k int) bool { return versions(k).Version().Compare(v) >= 0 })
	if i == n || !versions(i).Version().Equal(v) {
		return i, false, nil
	}
	if SameContent(versions(i).Raw(), obj.Raw()) {
		return i, true, nil
	}
	return 0, false, fmt.Errorf("%w: %s version %s is stored with different content",
		ErrConflict, obj.ID(), stix.FormatTime(v))
}

// CheckObject applies [Writer.Put]'s preconditions: a nil object or an id that fails
// [stix.ID.Validate] gives an error wrapping [ErrInvalid]. Engines share it so that they agree.
func CheckObject(obj *stix.Object) error {
	if obj == nil {
		return fmt.Errorf("%w: nil object", ErrInvalid)
	}
	if err := obj.ID().Validate(); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return nil
}

// CheckMerge applies [Writer.Merge]'s preconditions on its arguments (not on what is
// stored): a valid target, and sources that are non-empty, valid, distinct and differ from
// the target's id; errors wrap [ErrInvalid].
func CheckMerge(target *stix.Object, sources []stix.ID) error {
	if err := CheckObject(target); err != nil {
		return err
	}
	if len(sources) == 0 {
		return fmt.Errorf("%w: merge without sources", ErrInvalid)
	}
	for i, src := range sources {
		if err := src.Validate(); err != nil {
			return fmt.Errorf("%w: source: %v", ErrInvalid, err)
		}
		if src == target.ID() || slices.Contains(sources[:i], src) {
			return fmt.Errorf("%w: source %s repeated or equal to the target", ErrInvalid, src)
		}
	}
	return nil
}

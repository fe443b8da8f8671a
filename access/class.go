package access

import (
	"slices"
	"strconv"
	"strings"
)

// ClassKey names a principal's redaction class under one [Visibility]: two principals with
// equal keys get identical decisions from it — [Visibility.CanSee], [Visibility.Redact],
// [Visibility.Screen] and [Visibility.CheckWrite] answer the same for both, object for
// object — so a feed may compute what one of them receives once and send it to the other.
// Keys of different Visibility instances never compare equal. ClassKey is comparable (a
// map key); its zero value is the key of no principal under no Visibility.
type ClassKey struct {
	v   *Visibility
	key string
}

// String returns the key's principal part, for logs and tests (it names markings and
// organizations, never the user).
func (k ClassKey) String() string { return k.key }

// ClassKey returns p's redaction class under v. It holds exactly what v's decisions read
// of a principal: whether p holds [CapBypass] (then nothing else matters: p sees and
// receives everything unredacted); otherwise p's clearance (the explicit markings and the
// family maxima, as sets), whether p may see granted organizations
// ([CapManageOrganizationSharing], through the capability hierarchy), and, only when v
// segregates by organization, p's organizations (as a set). Names, user ids, groups and
// other capabilities are not part of it: v never reads them. A nil p has a class of its
// own (it sees nothing).
func (v *Visibility) ClassKey(p *Principal) ClassKey {
	switch {
	case p == nil:
		return ClassKey{v: v, key: "none"}
	case p.bypass():
		return ClassKey{v: v, key: "bypass"}
	}
	var b strings.Builder
	b.WriteString("markings")
	writeSet(&b, stringsOf(p.Markings.Markings))
	b.WriteString(";max")
	writeSet(&b, stringsOf(p.Markings.Max))
	if p.Has(CapManageOrganizationSharing) {
		b.WriteString(";grants")
	}
	if v.enforce {
		b.WriteString(";orgs")
		writeSet(&b, p.Organizations)
	}
	return ClassKey{v: v, key: b.String()}
}

func stringsOf[T ~string](ids []T) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(id)
	}
	return out
}

// writeSet writes the distinct values of set, sorted, each with its length first, so that
// no two different sets write the same text whatever bytes their values hold.
func writeSet(b *strings.Builder, set []string) {
	s := slices.Clone(set)
	slices.Sort(s)
	s = slices.Compact(s)
	b.WriteByte('[')
	for _, x := range s {
		b.WriteString(strconv.Itoa(len(x)))
		b.WriteByte(':')
		b.WriteString(x)
	}
	b.WriteByte(']')
}

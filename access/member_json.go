package access

import (
	"encoding/json"
	"fmt"
)

// memberKindNames are the JSON spellings of [MemberKind], as OpenCTI's authorized_members use
// them in feed definitions (and as every feed package's definition encodes them).
var memberKindNames = [...]string{MemberUser: "user", MemberGroup: "group", MemberOrganization: "organization"}

// String returns "user", "group" or "organization".
func (k MemberKind) String() string {
	if k >= MemberUser && int(k) < len(memberKindNames) {
		return memberKindNames[k]
	}
	return fmt.Sprintf("MemberKind(%d)", int(k))
}

// MarshalText encodes k as "user", "group" or "organization"; other values are an error.
func (k MemberKind) MarshalText() ([]byte, error) {
	if k >= MemberUser && int(k) < len(memberKindNames) {
		return []byte(memberKindNames[k]), nil
	}
	return nil, fmt.Errorf("access: invalid member kind %d", int(k))
}

// UnmarshalText accepts "user", "group" or "organization".
func (k *MemberKind) UnmarshalText(b []byte) error {
	for i, name := range memberKindNames {
		if i > 0 && name == string(b) {
			*k = MemberKind(i)
			return nil
		}
	}
	return fmt.Errorf("access: member kind %q is not one of user, group, organization", b)
}

// memberJSON is Member's JSON shape: {"kind":"group","id":"analysts"}.
type memberJSON struct {
	Kind MemberKind `json:"kind"`
	ID   string     `json:"id"`
}

// MarshalJSON encodes m as {"kind":"user|group|organization","id":"…"}.
func (m Member) MarshalJSON() ([]byte, error) {
	return json.Marshal(memberJSON(m))
}

// UnmarshalJSON decodes {"kind":…,"id":…}; a missing kind or an empty id is an error, so a
// restricted feed never silently gains a member that matches nobody or everybody.
func (m *Member) UnmarshalJSON(b []byte) error {
	var j memberJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("access: authorized member: %w", err)
	}
	if j.Kind == 0 {
		return fmt.Errorf("access: authorized member %s: missing kind (user, group or organization)", b)
	}
	if j.ID == "" {
		return fmt.Errorf("access: authorized member %s: missing id", b)
	}
	*m = Member(j)
	return nil
}

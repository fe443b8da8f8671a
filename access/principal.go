package access

import (
	"slices"

	"github.com/ctifeed/ctifeed/stix"
)

// Capability names a permission a principal holds. The names are OpenCTI's, so principals
// built from OpenCTI users carry over unchanged.
type Capability string

// The capabilities the feeds check.
const (
	// CapAccessDataSharing lets a principal use restricted feeds ("Access data sharing").
	CapAccessDataSharing Capability = "TAXIIAPI"
	// CapBypass lets a principal see everything and implies every other capability.
	CapBypass Capability = "BYPASS"
	// CapManageOrganizationSharing lets a principal see which organizations an object is
	// shared with (OpenCTI's "Restrict organization access"); without it granted_refs are
	// stripped from output (see [Visibility.Redact]).
	CapManageOrganizationSharing Capability = "KNOWLEDGE_KNUPDATE_KNORGARESTRICT"
)

// Principal is who a request runs as: a user with the groups, organizations, capabilities
// and marking clearance that decide what the feeds show them.
//
// A Principal is plain data. The SDK never modifies one it is given, so a principal may be
// shared by concurrent requests as long as nobody modifies it while they run.
type Principal struct {
	// UserID and Name identify the user; Name is for logs only.
	UserID, Name string
	// Groups and Organizations list the ids of the groups and organizations the user
	// belongs to. Organization ids are the STIX ids of the organizations' identity objects
	// (identity--…), the values objects carry in granted_refs.
	Groups, Organizations []string
	// Capabilities lists what the user may do; see [Principal.Has].
	Capabilities []Capability
	// Markings says which marking definitions the user may see.
	Markings Clearance
}

// Has reports whether p holds capability c. As in OpenCTI, [CapBypass] implies every
// capability, and a capability implies its ancestors in OpenCTI's hierarchy of names:
// holding "KNOWLEDGE_KNUPDATE" implies "KNOWLEDGE". A nil principal and the empty capability
// hold nothing.
func (p *Principal) Has(c Capability) bool {
	if p == nil || c == "" {
		return false
	}
	for _, h := range p.Capabilities {
		if h == CapBypass || h == c {
			return true
		}
		// A descendant is the ancestor's name followed by "_" and more.
		if c != CapBypass && len(h) > len(c) && h[len(c)] == '_' && h[:len(c)] == c {
			return true
		}
	}
	return false
}

// bypass reports whether p holds exactly [CapBypass].
func (p *Principal) bypass() bool {
	for _, h := range p.Capabilities {
		if h == CapBypass {
			return true
		}
	}
	return false
}

// Clone returns a deep copy of p (nil for nil), so that the copy can be modified freely.
func (p *Principal) Clone() *Principal {
	if p == nil {
		return nil
	}
	c := *p
	c.Groups = slices.Clone(p.Groups)
	c.Organizations = slices.Clone(p.Organizations)
	c.Capabilities = slices.Clone(p.Capabilities)
	c.Markings.Markings = slices.Clone(p.Markings.Markings)
	c.Markings.Max = slices.Clone(p.Markings.Max)
	return &c
}

// Clearance says which marking definitions a principal may see. A marking is allowed when
// it is listed in Markings, or when it belongs to a family (see [MarkingDefinition]) and
// ranks at or below a marking of the same family listed in Max. The zero Clearance allows
// no marking: such a principal sees only unmarked objects.
type Clearance struct {
	// Markings lists marking definition ids allowed one by one. This is the only way to
	// allow a marking the [Visibility] does not know, or a standalone marking (statement).
	Markings []stix.ID
	// Max lists, per family, the highest marking allowed: {stix.TLP2Amber} allows TLP
	// CLEAR/WHITE, GREEN and AMBER of both TLP versions, but not AMBER+STRICT or RED. An
	// id the Visibility does not know allows nothing beyond itself.
	Max []stix.ID
}

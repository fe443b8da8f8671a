package access

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/tidwall/gjson"
)

// OpenCTIExtension is the extension definition under which OpenCTI carries its own
// properties on STIX objects, granted_refs among them.
const OpenCTIExtension = "extension-definition--ea279b3e-5c71-4632-ac08-831c66a786ba"

// The reference paths (as [stix.Ref.Path] spells them) of granted organizations: inside
// OpenCTI's extension, and the top-level custom property OpenCTI's clients send.
const (
	grantedExtPath = "extensions." + OpenCTIExtension + ".granted_refs"
	grantedTopPath = "x_opencti_granted_refs"
)

// DefaultExemptTypes are the object types that organization segregation never hides:
// locations and marking definitions, as in OpenCTI (its STIX_ORGANIZATIONS_UNRESTRICTED).
// Identities are exempt only by class (see [DefaultExemptIdentityClasses]); relationships,
// sightings and every other type are segregated.
func DefaultExemptTypes() []string {
	return []string{"location", "marking-definition"}
}

// DefaultExemptIdentityClasses are the identity_class values of the identities that
// organization segregation never hides: organizations and sectors (class "class"), as in
// OpenCTI. Individuals, systems and identities of other classes are segregated.
func DefaultExemptIdentityClasses() []string {
	return []string{"class", "organization"}
}

// VisibilityOptions configures a [Visibility]. The zero value (or nil) gives the TLP
// markings and no organization segregation.
type VisibilityOptions struct {
	// Markings adds marking definitions to the built-in TLP ones ([TLPDefinitions]):
	// other families such as PAP, and standalone markings (statements). An id may not be
	// defined twice, and the TLP definitions cannot be redefined.
	Markings []MarkingDefinition

	// EnforceOrganizations turns on organization segregation: an object that is not of an
	// exempt type is visible only to members of an organization in its granted_refs, or of
	// PlatformOrganization. An object with no granted organizations is then visible only to
	// members of PlatformOrganization (as in OpenCTI) unless UngrantedVisible is set.
	EnforceOrganizations bool
	// PlatformOrganization is the id (identity--…) of the platform's own organization,
	// whose members see every object. Setting it implies EnforceOrganizations, as in
	// OpenCTI, where segregation is on exactly when a platform organization is set.
	PlatformOrganization string
	// UngrantedVisible makes objects without granted organizations visible to everyone
	// (markings permitting) when segregation is on.
	UngrantedVisible bool
	// ExemptTypes replaces [DefaultExemptTypes] when non-nil; an empty non-nil slice exempts
	// nothing.
	ExemptTypes []string
	// ExemptIdentityClasses replaces [DefaultExemptIdentityClasses] when non-nil; an empty
	// non-nil slice exempts no identity by its class.
	ExemptIdentityClasses []string
}

// Visibility decides which objects a principal may see. Build one with [NewVisibility];
// it is immutable and safe for concurrent use.
type Visibility struct {
	markings         markingTable
	enforce          bool
	platformOrg      string
	ungrantedVisible bool
	exempt           []string
	exemptClasses    []string
	screens          sync.Pool // of *screen, reused by Screen
}

// NewVisibility returns a Visibility configured by opts (nil means the defaults). It
// returns an error wrapping [ErrInvalidOptions] when a marking definition has no id, is
// defined twice, or redefines a TLP marking.
func NewVisibility(opts *VisibilityOptions) (*Visibility, error) {
	if opts == nil {
		opts = &VisibilityOptions{}
	}
	tlp := TLPDefinitions()
	v := &Visibility{
		markings:         newMarkingTable(len(tlp) + len(opts.Markings)),
		enforce:          opts.EnforceOrganizations || opts.PlatformOrganization != "",
		platformOrg:      opts.PlatformOrganization,
		ungrantedVisible: opts.UngrantedVisible,
		exempt:           DefaultExemptTypes(),
		exemptClasses:    DefaultExemptIdentityClasses(),
	}
	if opts.ExemptTypes != nil {
		v.exempt = slices.Clone(opts.ExemptTypes)
	}
	if opts.ExemptIdentityClasses != nil {
		v.exemptClasses = slices.Clone(opts.ExemptIdentityClasses)
	}
	families := map[string]int{"": 0} // family names interned as small integers
	for _, d := range append(tlp, opts.Markings...) {
		if d.ID == "" {
			return nil, fmt.Errorf("%w: marking definition %q has no id", ErrInvalidOptions, d.Name)
		}
		f, ok := families[d.Family]
		if !ok {
			f = len(families)
			families[d.Family] = f
		}
		if !v.markings.insert(d.ID, f, d.Rank) {
			return nil, fmt.Errorf("%w: marking definition %s is defined twice", ErrInvalidOptions, d.ID)
		}
	}
	return v, nil
}

// CanSee reports whether p may see o. The rules, in order:
//   - a nil principal or object: no;
//   - a principal holding [CapBypass]: yes;
//   - every id in o's object_marking_refs must be allowed by p.Markings (see [Clearance]);
//     a marking the Visibility does not know is allowed only if listed explicitly;
//   - with organization segregation on (see [VisibilityOptions]), an object that is not
//     exempt (a location, a marking definition, an identity of class organization or
//     class, by default) must be granted (OpenCTI's granted_refs in the extension
//     [OpenCTIExtension], or a top-level x_opencti_granted_refs) to one of p's
//     organizations, unless p belongs to the platform organization.
//
// Granular markings are not considered: they mark parts of an object, not the object.
// CanSee does not allocate.
func (v *Visibility) CanSee(p *Principal, o *stix.Object) bool {
	if p == nil || o == nil {
		return false
	}
	if p.bypass() {
		return true
	}
	for _, m := range o.ObjectMarkingRefs() {
		if !v.markingAllowed(&p.Markings, m) {
			return false
		}
	}
	if !v.enforce {
		return true
	}
	return v.organizationAllowed(p, o)
}

// markingAllowed checks the family maxima before the explicit list: for the usual
// principal that saves string comparisons, and the answer does not depend on the order.
func (v *Visibility) markingAllowed(c *Clearance, m stix.ID) bool {
	if len(c.Max) > 0 {
		info := v.markings.lookup(m)
		for _, max := range c.Max {
			if info != nil && info.family != 0 {
				// max == m is covered here: same family, same rank.
				if mi := v.markings.lookup(max); mi != nil && mi.family == info.family && info.rank <= mi.rank {
					return true
				}
			} else if max == m {
				return true
			}
		}
	}
	for _, id := range c.Markings {
		if id == m {
			return true
		}
	}
	return false
}

func (v *Visibility) organizationAllowed(p *Principal, o *stix.Object) bool {
	if v.exemptFromOrganizations(o) {
		return true
	}
	granted := false
	for _, r := range o.Refs() {
		if r.Index < 0 || (r.Path != grantedExtPath && r.Path != grantedTopPath) {
			continue
		}
		granted = true
		if r.ID != "" && slices.Contains(p.Organizations, string(r.ID)) {
			return true
		}
	}
	if v.platformOrg != "" && slices.Contains(p.Organizations, v.platformOrg) {
		return true
	}
	// A granted_refs that is present but not a list of strings yields no reference; it
	// still says the object is restricted, so it must not count as ungranted.
	return !granted && v.ungrantedVisible && !hasGrantedProperty(o)
}

// exemptFromOrganizations reports whether segregation never hides o: an exempt type, or an
// identity of an exempt class.
func (v *Visibility) exemptFromOrganizations(o *stix.Object) bool {
	t := o.Type()
	if slices.Contains(v.exempt, t) {
		return true
	}
	if t != "identity" || len(v.exemptClasses) == 0 {
		return false
	}
	c := o.Get("identity_class")
	return c.Type == gjson.String && slices.Contains(v.exemptClasses, c.Str)
}

// hasGrantedProperty reports whether o carries a granted organizations property other than
// an empty list, well-formed or not.
func hasGrantedProperty(o *stix.Object) bool {
	// The property name can only be spelled without the literal text if it uses a \u
	// escape; most objects hold neither, and need no parsing.
	if s := o.String(); !strings.Contains(s, "granted_refs") && !mayEscapeName(s) {
		return false
	}
	return nonEmpty(o.Get(grantedTopPath)) || nonEmpty(o.Extension(OpenCTIExtension).Get("granted_refs"))
}

func nonEmpty(r gjson.Result) bool {
	return r.Exists() && !(r.IsArray() && r.Raw != "" && isEmptyArray(r.Raw))
}

// isEmptyArray reports whether raw, a JSON array, has no elements.
func isEmptyArray(raw string) bool {
	for i := 1; i < len(raw); i++ {
		if !isSpace(raw[i]) {
			return raw[i] == ']'
		}
	}
	return false
}

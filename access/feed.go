package access

import (
	"net/http"
	"strconv"
)

// MemberKind says what a [Member] of a feed's authorized members names.
type MemberKind int

// The kinds of authorized members.
const (
	MemberUser         MemberKind = iota + 1 // Member.ID is a Principal.UserID
	MemberGroup                              // Member.ID is one of Principal.Groups
	MemberOrganization                       // Member.ID is one of Principal.Organizations
)

// Member is one authorized member of a restricted feed: a user, a group or an organization.
type Member struct {
	Kind MemberKind
	ID   string
}

// matches reports whether p is, or belongs to, m. An empty id matches nobody.
func (m Member) matches(p *Principal) bool {
	if m.ID == "" {
		return false
	}
	switch m.Kind {
	case MemberUser:
		return p.UserID == m.ID
	case MemberGroup:
		return contains(p.Groups, m.ID)
	case MemberOrganization:
		return contains(p.Organizations, m.ID)
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// FeedAccess says who may use a feed (a live stream, a TAXII collection, a CSV feed).
// The zero value is a restricted feed open to every principal holding
// [CapAccessDataSharing].
type FeedAccess struct {
	// Public makes the feed usable without authentication.
	Public bool
	// PublicPrincipal is whom an unauthenticated request to a public feed runs as; it
	// decides what such a request sees. Nil means a principal with no capability,
	// organization or marking clearance, who sees only unmarked objects. Never use an
	// all-seeing principal here unless the feed is meant to publish everything.
	PublicPrincipal *Principal
	// AuthorizedMembers limits a restricted feed to the listed users, groups and
	// organizations; empty means any principal holding CapAccessDataSharing. It is ignored
	// for public feeds.
	AuthorizedMembers []Member
}

// Authorize decides whether p (nil when the request carried no credentials) may use the
// feed, and returns the principal to evaluate object visibility with:
//   - public feed, no credentials: the public principal, [Allowed];
//   - public feed, authenticated: p itself, [Allowed]; callers see what their own
//     clearance allows, as on the rest of the platform;
//   - restricted feed, no credentials: nil, [Unauthenticated];
//   - restricted feed, p lacks [CapAccessDataSharing] (bypass implies it): nil, [Forbidden],
//     because the caller may not use data sharing at all;
//   - restricted feed, authorized members set and p matches none of them (and does not
//     hold [CapBypass]): nil, [Hidden], because the feed exists only for others and its
//     existence must not be revealed;
//   - otherwise p, [Allowed].
//
// The returned principal is nil unless the decision is Allowed.
func (f FeedAccess) Authorize(p *Principal) (*Principal, Decision) {
	if f.Public {
		if p != nil {
			return p, Allowed
		}
		if f.PublicPrincipal != nil {
			return f.PublicPrincipal, Allowed
		}
		return &Principal{Name: "public"}, Allowed
	}
	if p == nil {
		return nil, Unauthenticated
	}
	if !p.Has(CapAccessDataSharing) {
		return nil, Forbidden
	}
	if len(f.AuthorizedMembers) == 0 || p.bypass() {
		return p, Allowed
	}
	for _, m := range f.AuthorizedMembers {
		if m.matches(p) {
			return p, Allowed
		}
	}
	return nil, Hidden
}

// Decision is the outcome of [FeedAccess.Authorize]. Every handler maps it to the same
// HTTP status with [Decision.Status]. The zero Decision is not Allowed.
type Decision int

// The decisions.
const (
	// Allowed: serve the feed.
	Allowed Decision = iota + 1
	// Unauthenticated: credentials are needed; answer 401 with [Challenge].
	Unauthenticated
	// Forbidden: the caller is known but may not use this feed; answer 403.
	Forbidden
	// Hidden: the caller may not even know the feed exists; answer 404 as if it did not.
	Hidden
)

// Status returns the HTTP status for d: 200, 401, 403 or 404. The zero or an unknown
// Decision gives 403, so a forgotten decision fails closed.
func (d Decision) Status() int {
	switch d {
	case Allowed:
		return http.StatusOK
	case Unauthenticated:
		return http.StatusUnauthorized
	case Hidden:
		return http.StatusNotFound
	}
	return http.StatusForbidden
}

// String returns the decision's name.
func (d Decision) String() string {
	switch d {
	case Allowed:
		return "Allowed"
	case Unauthenticated:
		return "Unauthenticated"
	case Forbidden:
		return "Forbidden"
	case Hidden:
		return "Hidden"
	}
	return "Decision(" + strconv.Itoa(int(d)) + ")"
}

// Challenge is the WWW-Authenticate value of every 401 answer: the schemes the handlers
// accept.
const Challenge = "Basic, Bearer"

// WriteChallenge sets the WWW-Authenticate header of a 401 answer to [Challenge]. Call it
// before writing the status; the handler then writes its protocol's error body.
func WriteChallenge(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", Challenge)
}

package access

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
)

// Authenticator turns an HTTP request's credentials into a principal. The host implements
// it (with its user directory, SSO, API keys…); [NewStatic] gives a fixed one for examples
// and tests. Implementations must be safe for concurrent use.
type Authenticator interface {
	// Authenticate returns (nil, nil) when r carries no credentials, the principal when it
	// carries valid ones, and an error wrapping ErrInvalidCredentials when it carries
	// credentials that are wrong or malformed. The caller may not modify the principal.
	Authenticate(r *http.Request) (*Principal, error)
}

// StaticUser is a username and password accepted with HTTP Basic.
type StaticUser struct {
	Username, Password string
	Principal          *Principal
}

// StaticToken is an API token accepted as "Authorization: Bearer <token>" and as the
// VirusTotal-style "x-apikey: <token>" header.
type StaticToken struct {
	Token     string
	Principal *Principal
}

// StaticOptions lists the credentials a [Static] authenticator accepts.
type StaticOptions struct {
	Users  []StaticUser
	Tokens []StaticToken
}

// Static is an [Authenticator] with a fixed set of users and tokens, for examples and
// tests. It compares credentials in constant time and is safe for concurrent use.
type Static struct {
	users  []staticEntry
	tokens []staticEntry
}

type staticEntry struct {
	user, secret [sha256.Size]byte // digests, so comparisons do not leak lengths
	principal    *Principal
}

// NewStatic returns a Static authenticator. It keeps copies of the principals, so later
// changes to opts do not affect it. It returns an error wrapping [ErrInvalidOptions] for an
// empty or duplicated username or token, an empty password, a username containing ':', or
// a missing principal.
func NewStatic(opts StaticOptions) (*Static, error) {
	a := &Static{}
	seen := map[string]bool{}
	for _, u := range opts.Users {
		switch {
		case u.Username == "" || u.Password == "":
			return nil, fmt.Errorf("%w: a static user needs a username and a password", ErrInvalidOptions)
		case strings.ContainsRune(u.Username, ':'):
			return nil, fmt.Errorf("%w: username %q contains ':'", ErrInvalidOptions, u.Username)
		case u.Principal == nil:
			return nil, fmt.Errorf("%w: user %q has no principal", ErrInvalidOptions, u.Username)
		case seen["u:"+u.Username]:
			return nil, fmt.Errorf("%w: user %q is listed twice", ErrInvalidOptions, u.Username)
		}
		seen["u:"+u.Username] = true
		a.users = append(a.users, staticEntry{
			user: sha256.Sum256([]byte(u.Username)), secret: sha256.Sum256([]byte(u.Password)),
			principal: u.Principal.Clone(),
		})
	}
	for i, t := range opts.Tokens {
		switch {
		case t.Token == "" || strings.ContainsAny(t.Token, " \t\r\n"):
			return nil, fmt.Errorf("%w: token %d is empty or contains white space", ErrInvalidOptions, i)
		case t.Principal == nil:
			return nil, fmt.Errorf("%w: token %d has no principal", ErrInvalidOptions, i)
		case seen["t:"+t.Token]:
			return nil, fmt.Errorf("%w: token %d is listed twice", ErrInvalidOptions, i)
		}
		seen["t:"+t.Token] = true
		a.tokens = append(a.tokens, staticEntry{secret: sha256.Sum256([]byte(t.Token)), principal: t.Principal.Clone()})
	}
	return a, nil
}

// Authenticate implements [Authenticator]. It accepts "Authorization: Basic …",
// "Authorization: Bearer …" (scheme names in any case) and "x-apikey: …". A request with
// both an Authorization and an x-apikey header, with either header repeated, or with any
// other Authorization scheme is rejected with [ErrInvalidCredentials]. The principal
// returned is a copy the caller may keep.
func (a *Static) Authenticate(r *http.Request) (*Principal, error) {
	c, err := ParseCredentials(r.Header)
	if err != nil || c.Scheme == SchemeNone {
		return nil, err
	}
	var match *Principal
	switch c.Scheme {
	case SchemeBasic:
		u, s := sha256.Sum256([]byte(c.Username)), sha256.Sum256([]byte(c.Secret))
		for i := range a.users { // no early exit: the time taken does not depend on which entry matched
			e := &a.users[i]
			if subtle.ConstantTimeCompare(u[:], e.user[:])&subtle.ConstantTimeCompare(s[:], e.secret[:]) == 1 {
				match = e.principal
			}
		}
	case SchemeBearer, SchemeAPIKey:
		s := sha256.Sum256([]byte(c.Secret))
		for i := range a.tokens {
			e := &a.tokens[i]
			if subtle.ConstantTimeCompare(s[:], e.secret[:]) == 1 {
				match = e.principal
			}
		}
	}
	if match == nil {
		return nil, fmt.Errorf("%w", ErrInvalidCredentials)
	}
	return match.Clone(), nil
}

// Scheme is how a request presented its credentials.
type Scheme int

// The credential schemes [ParseCredentials] recognises.
const (
	SchemeNone   Scheme = iota // no credentials
	SchemeBasic                // Authorization: Basic base64(username:password)
	SchemeBearer               // Authorization: Bearer token
	SchemeAPIKey               // x-apikey: token
)

// Credentials are the credentials a request carries, parsed but not verified.
type Credentials struct {
	Scheme   Scheme
	Username string // Basic only
	Secret   string // the password (Basic) or the token (Bearer, x-apikey)
}

// ParseCredentials reads the credentials from request headers, for host authenticators
// that verify them against their own directory. It returns SchemeNone when there are none,
// and an error wrapping [ErrInvalidCredentials] when they are malformed or ambiguous: a
// repeated or combined Authorization and x-apikey header, an unknown scheme, bad base64, a
// Basic value without ':' or with an empty username, or an empty or blank token.
func ParseCredentials(h http.Header) (Credentials, error) {
	auth, key := h.Values("Authorization"), h.Values("X-Apikey")
	switch {
	case len(auth) == 0 && len(key) == 0:
		return Credentials{}, nil
	case len(auth)+len(key) > 1:
		return Credentials{}, fmt.Errorf("%w: more than one credential header", ErrInvalidCredentials)
	case len(key) == 1:
		tok := strings.TrimSpace(key[0])
		if !validToken(tok) {
			return Credentials{}, fmt.Errorf("%w: malformed x-apikey", ErrInvalidCredentials)
		}
		return Credentials{Scheme: SchemeAPIKey, Secret: tok}, nil
	}
	scheme, rest, _ := strings.Cut(strings.TrimSpace(auth[0]), " ")
	rest = strings.TrimLeft(rest, " ")
	switch {
	case strings.EqualFold(scheme, "Bearer"):
		if !validToken(rest) {
			return Credentials{}, fmt.Errorf("%w: malformed bearer token", ErrInvalidCredentials)
		}
		return Credentials{Scheme: SchemeBearer, Secret: rest}, nil
	case strings.EqualFold(scheme, "Basic"):
		raw, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			return Credentials{}, fmt.Errorf("%w: malformed basic credentials", ErrInvalidCredentials)
		}
		user, pass, ok := strings.Cut(string(raw), ":")
		if !ok || user == "" {
			return Credentials{}, fmt.Errorf("%w: malformed basic credentials", ErrInvalidCredentials)
		}
		return Credentials{Scheme: SchemeBasic, Username: user, Secret: pass}, nil
	}
	return Credentials{}, fmt.Errorf("%w: unsupported authorization scheme", ErrInvalidCredentials)
}

// validToken accepts a non-empty token without white space or control characters.
func validToken(t string) bool {
	if t == "" {
		return false
	}
	for i := 0; i < len(t); i++ {
		if t[i] <= ' ' || t[i] == 0x7f {
			return false
		}
	}
	return true
}

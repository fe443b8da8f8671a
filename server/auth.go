package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/time/rate"

	"github.com/ctifeed/ctifeed/access"
)

// authenticator verifies credentials against hashed secrets: bcrypt for passwords,
// SHA-256 for random API tokens (which need no slow hash: they carry enough entropy).
// It accepts Basic, Bearer, the Token scheme of the OASIS taxii2-client and x-apikey.
type authenticator struct {
	users    map[string]*account
	accounts []*account
	throttle *throttle
	onResult func(scheme string, ok bool)

	mu sync.Mutex
	// verified remembers password checks that passed (by the SHA-256 of user and
	// password), so that clients sending Basic on every request do not pay bcrypt each time.
	verified map[[32]byte]time.Time
}

const verifiedTTL = 5 * time.Minute

func newAuthenticator(accounts []*account, th *throttle, onResult func(string, bool)) *authenticator {
	a := &authenticator{users: map[string]*account{}, accounts: accounts, throttle: th,
		onResult: onResult, verified: map[[32]byte]time.Time{}}
	for _, acc := range accounts {
		a.users[acc.name] = acc
	}
	return a
}

// Authenticate implements access.Authenticator. Failures count against the client
// address's allowance and in the metrics.
func (a *authenticator) Authenticate(r *http.Request) (*access.Principal, error) {
	p, scheme, err := a.verify(r)
	switch {
	case err != nil:
		a.fail(r, scheme)
		return nil, err
	case p != nil && a.onResult != nil:
		a.onResult(scheme, true)
	}
	return p, nil
}

// identify returns the user name r's credentials authenticate, or "", without counting
// anything: the handler that serves r authenticates it again and counts.
func (a *authenticator) identify(r *http.Request) string {
	if p, _, err := a.verify(r); err == nil && p != nil {
		return p.Name
	}
	return ""
}

// verify checks r's credentials: (nil, "none", nil) without any.
func (a *authenticator) verify(r *http.Request) (*access.Principal, string, error) {
	h := r.Header
	if v := h.Get("Authorization"); len(v) > 6 && strings.EqualFold(v[:6], "token ") {
		h = h.Clone() // taxii2-client's token auth: the same token as Bearer
		h.Set("Authorization", "Bearer "+v[6:])
	}
	c, err := access.ParseCredentials(h)
	if err != nil {
		return nil, "malformed", err
	}
	var p *access.Principal
	scheme := "none"
	switch c.Scheme {
	case access.SchemeNone:
		return nil, scheme, nil
	case access.SchemeBasic:
		scheme = "basic"
		p = a.password(c.Username, c.Secret)
	case access.SchemeBearer, access.SchemeAPIKey:
		scheme = "token"
		p = a.token(c.Secret)
	}
	if p == nil {
		return nil, scheme, fmt.Errorf("%w", access.ErrInvalidCredentials)
	}
	return p.Clone(), scheme, nil
}

func (a *authenticator) fail(r *http.Request, scheme string) {
	if a.onResult != nil {
		a.onResult(scheme, false)
	}
	if a.throttle != nil {
		a.throttle.fail(clientAddr(r))
	}
}

func (a *authenticator) password(user, pw string) *access.Principal {
	acc := a.users[user]
	if acc == nil || acc.bcrypt == nil {
		return nil
	}
	key := sha256.Sum256([]byte(user + "\x00" + pw))
	now := time.Now()
	a.mu.Lock()
	t, ok := a.verified[key]
	a.mu.Unlock()
	if ok && now.Sub(t) < verifiedTTL {
		return acc.principal
	}
	if bcrypt.CompareHashAndPassword(acc.bcrypt, []byte(pw)) != nil {
		return nil
	}
	a.mu.Lock()
	if len(a.verified) > 10000 { // bounded: forget everything rather than grow
		clear(a.verified)
	}
	a.verified[key] = now
	a.mu.Unlock()
	return acc.principal
}

func (a *authenticator) token(tok string) *access.Principal {
	d := sha256.Sum256([]byte(tok))
	var match *access.Principal
	for _, acc := range a.accounts { // no early exit: timing does not say which matched
		for _, t := range acc.tokens {
			if subtle.ConstantTimeCompare(d[:], t[:]) == 1 {
				match = acc.principal
			}
		}
	}
	return match
}

// clientAddr is the request's remote IP address (without the port).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// throttle limits failed authentications per client address with a token bucket each.
type throttle struct {
	limit rate.Limit
	burst int
	mu    sync.Mutex
	addrs map[string]*rate.Limiter
}

func newThrottle(perMinute float64, burst int) *throttle {
	return &throttle{limit: rate.Limit(perMinute / 60), burst: burst, addrs: map[string]*rate.Limiter{}}
}

func (t *throttle) limiter(addr string) *rate.Limiter {
	t.mu.Lock()
	defer t.mu.Unlock()
	l := t.addrs[addr]
	if l == nil {
		if len(t.addrs) >= 100000 {
			t.pruneLocked()
		}
		l = rate.NewLimiter(t.limit, t.burst)
		t.addrs[addr] = l
	}
	return l
}

// pruneLocked forgets addresses whose bucket is full again: they are as if never seen.
func (t *throttle) pruneLocked() {
	for a, l := range t.addrs {
		if l.Tokens() >= float64(t.burst) {
			delete(t.addrs, a)
		}
	}
}

func (t *throttle) fail(addr string) { t.limiter(addr).Allow() }

// blocked reports whether addr has used up its failures, and when one is allowed again.
func (t *throttle) blocked(addr string) (bool, time.Duration) {
	t.mu.Lock()
	l := t.addrs[addr]
	t.mu.Unlock()
	if l == nil || l.Tokens() >= 1 {
		return false, 0
	}
	wait := time.Second
	if t.limit > 0 {
		wait = time.Duration((1 - l.Tokens()) / float64(t.limit) * float64(time.Second))
	}
	return true, wait
}

package access

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

func newTestStatic(t testing.TB) *Static {
	t.Helper()
	a, err := NewStatic(StaticOptions{
		Users: []StaticUser{
			{Username: "alice", Password: "s3cret:with:colons", Principal: &Principal{UserID: "alice"}},
			{Username: "bob", Password: "hunter2", Principal: &Principal{UserID: "bob"}},
		},
		Tokens: []StaticToken{
			{Token: "tok-alice", Principal: &Principal{UserID: "alice-token", Groups: []string{"g"}}},
			{Token: "tok-bob", Principal: &Principal{UserID: "bob-token"}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestStaticAuthenticate(t *testing.T) {
	a := newTestStatic(t)
	tests := []struct {
		rule    string
		headers map[string][]string
		want    string // expected UserID; "" with wantErr false means no credentials
		wantErr bool
	}{
		{"no credentials: nil, nil", nil, "", false},
		{"basic", map[string][]string{"Authorization": {basic("bob", "hunter2")}}, "bob", false},
		{"basic: the password may contain ':'", map[string][]string{"Authorization": {basic("alice", "s3cret:with:colons")}}, "alice", false},
		{"basic: scheme name in any case", map[string][]string{"Authorization": {"bAsIc " + strings.TrimPrefix(basic("bob", "hunter2"), "Basic ")}}, "bob", false},
		{"basic: wrong password", map[string][]string{"Authorization": {basic("bob", "hunter3")}}, "", true},
		{"basic: another user's password", map[string][]string{"Authorization": {basic("alice", "hunter2")}}, "", true},
		{"basic: unknown user", map[string][]string{"Authorization": {basic("carol", "hunter2")}}, "", true},
		{"basic: password prefix", map[string][]string{"Authorization": {basic("bob", "hunter")}}, "", true},
		{"basic: empty password", map[string][]string{"Authorization": {basic("bob", "")}}, "", true},
		{"basic: no colon", map[string][]string{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte("bob"))}}, "", true},
		{"basic: empty username", map[string][]string{"Authorization": {basic("", "hunter2")}}, "", true},
		{"basic: bad base64", map[string][]string{"Authorization": {"Basic !!!"}}, "", true},
		{"basic: a token is not a password", map[string][]string{"Authorization": {basic("tok-bob", "")}}, "", true},
		{"bearer", map[string][]string{"Authorization": {"Bearer tok-alice"}}, "alice-token", false},
		{"bearer: lower-case scheme, extra spaces", map[string][]string{"Authorization": {"  bearer   tok-bob "}}, "bob-token", false},
		{"bearer: wrong token", map[string][]string{"Authorization": {"Bearer tok-carol"}}, "", true},
		{"bearer: token prefix", map[string][]string{"Authorization": {"Bearer tok-"}}, "", true},
		{"bearer: empty token", map[string][]string{"Authorization": {"Bearer "}}, "", true},
		{"bearer: no token", map[string][]string{"Authorization": {"Bearer"}}, "", true},
		{"bearer: a password is not a token", map[string][]string{"Authorization": {"Bearer hunter2"}}, "", true},
		{"bearer: a token with inner space", map[string][]string{"Authorization": {"Bearer tok-bob x"}}, "", true},
		{"x-apikey", map[string][]string{"X-Apikey": {"tok-bob"}}, "bob-token", false},
		{"x-apikey: wrong", map[string][]string{"X-Apikey": {"nope"}}, "", true},
		{"x-apikey: empty", map[string][]string{"X-Apikey": {""}}, "", true},
		{"an unknown scheme is rejected", map[string][]string{"Authorization": {"Digest tok-bob"}}, "", true},
		{"an empty Authorization is rejected", map[string][]string{"Authorization": {""}}, "", true},
		{"two Authorization headers are rejected", map[string][]string{"Authorization": {"Bearer tok-bob", "Bearer tok-alice"}}, "", true},
		{"Authorization and x-apikey together are rejected", map[string][]string{"Authorization": {"Bearer tok-bob"}, "X-Apikey": {"tok-bob"}}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			for k, vs := range tt.headers {
				for _, v := range vs {
					r.Header.Add(k, v)
				}
			}
			p, err := a.Authenticate(r)
			if tt.wantErr {
				if !errors.Is(err, ErrInvalidCredentials) || p != nil {
					t.Fatalf("Authenticate = %v, %v; want nil, ErrInvalidCredentials", p, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Authenticate error: %v", err)
			}
			if tt.want == "" {
				if p != nil {
					t.Fatalf("Authenticate = %+v, want nil", p)
				}
				return
			}
			if p == nil || p.UserID != tt.want {
				t.Fatalf("Authenticate = %+v, want user %q", p, tt.want)
			}
		})
	}
}

func TestStaticReturnsCopies(t *testing.T) {
	orig := &Principal{UserID: "u", Groups: []string{"g"}}
	a, err := NewStatic(StaticOptions{Tokens: []StaticToken{{Token: "t", Principal: orig}}})
	if err != nil {
		t.Fatal(err)
	}
	orig.Groups[0] = "changed-by-host"
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer t")
	p, _ := a.Authenticate(r)
	p.Groups[0] = "changed-by-caller"
	p.Capabilities = append(p.Capabilities, CapBypass)
	q, _ := a.Authenticate(r)
	if q.Groups[0] != "g" || q.Has(CapBypass) {
		t.Errorf("principal changed through a returned or configured copy: %+v", q)
	}
}

func TestNewStaticRejects(t *testing.T) {
	p := &Principal{}
	tests := []struct {
		rule string
		opts StaticOptions
	}{
		{"empty username", StaticOptions{Users: []StaticUser{{Password: "x", Principal: p}}}},
		{"empty password", StaticOptions{Users: []StaticUser{{Username: "x", Principal: p}}}},
		{"username with ':'", StaticOptions{Users: []StaticUser{{Username: "a:b", Password: "x", Principal: p}}}},
		{"user without principal", StaticOptions{Users: []StaticUser{{Username: "a", Password: "x"}}}},
		{"duplicated user", StaticOptions{Users: []StaticUser{{"a", "x", p}, {"a", "y", p}}}},
		{"empty token", StaticOptions{Tokens: []StaticToken{{Principal: p}}}},
		{"token with space", StaticOptions{Tokens: []StaticToken{{Token: "a b", Principal: p}}}},
		{"token without principal", StaticOptions{Tokens: []StaticToken{{Token: "a"}}}},
		{"duplicated token", StaticOptions{Tokens: []StaticToken{{"a", p}, {"a", p}}}},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			if _, err := NewStatic(tt.opts); !errors.Is(err, ErrInvalidOptions) {
				t.Errorf("err = %v, want ErrInvalidOptions", err)
			}
		})
	}
}

func TestStaticConcurrent(t *testing.T) {
	a := newTestStatic(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 200 {
				r := httptest.NewRequest("GET", "/", nil)
				if (i+j)%2 == 0 {
					r.Header.Set("Authorization", basic("bob", "hunter2"))
				} else {
					r.Header.Set("X-Apikey", "tok-alice")
				}
				if p, err := a.Authenticate(r); err != nil || p == nil {
					t.Errorf("Authenticate = %v, %v", p, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// FuzzParseCredentials checks that any header values parse without panicking, that a
// success is self-consistent, and that a Basic success round-trips.
func FuzzParseCredentials(f *testing.F) {
	for _, s := range []string{"", "Basic " + base64.StdEncoding.EncodeToString([]byte("a:b")), "Bearer x", "bearer  x ", "Basic", "Basic !", "Digest x", "Basic Og==", "Bearer \x00"} {
		f.Add(s, "")
	}
	f.Add("", "key")
	f.Add("Bearer x", "key")
	f.Fuzz(func(t *testing.T, authz, apikey string) {
		h := http.Header{}
		if authz != "" {
			h.Set("Authorization", authz)
		}
		if apikey != "" {
			h.Set("X-Apikey", apikey)
		}
		c, err := ParseCredentials(h)
		if err != nil {
			if !errors.Is(err, ErrInvalidCredentials) || c != (Credentials{}) {
				t.Fatalf("error %v with credentials %+v", err, c)
			}
			return
		}
		switch c.Scheme {
		case SchemeNone:
			if authz != "" || apikey != "" {
				t.Fatalf("headers %q %q gave no credentials", authz, apikey)
			}
		case SchemeBasic:
			if c.Username == "" || strings.Contains(c.Username, ":") {
				t.Fatalf("bad basic username %q", c.Username)
			}
			// Round trip: what we parsed is what the client encoded.
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Authorization", authz)
			if u, p, ok := r.BasicAuth(); ok && (u != c.Username || p != c.Secret) {
				t.Fatalf("net/http reads %q:%q, we read %q:%q", u, p, c.Username, c.Secret)
			}
		case SchemeBearer, SchemeAPIKey:
			if !validToken(c.Secret) {
				t.Fatalf("invalid token accepted: %q", c.Secret)
			}
		default:
			t.Fatalf("unknown scheme %d", c.Scheme)
		}
	})
}

package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ctifeed/ctifeed/stix"
)

// TestAdminStreamAccess: only principals holding TAXIIAPI_SETCOLLECTIONS manage streams,
// a refused request changes nothing, a definition gives its creator nothing beyond its
// clearance, and a stream limited to others stays hidden from a manager who is not among
// them.
func TestAdminStreamAccess(t *testing.T) {
	hub := startAdminHub(t, writeAdminConfig(t, t.TempDir(), "{engine: memory}", configuredStream))
	base := hub.base + "/admin/streams"
	def := `{"name": "S", "stream_live": true}`

	t.Run("credentials and capability", func(t *testing.T) {
		for _, c := range []struct {
			name, token string
			want        int
		}{{"anonymous", "", 401}, {"unknown token", "not-a-known-token-0123456789", 401}, {"reader", readerToken, 403}} {
			for _, r := range []struct{ method, url, body string }{
				{http.MethodGet, base, ""}, {http.MethodPost, base, def}, {http.MethodGet, base + "/configured", ""},
				{http.MethodPut, base + "/new", def}, {http.MethodDelete, base + "/configured", ""},
			} {
				code, h, body := call(t, r.method, r.url, c.token, r.body)
				problemOf(t, h, body)
				if code != c.want {
					t.Errorf("%s: %s %s = %d, want %d: %s", c.name, r.method, r.url, code, c.want, body)
				}
				if c.want == 401 && h.Get("WWW-Authenticate") == "" {
					t.Errorf("%s: %s %s: 401 without WWW-Authenticate", c.name, r.method, r.url)
				}
			}
		}
		mustCall(t, http.StatusNotFound, http.MethodGet, base+"/new", adminToken, "")
		mustCall(t, http.StatusOK, http.MethodGet, base+"/configured", adminToken, "")
		if code, _ := connect(t, hub.base+"/stream/new", readerToken); code != http.StatusNotFound {
			t.Errorf("a refused PUT created a stream (%d)", code)
		}
	})

	t.Run("no more than the creator sees", func(t *testing.T) {
		// The weak manager is cleared to TLP:CLEAR; anonymous readers of a public stream
		// get the public clearance, TLP:GREEN. A public stream would show them GREEN.
		code, h, body := call(t, http.MethodPut, base+"/public", weakToken, `{"name": "P", "stream_live": true, "stream_public": true}`)
		p := problemOf(t, h, body)
		if code != http.StatusForbidden || len(p.Errors) != 1 || p.Errors[0].Field != "stream_public" {
			t.Fatalf("a public stream by a manager below the public clearance: %d %s", code, body)
		}
		mustCall(t, http.StatusNotFound, http.MethodGet, base+"/public", adminToken, "")
		// A restricted one runs as each consumer: the weak manager gets only TLP:CLEAR.
		mustCall(t, http.StatusCreated, http.MethodPut, base+"/weak", weakToken, `{"name": "W", "stream_live": true}`)
		code, c := connect(t, hub.base+"/stream/weak", weakToken)
		if code != http.StatusOK {
			t.Fatalf("the creator's own stream: %d", code)
		}
		green, clear := labelled(t, "green", "x", stix.TLP2Green), labelled(t, "clear", "x", stix.TLP2Clear)
		put(t, hub, green, clear)
		c.expect(t, clear, green)
		// The stronger manager may publish: the public clearance is within its own.
		mustCall(t, http.StatusCreated, http.MethodPut, base+"/public", adminToken, `{"name": "P", "stream_live": true, "stream_public": true}`)
		// and the weak one may not change that stream while it stays public.
		if code, _, body := call(t, http.MethodPut, base+"/public", weakToken, `{"name": "Mine", "stream_live": true, "stream_public": true}`); code != http.StatusForbidden {
			t.Errorf("the weak manager changed a public stream: %d %s", code, body)
		}
	})

	t.Run("hidden from non-members", func(t *testing.T) {
		mustCall(t, http.StatusCreated, http.MethodPut, base+"/admins-only", adminToken,
			`{"name": "A", "stream_live": true, "authorized_members": [{"kind": "user", "id": "admin"}]}`)
		list := mustCall(t, http.StatusOK, http.MethodGet, base, weakToken, "")
		if strings.Contains(list, "admins-only") {
			t.Errorf("the weak manager's list names a stream limited to others: %s", list)
		}
		mustCall(t, http.StatusNotFound, http.MethodGet, base+"/admins-only", weakToken, "")
		mustCall(t, http.StatusNotFound, http.MethodDelete, base+"/admins-only", weakToken, "")
		code, h, body := call(t, http.MethodPut, base+"/admins-only", weakToken, `{"name": "Taken over", "stream_live": true}`)
		if p := problemOf(t, h, body); code != http.StatusForbidden || len(p.Errors) != 1 || p.Errors[0].Field != "id" {
			t.Errorf("PUT over a hidden stream: %d %s", code, body)
		}
		if got := mustCall(t, http.StatusOK, http.MethodGet, base+"/admins-only", adminToken, ""); !strings.Contains(got, `"name":"A"`) {
			t.Errorf("the hidden stream changed: %s", got)
		}
	})
}

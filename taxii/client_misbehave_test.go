package taxii_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/taxii"
)

// objectJSON is a valid STIX object for page n of a made-up server.
func objectJSON(n int) string {
	return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-%012d",`+
		`"created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '192.0.2.1']",`+
		`"pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z"}`, n)
}

// TestClientStopsMisbehavingPaging guards issue 20 item 3: the client followed `next`
// forever when a server repeated it (peers' clients looped so against OpenCTI). Against
// servers that repeat a token, serve a page that does not advance, or whose more and
// next disagree, the read stops with ErrBadResponse naming the fault, within a few
// requests.
func TestClientStopsMisbehavingPaging(t *testing.T) {
	for _, tc := range []struct {
		name string
		page func(n int) string // the envelope of the n-th request (from 1)
		want string
	}{
		{"repeats one next token", func(n int) string {
			return `{"more":true,"next":"same","objects":[` + objectJSON(n) + `]}`
		}, "repeated the next token"},
		{"cycles between two tokens", func(n int) string {
			return fmt.Sprintf(`{"more":true,"next":"t%d","objects":[%s]}`, n%2, objectJSON(n))
		}, "repeated the next token"},
		{"says more with an empty page", func(n int) string {
			return fmt.Sprintf(`{"more":true,"next":"t%d"}`, n)
		}, "page is empty"},
		{"serves the same page under new tokens", func(n int) string {
			return fmt.Sprintf(`{"more":true,"next":"t%d","objects":[%s]}`, n, objectJSON(1))
		}, "repeats the previous one"},
		{"more false with a next", func(n int) string {
			return fmt.Sprintf(`{"more":false,"next":"t%d","objects":[%s]}`, n, objectJSON(n))
		}, "more and next disagree"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var requests atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := int(requests.Add(1))
				if n > 50 {
					http.Error(w, "the client kept going", http.StatusTeapot)
					return
				}
				w.Header().Set("Content-Type", taxii.MediaType)
				io.WriteString(w, tc.page(n))
			}))
			defer srv.Close()
			var err error
			for _, e := range newClient(t, srv.URL, nil).Objects(context.Background(), "api1", "c", nil) {
				if e != nil {
					err = e
				}
			}
			if !errors.Is(err, taxii.ErrBadResponse) || !strings.Contains(err.Error(), tc.want) || requests.Load() > 3 {
				t.Errorf("after %d requests: %v, want ErrBadResponse saying %q", requests.Load(), err, tc.want)
			}
		})
	}
}

// TestClientKeepsContextSentinel guards issue 23 item 5: a download cut by the context's
// deadline was reported as a malformed response (the decoding error was wrapped with %v
// inside ErrBadResponse), so errors.Is(err, context.DeadlineExceeded) was false and retry
// logic blamed the server. A body that is not JSON still is ErrBadResponse.
func TestClientKeepsContextSentinel(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", taxii.MediaType)
		if strings.Contains(r.URL.Path, "broken") {
			io.WriteString(w, `{"title": nope}`)
			return
		}
		io.WriteString(w, `{"title":"slow`) // headers and half a body, then nothing
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := newClient(t, srv.URL, nil).Discovery(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, taxii.ErrBadResponse) {
		t.Errorf("a download cut by the deadline: %v, want context.DeadlineExceeded and not ErrBadResponse", err)
	}
	_, err = newClient(t, srv.URL+"/broken/", nil).Discovery(context.Background())
	if !errors.Is(err, taxii.ErrBadResponse) {
		t.Errorf("a body that is not JSON: %v, want ErrBadResponse", err)
	}
}

package sse

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
)

// step says what one connection of the test server does: send up to n events after the
// client's Last-Event-ID, then end the response ("eof"), cut the connection ("abort") or go
// silent until the client leaves ("hang"); status != 0 answers with that status instead.
type step struct {
	n      int
	end    string
	status int
	retry  time.Duration
}

// logServer serves a log of events with ids "1".."total", following a script per connection
// (the last step repeats), and records each request.
type logServer struct {
	total  int
	script []step

	mu       sync.Mutex
	requests []*http.Request
}

func (s *logServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	conn := len(s.requests)
	s.requests = append(s.requests, r.Clone(context.Background()))
	s.mu.Unlock()
	st := s.script[min(conn, len(s.script)-1)]
	if st.status != 0 {
		w.WriteHeader(st.status)
		fmt.Fprintf(w, "status %d", st.status)
		return
	}
	SetHeaders(w.Header())
	sw := NewWriter(w)
	from, _ := strconv.Atoi(r.Header.Get("Last-Event-ID"))
	_ = sw.WriteComment("connected")
	if st.retry > 0 {
		_ = sw.WriteRetry(st.retry)
	}
	for id := from + 1; id <= min(from+st.n, s.total); id++ {
		_ = sw.WriteEvent(Event{ID: strconv.Itoa(id), Event: "create", Data: []byte(fmt.Sprintf(`{"n":%d}`, id))})
	}
	_ = sw.Flush()
	switch st.end {
	case "abort":
		panic(http.ErrAbortHandler)
	case "hang":
		<-r.Context().Done()
	}
}

func (s *logServer) lastEventIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for _, r := range s.requests {
		ids = append(ids, r.Header.Get("Last-Event-ID"))
	}
	return ids
}

// start runs h and returns a client on it with fast backoff; everything is closed, and
// goroutine leaks checked, when the test ends.
func start(t *testing.T, h http.Handler, opts ClientOptions) (*Client, string) {
	t.Helper()
	t.Cleanup(func() { goleak.VerifyNone(t) })
	srv := httptest.NewServer(h)
	tr := &http.Transport{}
	t.Cleanup(func() { tr.CloseIdleConnections(); srv.Close() })
	srv.Config.ErrorLog = nil
	opts.HTTPClient = &http.Client{Transport: tr}
	if opts.MinBackoff == 0 {
		opts.MinBackoff, opts.MaxBackoff = time.Millisecond, 4*time.Millisecond
	}
	return NewClient(&opts), srv.URL
}

// collect ranges over a stream and returns the ids received and the final error.
func collect(ctx context.Context, c *Client, url string, stopAfter int) ([]string, error) {
	var ids []string
	for ev, err := range c.Stream(ctx, url) {
		if err != nil {
			return ids, err
		}
		ids = append(ids, ev.ID)
		if len(ids) == stopAfter {
			break
		}
	}
	return ids, nil
}

func seq(from, to int) []string {
	var s []string
	for i := from; i <= to; i++ {
		s = append(s, strconv.Itoa(i))
	}
	return s
}

// A stream cut in every way a network can cut it is resumed from the last id received: every
// event arrives exactly once, in order.
func TestClientResumesExactlyOnce(t *testing.T) {
	srv := &logServer{total: 10, script: []step{
		{n: 3, end: "eof"},   // server ends the response
		{n: 2, end: "abort"}, // connection cut mid-stream
		{status: http.StatusServiceUnavailable},
		{n: 100, end: "eof"},
		{status: http.StatusNoContent}, // then the server says: do not reconnect
	}}
	var reasons []error
	c, url := start(t, srv, ClientOptions{OnReconnect: func(r Reconnect) { reasons = append(reasons, r.Err) }})
	ids, err := collect(t.Context(), c, url, -1)
	if err != nil {
		t.Fatalf("stream ended with %v, want a clean end on 204", err)
	}
	if d := cmp.Diff(seq(1, 10), ids); d != "" {
		t.Errorf("events received (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"", "3", "5", "5", "10"}, srv.lastEventIDs()); d != "" {
		t.Errorf("Last-Event-ID per request (-want +got):\n%s", d)
	}
	if len(reasons) != 4 {
		t.Fatalf("OnReconnect called %d times, want 4: %v", len(reasons), reasons)
	}
	var se *StatusError
	if !errors.As(reasons[2], &se) || se.Code != http.StatusServiceUnavailable {
		t.Errorf("third reconnect reason = %v, want the 503", reasons[2])
	}
	srv.mu.Lock()
	for i, r := range srv.requests {
		if r.Header.Get("Accept") != "text/event-stream" {
			t.Errorf("request %d Accept = %q", i, r.Header.Get("Accept"))
		}
	}
	srv.mu.Unlock()
}

func TestClientTerminalStatus(t *testing.T) {
	for _, code := range []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusGone, http.StatusBadRequest} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			srv := &logServer{script: []step{{status: code}}}
			c, url := start(t, srv, ClientOptions{})
			_, err := collect(t.Context(), c, url, -1)
			var se *StatusError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want *StatusError", err)
			}
			want := &StatusError{Code: code, Body: fmt.Sprintf("status %d", code)}
			if d := cmp.Diff(want, se); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
			if n := len(srv.lastEventIDs()); n != 1 {
				t.Errorf("%d requests, want 1: a %d is not retried", n, code)
			}
		})
	}
}

func TestClientRetriesTransientStatus(t *testing.T) {
	for _, code := range []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusTooManyRequests, http.StatusRequestTimeout} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			srv := &logServer{total: 2, script: []step{{status: code}, {status: code}, {n: 2, end: "hang"}}}
			c, url := start(t, srv, ClientOptions{})
			ids, err := collect(t.Context(), c, url, 2)
			if err != nil || len(ids) != 2 {
				t.Errorf("got %v, %v; want 2 events after two %d answers", ids, err, code)
			}
		})
	}
}

func TestClientMaxFailures(t *testing.T) {
	srv := &logServer{script: []step{{status: http.StatusBadGateway}}}
	c, url := start(t, srv, ClientOptions{MaxFailures: 3})
	_, err := collect(t.Context(), c, url, -1)
	var se *StatusError
	if !errors.Is(err, ErrTooManyFailures) || !errors.As(err, &se) || se.Code != http.StatusBadGateway {
		t.Errorf("err = %v, want ErrTooManyFailures wrapping the 502", err)
	}
	if n := len(srv.lastEventIDs()); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
}

// A silent connection is replaced, resuming after what was received.
func TestClientIdleTimeout(t *testing.T) {
	srv := &logServer{total: 4, script: []step{{n: 2, end: "hang"}, {n: 2, end: "hang"}}}
	var reasons []error
	c, url := start(t, srv, ClientOptions{IdleTimeout: 20 * time.Millisecond,
		OnReconnect: func(r Reconnect) { reasons = append(reasons, r.Err) }})
	ids, err := collect(t.Context(), c, url, 4)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(seq(1, 4), ids); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if len(reasons) != 1 || !errors.Is(reasons[0], ErrIdleTimeout) {
		t.Errorf("reconnect reasons = %v, want one ErrIdleTimeout", reasons)
	}
	if d := cmp.Diff([]string{"", "2"}, srv.lastEventIDs()); d != "" {
		t.Errorf("Last-Event-ID per request (-want +got):\n%s", d)
	}
}

// Cancelling the context ends the iteration with the context's error and closes the
// connection (goleak checks that nothing is left).
func TestClientContextCancel(t *testing.T) {
	srv := &logServer{total: 5, script: []step{{n: 1, end: "hang"}}}
	c, url := start(t, srv, ClientOptions{IdleTimeout: -1})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var got []string
	var err error
	for ev, e := range c.Stream(ctx, url) {
		if e != nil {
			err = e
			break
		}
		got = append(got, ev.ID)
		cancel()
	}
	if !errors.Is(err, context.Canceled) || len(got) != 1 {
		t.Errorf("got %v, %v; want one event then context.Canceled", got, err)
	}
}

// Cancelling while the client waits to reconnect ends the wait.
func TestClientContextCancelDuringBackoff(t *testing.T) {
	srv := &logServer{script: []step{{status: http.StatusServiceUnavailable}}}
	ctx, cancel := context.WithCancel(t.Context())
	c, url := start(t, srv, ClientOptions{MinBackoff: time.Hour, OnReconnect: func(Reconnect) { cancel() }})
	_, err := collect(ctx, c, url, -1)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// A consumer that breaks out of the loop closes the connection.
func TestClientConsumerStops(t *testing.T) {
	srv := &logServer{total: 5, script: []step{{n: 5, end: "hang"}}}
	c, url := start(t, srv, ClientOptions{})
	ids, err := collect(t.Context(), c, url, 2)
	if err != nil || len(ids) != 2 {
		t.Errorf("got %v, %v", ids, err)
	}
}

// The server's retry field replaces MinBackoff as the base wait.
func TestClientHonoursServerRetry(t *testing.T) {
	srv := &logServer{total: 2, script: []step{{n: 1, end: "eof", retry: 3 * time.Millisecond}, {n: 1, end: "hang"}}}
	var delays []time.Duration
	c, url := start(t, srv, ClientOptions{MinBackoff: time.Hour, MaxBackoff: time.Hour,
		OnReconnect: func(r Reconnect) { delays = append(delays, r.Delay) }})
	if _, err := collect(t.Context(), c, url, 2); err != nil {
		t.Fatal(err)
	}
	if len(delays) != 1 || delays[0] > 3*time.Millisecond {
		t.Errorf("delays = %v, want one of at most the server's 3ms", delays)
	}
}

func TestClientRefusesOtherContent(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html>login</html>")
	})
	c, url := start(t, h, ClientOptions{})
	if _, err := collect(t.Context(), c, url, -1); !errors.Is(err, ErrNotEventStream) {
		t.Errorf("err = %v, want ErrNotEventStream", err)
	}
}

func TestClientHeaderFunc(t *testing.T) {
	srv := &logServer{total: 1, script: []step{{n: 1, end: "hang"}}}
	c, url := start(t, srv, ClientOptions{LastEventID: "0", Header: func(_ context.Context, h http.Header) error {
		h.Set("Authorization", "Bearer token")
		return nil
	}})
	if _, err := collect(t.Context(), c, url, 1); err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	r := srv.requests[0]
	srv.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer token" || r.Header.Get("Last-Event-ID") != "0" {
		t.Errorf("headers = %v", r.Header)
	}

	boom := errors.New("no token")
	c2 := NewClient(&ClientOptions{Header: func(context.Context, http.Header) error { return boom }})
	if _, err := collect(t.Context(), c2, url, -1); !errors.Is(err, boom) {
		t.Errorf("err = %v, want the Header error", err)
	}
}

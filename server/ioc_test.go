package server

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/iocstream"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/memstore"
)

// TestIoCStreamHoldsTheWholeBoundary: the hub's IoC stream turns into notifications only
// the objects every reader may receive under the whole access boundary, not only those
// each reader may see by its markings: an indicator that names, inside an extension, an
// author its readers may not see is withheld (the notification would carry an IoC whose
// source the reader may not know), while a plain one next to it is notified.
func TestIoCStreamHoldsTheWholeBoundary(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(dir+"/bundles", 0o755); err != nil {
		t.Fatal(err)
	}
	at := time.Now().UTC().Add(-time.Hour).Truncate(time.Millisecond)
	secret, err := stix.Parse([]byte(`{"type":"identity","spec_version":"2.1","id":"identity--5d1c2f7e-1b0a-4c3d-9e8f-7a6b5c4d3e2f",` +
		`"created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","name":"Secret source",` +
		`"identity_class":"individual","object_marking_refs":["` + string(stix.TLP2Red) + `"]}`))
	if err != nil {
		t.Fatal(err)
	}
	plain := indicator(t, "plain", at)
	naming := indicator(t, "names-the-secret", at)
	raw := strings.Replace(string(naming.Raw()), `"type":"indicator",`, `"type":"indicator","extensions":{"extension-definition--0e3f5a6b-7c8d-4e9f-8a0b-1c2d3e4f5a6b":`+
		`{"extension_type":"property-extension","source_ref":"`+string(secret.ID())+`"}},`, 1)
	if naming, err = stix.Parse([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	st := memstore.New(nil)
	for _, o := range []*stix.Object{secret, naming, plain} {
		if _, _, err := st.Put(context.Background(), o); err != nil {
			t.Fatal(err)
		}
	}
	rem := newRemote(t)
	path := hubConfig{dir: dir, remoteURL: rem.srv.URL, maxConns: 64}.write(t)
	hub := startHub(t, path, sharedEngine(st, newMemCheckpoints()), nil)
	defer hub.stop()
	var body string
	eventually(t, "the plain indicator's notification", func() bool {
		var code int
		code, _, body = get(t, hub.base+"/api/v3/ioc_stream?limit=40", "x-apikey", aliceToken)
		return code == 200 && strings.Contains(body, "plain.example")
	})
	// Both indicators were stored before the plain one's event was read: the notifier
	// decided the other one already.
	if strings.Contains(body, "names-the-secret.example") {
		t.Errorf("the IoC stream notified an indicator naming an object its reader may not see:\n%s", body)
	}
}

// TestWaitIoC: once WaitIoC returns, the IoC stream holds the notifications of every
// change the log held when it was called, without polling; with its context done it
// returns the context's error.
func TestWaitIoC(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(dir+"/bundles", 0o755); err != nil {
		t.Fatal(err)
	}
	at := time.Now().UTC().Add(-time.Hour).Truncate(time.Millisecond)
	st := memstore.New(nil)
	const n = 300
	for i := range n {
		if _, _, err := st.Put(context.Background(), indicator(t, fmt.Sprintf("wait-%03d", i), at)); err != nil {
			t.Fatal(err)
		}
	}
	rem := newRemote(t)
	path := hubConfig{dir: dir, remoteURL: rem.srv.URL, maxConns: 64}.write(t)
	hub := startHub(t, path, sharedEngine(st, newMemCheckpoints()), nil)
	defer hub.stop()
	if err := hub.s.WaitIoC(t.Context()); err != nil {
		t.Fatal(err)
	}
	all, err := iocstream.ParseFilter("")
	if err != nil {
		t.Fatal(err)
	}
	got, err := hub.s.ioc.Scan(t.Context(), all, &iocstream.ScanOptions{Limit: 2 * n})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Errorf("after WaitIoC the IoC stream holds %d notifications, want %d", len(got), n)
	}
	// A position the bridge cannot reach yet: a done context ends the wait.
	var p progress
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := p.wait(ctx, store.Position{Millis: 1}); err != context.Canceled {
		t.Errorf("wait with a done context = %v, want context.Canceled", err)
	}
}

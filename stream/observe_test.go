package stream_test

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store/memstore"
	"github.com/ctifeed/ctifeed/stream"
)

type recordingObserver struct {
	mu       sync.Mutex
	started  int
	ended    chan struct{}
	messages int
	bytes    int
	last     string
	ctxSeen  bool
}

type obsKey struct{}

func (o *recordingObserver) ObserveStart(ctx context.Context, d stream.StartData) context.Context {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.started++
	return context.WithValue(ctx, obsKey{}, d.StreamID)
}

func (o *recordingObserver) ObserveEnd(ctx context.Context, d stream.EndData) { close(o.ended) }

func (o *recordingObserver) ObserveGroup(ctx context.Context, d stream.GroupData) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.messages += d.Messages
	o.bytes += d.Bytes
	o.last = d.Pos.String()
	o.ctxSeen = ctx.Value(obsKey{}) == d.StreamID
}

// TestObserver: the handler tells its observer of the connection's start, of each group
// with its messages, bytes and position, and of its end, passing the start's context on.
func TestObserver(t *testing.T) {
	st := memstore.New(nil)
	ctx := context.Background()
	for _, name := range []string{"a", "b", "c"} {
		o, err := stix.NewIndicator(name, "[domain-name:value = '"+name+".example']", time.Now(), stix.Common{})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.Put(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	reg, err := stream.NewRegistry(&stream.RegistryOptions{Definitions: []stream.Definition{{ID: "s", Name: "S", Live: true, Public: true}}})
	if err != nil {
		t.Fatal(err)
	}
	obs := &recordingObserver{ended: make(chan struct{})}
	h, err := stream.NewHandler(&stream.HandlerOptions{Store: st, Streams: reg, Observer: obs, Heartbeat: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	defer h.Close()
	c, err := stream.NewClient(srv.URL+"/stream/s", &stream.ClientOptions{From: "0", MaxFailures: 1})
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	var lastID string
	for f, err := range c.Frames(cctx) {
		if err != nil {
			t.Fatal(err)
		}
		if f.Event == "heartbeat" {
			lastID = f.ID
			break
		}
	}
	cancel()
	select {
	case <-obs.ended:
	case <-time.After(10 * time.Second):
		t.Fatal("ObserveEnd was not called")
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if obs.started != 1 || obs.messages != 3 || obs.bytes == 0 || obs.last != lastID || !obs.ctxSeen {
		t.Errorf("observed started=%d messages=%d bytes=%d last=%s (heartbeat %s) ctx passed=%v",
			obs.started, obs.messages, obs.bytes, obs.last, lastID, obs.ctxSeen)
	}
}

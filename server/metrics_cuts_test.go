package server

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/ctifeed/ctifeed/stream"
)

// A connection the stream handler cut for falling too far behind is counted per stream;
// other ends are not, and a negative http.stream_max_lag is refused naming the field.
func TestStreamCutsCounted(t *testing.T) {
	m := newMetrics()
	o := streamObserver{m}
	for _, err := range []error{nil, errors.New("write: broken pipe"),
		fmt.Errorf("stream: consumer 2m behind: %w", stream.ErrTooFarBehind)} {
		ctx := o.ObserveStart(context.Background(), stream.StartData{StreamID: "s"})
		o.ObserveEnd(ctx, stream.EndData{StreamID: "s", Err: err})
	}
	var got dto.Metric
	if err := m.streamCuts.WithLabelValues("s").Write(&got); err != nil || got.GetCounter().GetValue() != 1 {
		t.Errorf("ctifeed_stream_cuts_total{stream=s} = %v (%v), want 1", got.GetCounter().GetValue(), err)
	}
	cfg := &Config{Listen: "127.0.0.1:0", Store: StoreConfig{Engine: "memory"}, HTTP: HTTPConfig{StreamMaxLag: -1}}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "http.stream_max_lag") {
		t.Errorf("Validate with a negative stream_max_lag: %v", err)
	}
}

package csvfeed_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/csvfeed"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store/memstore"
)

type genObserver struct {
	mu   sync.Mutex
	seen []csvfeed.GenerateData
}

func (o *genObserver) ObserveGenerate(_ context.Context, d csvfeed.GenerateData) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.seen = append(o.seen, d)
}

// TestObserver: every generation is reported with its feed, rows and duration.
func TestObserver(t *testing.T) {
	st := memstore.New(nil)
	ctx := context.Background()
	for _, name := range []string{"a", "b"} {
		o, err := stix.NewIndicator(name, "[domain-name:value = '"+name+".example']", time.Now(), stix.Common{})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.Put(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	var def csvfeed.Definition
	if err := json.Unmarshal([]byte(`{"id":"f","name":"F","feed_types":["Indicator"],"feed_public":true,
		"rolling_time":60,"window":"rolling","filters":{"mode":"and","filters":[],"filterGroups":[]},
		"feed_attributes":[{"attribute":"name","mappings":[{"type":"Indicator","attribute":"name"}]}]}`), &def); err != nil {
		t.Fatal(err)
	}
	f, err := csvfeed.Compile(def, &csvfeed.FeedOptions{PublicPrincipal: &access.Principal{UserID: "anon"}})
	if err != nil {
		t.Fatal(err)
	}
	vis, err := access.NewVisibility(nil)
	if err != nil {
		t.Fatal(err)
	}
	obs := &genObserver{}
	s, err := csvfeed.NewScheduler(&csvfeed.SchedulerOptions{Source: st, Visibility: vis, Feeds: []*csvfeed.Feed{f}, Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Regenerate(ctx, "f"); err != nil {
		t.Fatal(err)
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if len(obs.seen) != 1 || obs.seen[0].Feed != "f" || obs.seen[0].Rows != 2 || obs.seen[0].Err != nil || obs.seen[0].Duration <= 0 {
		t.Errorf("observed %+v", obs.seen)
	}
}

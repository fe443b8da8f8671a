package csvfeed_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/csvfeed"
	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/store"
)

// keyFeed compiles an indicator feed of names filtered by the text filter.
func keyFeed(t *testing.T, text string) *csvfeed.Feed {
	t.Helper()
	g, err := filter.ParseText(text)
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	return compile(t, `{"id":"k","name":"k","feed_types":["Indicator"],"filters":`+string(js)+
		`,"feed_attributes":[{"attribute":"name","mappings":[{"type":"Indicator","attribute":"name"}]}]}`)
}

// A generation decides regardingOf as the store is when it starts (an open window) or as
// of the window's close (a closed one), and created_at by the store's date_added.
func TestGenerationFilterKeys(t *testing.T) {
	ctx := context.Background()
	s := fixture(t)
	emotet := keyFeed(t, `regardingOf = {id = `+string(id("malware", 2))+`, relationship_type = indicates}`)
	gen := func(w csvfeed.Window) []string {
		t.Helper()
		got := rows(t, must[*csvfeed.File](t)(emotet.Generate(ctx, s, visibility(t), amber(), w)))
		slices.Sort(got)
		return got
	}
	all := []string{"Emotet C2", "Shared infrastructure", "Zürich, 東京 \"beacon\"\nsecond line"}
	if got := gen(windowAll()); !slices.Equal(got, all) {
		t.Errorf("open window: %q, want %q", got, all)
	}
	before := must[store.LogBounds](t)(s.Bounds(ctx)).Last
	s.clock.Set(t0.Add(time.Hour))
	if _, err := s.Delete(ctx, id("relationship", 6)); err != nil {
		t.Fatal(err)
	}
	if got := gen(csvfeed.Window{Since: t0, Until: t0.Add(2 * time.Hour)}); !slices.Equal(got, all[1:]) {
		t.Errorf("open window after the relationship's delete: %q, want %q", got, all[1:])
	}
	// The closed window ending before the delete keeps the indicator: it is the store as it
	// was then, relationships included.
	if got := gen(csvfeed.Window{Closed: true, Through: before}); !slices.Equal(got, all) {
		t.Errorf("closed window through %s: %q, want %q", before, got, all)
	}

	recent := keyFeed(t, `created_at >= 2024-05-01T10:12:00Z`)
	got := rows(t, must[*csvfeed.File](t)(recent.Generate(ctx, s, visibility(t), amber(), windowAll())))
	want := []string{"Zürich, 東京 \"beacon\"\nsecond line", "'=cmd|' /C calc'!A0"} // 12 is TLP:RED; a formula is neutralised
	if !slices.Equal(got, want) {
		t.Errorf("created_at: %q, want %q", got, want)
	}
}

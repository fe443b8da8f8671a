package iocstream_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/iocstream"
	"github.com/ctifeed/ctifeed/stix"
)

// TestBridgeHoldsTheBoundary: the IoC stream has one audience, so an indicator or
// observable becomes notifications only if every reader may receive it; the hidden one
// gives ErrHidden and no notification (issue 16: the IoC stream bridge applies the one
// boundary).
func TestBridgeHoldsTheBoundary(t *testing.T) {
	ctx := context.Background()
	vis, err := access.NewVisibility(&access.VisibilityOptions{EnforceOrganizations: true, UngrantedVisible: true})
	if err != nil {
		t.Fatal(err)
	}
	org := "identity--a0000000-0000-4000-8000-000000000001"
	a := &iocstream.Audience{Visibility: vis, Principals: []*access.Principal{
		{Name: "public", Markings: access.Clearance{Max: []stix.ID{stix.TLP2Clear}}},
		{Name: "partner", Organizations: []string{org}, Markings: access.Clearance{Max: []stix.ID{stix.TLP2Green}}},
	}}
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	ind := func(n string, c stix.Common) *stix.Object {
		c.ID, c.Created = stix.ID("indicator--a0000000-0000-4000-8000-00000000000"+n), at
		o, err := stix.NewIndicator("i", "[domain-name:value = 'x"+n+".example']", at, c)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	tmpl := &iocstream.Notification{Origin: iocstream.OriginSubscriptions, Date: at,
		Sources: []iocstream.Source{{Type: iocstream.SourceCollection, ID: "c", Label: "c"}}}
	cases := []struct {
		name   string
		o      *stix.Object
		shared bool
	}{
		{"CLEAR, ungranted: everyone", ind("1", stix.Common{ObjectMarkingRefs: []stix.ID{stix.TLP2Clear}}), true},
		{"GREEN: not the public", ind("2", stix.Common{ObjectMarkingRefs: []stix.ID{stix.TLP2Green}}), false},
		{"granted to the partner's organization: not the public", ind("3", stix.Common{Extra: map[string]any{"x_opencti_granted_refs": []string{org}}}), false},
		{"a GREEN observable", stix.MustParse(`{"type":"domain-name","spec_version":"2.1","id":"domain-name--a0000000-0000-4000-8000-000000000004","value":"g.example","object_marking_refs":["` + string(stix.TLP2Green) + `"]}`), false},
	}
	for _, c := range cases {
		ns, err := iocstream.FromSTIXFor(ctx, a, c.o, tmpl)
		switch {
		case c.shared && (err != nil || len(ns) != 1):
			t.Errorf("%s: %v %v, want one notification", c.name, ns, err)
		case !c.shared && (!errors.Is(err, iocstream.ErrHidden) || ns != nil):
			t.Errorf("%s: %v %v, want ErrHidden and nothing", c.name, ns, err)
		}
	}
	if _, err := (&iocstream.Audience{Visibility: vis}).Shareable(ctx, cases[0].o); !errors.Is(err, iocstream.ErrInvalid) {
		t.Errorf("an audience without principals: %v, want ErrInvalid", err)
	}
}

package seedscenario

import (
	"context"
	"fmt"
	"time"

	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// The scenario's identifiers.
const (
	StreamID       = "seed-live-stream"
	StreamName     = "Indicators labelled detection"
	MarkingID      = stix.TLPGreen
	AuthorID       = stix.ID("identity--5eed0001-0000-4000-8000-000000000001")
	MalwareID      = stix.ID("malware--5eed0002-0000-4000-8000-000000000002")
	IndicatorID    = stix.ID("indicator--5eed0003-0000-4000-8000-000000000003")
	RelationshipID = stix.ID("relationship--5eed0004-0000-4000-8000-000000000004")
)

// Label is the label the stream's filters select on.
const Label = "detection"

// FiltersJSON is the stream's filters in OpenCTI's FilterGroup JSON.
const FiltersJSON = `{"mode":"and","filters":[` +
	`{"key":["entity_type"],"values":["Indicator"],"operator":"eq","mode":"or"},` +
	`{"key":["objectLabel"],"values":["detection"],"operator":"eq","mode":"or"}` +
	`],"filterGroups":[]}`

// Filters returns the stream's filters, parsed from [FiltersJSON].
func Filters() filter.Group {
	g, err := filter.Parse([]byte(FiltersJSON))
	if err != nil {
		panic("seedscenario: FiltersJSON does not parse: " + err.Error()) // a constant: cannot happen
	}
	return g
}

// Start is when the scenario begins: the objects of [Setup] are created then.
func Start() time.Time { return time.Date(2024, 1, 15, 9, 0, 0, 0, time.UTC) }

// Marking returns the TLP:GREEN marking definition.
func Marking() *stix.Object {
	m, _ := stix.TLPMarking(MarkingID)
	return m
}

// Author returns the identity "CrowdStrike".
func Author() *stix.Object {
	return must(stix.NewIdentity("CrowdStrike", "organization", stix.Common{ID: AuthorID, Created: Start()}))
}

// Malware returns the malware "Emotet".
func Malware() *stix.Object {
	return must(stix.NewMalware("Emotet", true, stix.Common{ID: MalwareID, Created: Start()}))
}

// Indicator returns the indicator's version modified at modified, with labels: marked
// TLP:GREEN, authored by CrowdStrike.
func Indicator(modified time.Time, labels ...string) *stix.Object {
	return must(stix.NewIndicator("Emotet C2 198.51.100.7", "[ipv4-addr:value = '198.51.100.7']",
		Start(), stix.Common{ID: IndicatorID, Created: Start().Add(time.Minute), Modified: modified,
			CreatedByRef: AuthorID, ObjectMarkingRefs: []stix.ID{MarkingID}, Labels: labels}))
}

// Relationship returns the relationship "the indicator indicates Emotet", authored by
// CrowdStrike and marked TLP:GREEN like the indicator.
func Relationship() *stix.Object {
	return must(stix.NewRelationship("indicates", IndicatorID, MalwareID, stix.Common{
		ID: RelationshipID, Created: Start().Add(time.Minute),
		CreatedByRef: AuthorID, ObjectMarkingRefs: []stix.ID{MarkingID}}))
}

// Objects returns every object of the scenario: the marking, the author, the malware, the
// indicator as created in step 1, and the relationship.
func Objects() []*stix.Object {
	return []*stix.Object{Marking(), Author(), Malware(), Indicator(Start().Add(time.Minute)), Relationship()}
}

// Setup stores what exists before step 1: the marking, the author and the malware.
func Setup(ctx context.Context, w store.Writer) error {
	return put(ctx, w, Marking(), Author(), Malware())
}

// Step is one row of the table.
type Step struct {
	// Name is the table's action, numbered: "2. Add the label detection".
	Name string
	// At is when the step happens: one minute after the previous one.
	At time.Time
	// Apply performs the step's writes on w.
	Apply func(ctx context.Context, w store.Writer) error
	// WithoutResolution and WithResolution are the table's expected results, in its words,
	// with "avoid dependencies resolution" true and false.
	WithoutResolution, WithResolution string
}

// Steps returns the table's five steps in order.
func Steps() []Step {
	at := func(i int) time.Time { return Start().Add(time.Duration(i) * time.Minute) }
	return []Step{
		{Name: "1. Create an indicator", At: at(1),
			Apply: func(ctx context.Context, w store.Writer) error {
				return put(ctx, w, Indicator(at(1)), Relationship())
			},
			WithoutResolution: "Nothing", WithResolution: "Nothing"},
		{Name: "2. Add the label detection", At: at(2),
			Apply: func(ctx context.Context, w store.Writer) error {
				return put(ctx, w, Indicator(at(2), Label))
			},
			WithoutResolution: "Create TLP:GREEN, create CrowdStrike, create the indicator",
			WithResolution:    "Create TLP:GREEN, create CrowdStrike, create the malware Emotet, create the indicator, create the relationship indicates"},
		{Name: "3. Remove the label detection", At: at(3),
			Apply: func(ctx context.Context, w store.Writer) error {
				return put(ctx, w, Indicator(at(3)))
			},
			WithoutResolution: "Delete the indicator",
			WithResolution:    "Delete the indicator and the relationship"},
		{Name: "4. Add the label detection", At: at(4),
			Apply: func(ctx context.Context, w store.Writer) error {
				return put(ctx, w, Indicator(at(4), Label))
			},
			WithoutResolution: "Create the indicator",
			WithResolution:    "Create the indicator, create the relationship indicates"},
		{Name: "5. Delete the indicator", At: at(5),
			Apply: func(ctx context.Context, w store.Writer) error {
				if _, err := w.Delete(ctx, IndicatorID); err != nil {
					return fmt.Errorf("seedscenario: deleting the indicator: %w", err)
				}
				return nil
			},
			WithoutResolution: "Delete the indicator",
			WithResolution:    "Delete the indicator and the relationship"},
	}
}

func put(ctx context.Context, w store.Writer, objs ...*stix.Object) error {
	for _, o := range objs {
		if _, _, err := w.Put(ctx, o); err != nil {
			return fmt.Errorf("seedscenario: storing %s: %w", o.ID(), err)
		}
	}
	return nil
}

// must unwraps a builder's result; the scenario's objects are constants, so an error is a
// bug in this package, caught by its tests.
func must(o *stix.Object, err error) *stix.Object {
	if err != nil {
		panic("seedscenario: " + err.Error())
	}
	return o
}

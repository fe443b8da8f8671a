package stream_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/store/memstore"
	"github.com/ctifeed/ctifeed/store/storetest/seedscenario"
	"github.com/ctifeed/ctifeed/stream"
)

const definitionJSON = `{
  "id": "detections",
  "name": "Detections",
  "description": "Indicators labelled detection",
  "filters": ` + seedscenario.FiltersJSON + `,
  "stream_live": true,
  "stream_public": false,
  "authorized_members": [{"kind": "group", "id": "soc"}, {"kind": "organization", "id": "identity--00000000-0000-4000-8000-000000000001"}],
  "defaults": {"no_dependencies": true, "cache_ttl": "10m0s", "cache_size": 500}
}`

// A definition decoded from JSON encodes back to the same document, and the encoded form
// decodes to an equal definition.
func TestDefinitionJSONRoundTrip(t *testing.T) {
	d, err := stream.ParseDefinition([]byte(definitionJSON), nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.Defaults.CacheTTL != 10*time.Minute || d.Defaults.CacheSize != 500 || !d.Defaults.NoDependencies {
		t.Errorf("defaults decoded as %+v", d.Defaults)
	}
	if len(d.AuthorizedMembers) != 2 || d.AuthorizedMembers[0] != (access.Member{Kind: access.MemberGroup, ID: "soc"}) {
		t.Errorf("authorized members decoded as %+v", d.AuthorizedMembers)
	}
	enc, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var want, got any
	if err := json.Unmarshal([]byte(definitionJSON), &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(enc, &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("re-encoded definition differs (-want +got):\n%s", diff)
	}
	d2, err := stream.ParseDefinition(enc, nil)
	if err != nil {
		t.Fatal(err)
	}
	enc2, _ := json.Marshal(d2)
	if string(enc2) != string(enc) {
		t.Errorf("second round trip changed the encoding:\n%s\n%s", enc, enc2)
	}
}

// Every problem of a definition is reported, each naming its field and wrapping ErrInvalid
// and its cause.
func TestDefinitionValidate(t *testing.T) {
	bad := func(text string) *filter.Group {
		g, err := filter.ParseText(text)
		if err != nil {
			t.Fatal(err)
		}
		return &g
	}
	for _, tc := range []struct {
		rule   string
		def    stream.Definition
		fields []string
		cause  error
	}{
		{"a valid definition passes", stream.Definition{ID: "s", Filters: bad("entity_type = Indicator")}, nil, nil},
		{"nil filters (every object) are valid", stream.Definition{ID: "s"}, nil, nil},
		{"the id is required", stream.Definition{ID: " "}, []string{"id"}, nil},
		{"filters are validated by compiling", stream.Definition{ID: "s", Filters: bad("no_such_key = 1")},
			[]string{"filters"}, filter.ErrUnknownKey},
		{"an authorized member needs kind and id", stream.Definition{ID: "s",
			AuthorizedMembers: []access.Member{{Kind: access.MemberUser, ID: "u"}, {Kind: 0, ID: "x"}, {Kind: access.MemberGroup}}},
			[]string{"authorized_members[1]", "authorized_members[2]"}, nil},
		{"cache bounds may not be negative", stream.Definition{ID: "s", Defaults: stream.Options{CacheTTL: -1, CacheSize: -1}},
			[]string{"defaults.cache_ttl", "defaults.cache_size"}, nil},
		{"every problem is reported", stream.Definition{Filters: bad("foo = 1"), Defaults: stream.Options{CacheSize: -5}},
			[]string{"id", "filters", "defaults.cache_size"}, nil},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			err := tc.def.Validate(nil)
			if got := fieldsOf(err); !cmp.Equal(got, tc.fields) {
				t.Errorf("fields %q, want %q (error: %v)", got, tc.fields, err)
			}
			if err != nil && !errors.Is(err, stream.ErrInvalid) {
				t.Errorf("%v does not wrap ErrInvalid", err)
			}
			if tc.cause != nil && !errors.Is(err, tc.cause) {
				t.Errorf("%v does not wrap %v", err, tc.cause)
			}
		})
	}
}

// fieldsOf lists the fields of the FieldErrors joined in err.
func fieldsOf(err error) []string {
	if err == nil {
		return nil
	}
	var out []string
	var walk func(error)
	walk = func(e error) {
		var fe *stream.FieldError
		if errors.As(e, &fe) && e == error(fe) {
			out = append(out, fe.Field)
			return
		}
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
		}
	}
	walk(err)
	return out
}

func TestParseDefinitionErrors(t *testing.T) {
	for _, tc := range []struct {
		rule, json, field string
	}{
		{"malformed JSON is an error naming the definition", `{"id":`, "definition"},
		{"a misspelt option is an error, not ignored", `{"id":"s","defaults":{"no_dependency":true}}`, "definition"},
		{"cache_ttl must be a duration", `{"id":"s","defaults":{"cache_ttl":"soon"}}`, "definition"},
		{"filters that do not parse", `{"id":"s","filters":{"mode":"xor","filters":[]}}`, ""},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			_, err := stream.ParseDefinition([]byte(tc.json), nil)
			if err == nil {
				t.Fatal("no error")
			}
			if tc.field != "" && !strings.Contains(err.Error(), tc.field) {
				t.Errorf("%v does not name %q", err, tc.field)
			}
		})
	}
}

// The options in effect are the subscriber's own where set, else the definition's
// defaults, else the package defaults.
func TestOptionsInEffect(t *testing.T) {
	vis, _ := access.NewVisibility(nil)
	yes, no := true, false
	for _, tc := range []struct {
		rule          string
		own, defaults stream.Options
		sw            stream.Switches
		want          stream.Options
	}{
		{"package defaults: 5 minutes, 10,000 entries", stream.Options{}, stream.Options{}, stream.Switches{},
			stream.Options{CacheTTL: 5 * time.Minute, CacheSize: 10_000}},
		{"definition defaults apply", stream.Options{}, stream.Options{NoDeletions: true, CacheTTL: time.Hour}, stream.Switches{},
			stream.Options{NoDeletions: true, CacheTTL: time.Hour, CacheSize: 10_000}},
		{"the subscriber's own options win", stream.Options{NoDependencies: true, CacheSize: 7}, stream.Options{CacheSize: 9, CacheTTL: time.Second}, stream.Switches{},
			stream.Options{NoDependencies: true, CacheTTL: time.Second, CacheSize: 7}},
		{"an own switch left off takes the default that is on", stream.Options{}, stream.Options{NoDeletions: true, NoDependencies: true}, stream.Switches{},
			stream.Options{NoDeletions: true, NoDependencies: true, CacheTTL: 5 * time.Minute, CacheSize: 10_000}},
		{"explicit switches turn defaults off (listen-delete=true, no-dependencies=false)", stream.Options{},
			stream.Options{NoDeletions: true, NoDependencies: true}, stream.Switches{NoDeletions: &no, NoDependencies: &no},
			stream.Options{CacheTTL: 5 * time.Minute, CacheSize: 10_000}},
		{"explicit switches turn on over everything", stream.Options{}, stream.Options{}, stream.Switches{WithInferences: &yes, NoDeletions: &yes},
			stream.Options{WithInferences: true, NoDeletions: true, CacheTTL: 5 * time.Minute, CacheSize: 10_000}},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			s, err := stream.NewSubscriber(memstore.New(nil), stream.Definition{ID: "s", Defaults: tc.defaults},
				stream.SubscriberOptions{Principal: analyst(), Visibility: vis, Options: tc.own, Switches: tc.sw})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, s.Options()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewSubscriberErrors(t *testing.T) {
	vis, _ := access.NewVisibility(nil)
	st := memstore.New(nil)
	_, err := stream.NewSubscriber(nil, stream.Definition{}, stream.SubscriberOptions{Options: stream.Options{CacheTTL: -1}})
	if got, want := fieldsOf(err), []string{"Principal", "Visibility", "cache_ttl", "src", "id"}; !cmp.Equal(got, want) {
		t.Errorf("fields %q, want %q (%v)", got, want, err)
	}
	if !errors.Is(err, stream.ErrInvalid) {
		t.Errorf("%v does not wrap ErrInvalid", err)
	}
	s, err := stream.NewSubscriber(st, stream.Definition{ID: "s"}, stream.SubscriberOptions{Principal: analyst(), Visibility: vis})
	if err != nil {
		t.Fatal(err)
	}
	g, _ := filter.ParseText("nope = 1")
	if err := s.SetDefinition(stream.Definition{ID: "s", Filters: &g}); !errors.Is(err, filter.ErrUnknownKey) {
		t.Errorf("SetDefinition with a bad filter: %v", err)
	}
	if s.Definition().Filters != nil {
		t.Error("a rejected definition replaced the one in effect")
	}
}

func TestOptionsValidate(t *testing.T) {
	if err := (stream.Options{CacheTTL: time.Second, CacheSize: 1}).Validate(); err != nil {
		t.Errorf("valid options: %v", err)
	}
	err := stream.Options{CacheTTL: -time.Second, CacheSize: -1}.Validate()
	if got, want := fieldsOf(err), []string{"cache_ttl", "cache_size"}; !cmp.Equal(got, want) {
		t.Errorf("fields %q, want %q", got, want)
	}
}

// Options encode cache_ttl as a duration string and decode what they encode.
func TestOptionsJSON(t *testing.T) {
	o := stream.Options{NoDeletions: true, WithInferences: true, CacheTTL: 90 * time.Second, CacheSize: 12}
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"no_deletions":true,"with_inferences":true,"cache_ttl":"1m30s","cache_size":12}`; string(b) != want {
		t.Errorf("encoded %s, want %s", b, want)
	}
	var back stream.Options
	if err := json.Unmarshal(b, &back); err != nil || back != o {
		t.Errorf("decoded %+v, %v; want %+v", back, err, o)
	}
}

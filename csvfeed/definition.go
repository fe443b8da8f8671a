package csvfeed

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/filter"
)

// DefaultMaxRows is the seed's cap: a file holds at most the 5,000 most recent entries.
const DefaultMaxRows = 5000

// DefaultInterval is how often a feed is regenerated when its definition says nothing.
const DefaultInterval = time.Hour

// MinInterval is the shortest interval a definition may set: regenerating more often
// would keep the store busy for little gain.
const MinInterval = time.Second

// The values of [Definition.DateAttribute] (OpenCTI's feed_date_attribute).
const (
	// CreatedAt orders and windows by when the platform first stored the object
	// ([store.Record.DateAdded]): only objects new in the window.
	CreatedAt = "created_at"
	// UpdatedAt orders and windows by the object's last change in the platform
	// ([store.Record.Updated]): objects created or modified in the window, the seed's rule.
	UpdatedAt = "updated_at"
)

// WindowMode says which objects a scheduled generation covers.
type WindowMode string

// The window modes.
const (
	// SincePrevious covers the time since the previous generation: [previous, now). The
	// seed's rule; consecutive files tile time without gap or overlap. The first
	// generation covers [now − interval, now).
	SincePrevious WindowMode = "since_previous"
	// Rolling covers [now − rolling_time, now) at every generation, as OpenCTI does.
	Rolling WindowMode = "rolling"
)

// MultiMatch says how a column with several values is rendered.
type MultiMatch string

// The multi-match strategies (OpenCTI's multi_match_strategy).
const (
	// List joins every value with the attribute's multi-match separator (default ",").
	List MultiMatch = "list"
	// First keeps the first value only.
	First MultiMatch = "first"
)

// Definition is a CSV feed as OpenCTI defines one, plus this package's scheduling fields.
// It round-trips through JSON with OpenCTI's member names; [Definition.Validate] checks it.
// The zero values of the optional fields mean their defaults, as listed per field.
type Definition struct {
	ID          string `json:"id"`   // the feed's id, the last segment of its URL
	Name        string `json:"name"` // required
	Description string `json:"description,omitempty"`
	// Filters select the objects (OpenCTI's FilterGroup). OpenCTI stores it as a string
	// holding the JSON; both that and the JSON object are accepted, the object is written.
	Filters filter.Group `json:"filters"`
	// FeedTypes lists the entity types the feed includes (OpenCTI names such as Indicator,
	// StixFile, IPv4-Addr, or abstract ones such as Stix-Cyber-Observable); required.
	FeedTypes []string `json:"feed_types"`
	// Separator is the one-character cell separator (default ","). It may not be a double
	// quote, CR, LF or U+FFFD.
	Separator string `json:"separator"`
	// IncludeHeader writes the column names as the first line.
	IncludeHeader bool `json:"include_header"`
	// RollingTime is the window length in minutes for [Rolling] windows.
	RollingTime int `json:"rolling_time"`
	// DateAttribute is [CreatedAt] or [UpdatedAt]; empty means UpdatedAt, the seed's "created
	// or modified in the platform" (OpenCTI's own default is created_at; set it to keep that).
	DateAttribute string `json:"feed_date_attribute"`
	// Attributes are the columns, in order; at least one.
	Attributes []Attribute `json:"feed_attributes"`
	// Public makes the feed usable without authentication (OpenCTI's feed_public).
	Public bool `json:"feed_public"`
	// AuthorizedMembers limits a restricted feed to these users, groups and organizations.
	AuthorizedMembers []access.Member `json:"authorized_members,omitempty"`

	// Interval is how often the scheduler regenerates the file (default [DefaultInterval],
	// at least [MinInterval]).
	// JSON: a Go duration string such as "15m".
	Interval time.Duration `json:"-"`
	// MaxRows caps the entries of a file (default [DefaultMaxRows]); the most recent win.
	MaxRows int `json:"max_rows,omitempty"`
	// Window is [SincePrevious] (the default, the seed's rule) or [Rolling] (OpenCTI's).
	Window WindowMode `json:"window,omitempty"`
	// AllowFormulas turns formula neutralisation off: by default a cell starting with
	// = + - @ tab or CR gets a leading apostrophe so spreadsheets do not execute it.
	AllowFormulas bool `json:"allow_formulas,omitempty"`
}

// Attribute is one column: its name and, per entity type, where its values come from.
type Attribute struct {
	Attribute string    `json:"attribute"` // the column name, written in the header
	Mappings  []Mapping `json:"mappings"`
	// MultiMatchStrategy is [List] (default) or [First].
	MultiMatchStrategy MultiMatch `json:"multi_match_strategy,omitempty"`
	// MultiMatchSeparator joins the values of a [List] column (default ",").
	MultiMatchSeparator string `json:"multi_match_separator,omitempty"`
}

// Mapping says where an [Attribute]'s values come from for objects of one entity type.
//
// Attribute is a path of property names separated by dots, read from the STIX object:
// "value", "name", "hashes.SHA-256", "kill_chain_phases.phase_name". Each name is literal
// (no wildcards, no gjson syntax); a "\." or "\\" inside a name stands for "." or "\".
// Where a name is not found exactly, the first member whose name equals it ignoring case
// is used, so OpenCTI's "hashes.sha-256" finds "SHA-256". Arrays on the way are read
// element by element, and every value found becomes one value of the cell.
//
// With RelationshipType and TargetEntityType (OpenCTI's neighbour mapping), the path is
// read from the objects at the other end of the row object's relationships of that type
// (either direction), keeping those of the target entity type.
type Mapping struct {
	Type             string `json:"type"`
	Attribute        string `json:"attribute"`
	RelationshipType string `json:"relationship_type,omitempty"`
	TargetEntityType string `json:"target_entity_type,omitempty"`
}

// definitionJSON is Definition's JSON shape; filters and interval need their own decoding.
type definitionJSON struct {
	ID                string          `json:"id"`
	Name              string          `json:"name"`
	Description       string          `json:"description,omitempty"`
	Filters           json.RawMessage `json:"filters"`
	FeedTypes         []string        `json:"feed_types"`
	Separator         string          `json:"separator"`
	IncludeHeader     bool            `json:"include_header"`
	RollingTime       int             `json:"rolling_time"`
	DateAttribute     string          `json:"feed_date_attribute"`
	Attributes        []Attribute     `json:"feed_attributes"`
	Public            bool            `json:"feed_public"`
	AuthorizedMembers []access.Member `json:"authorized_members,omitempty"`
	Interval          string          `json:"interval,omitempty"`
	MaxRows           int             `json:"max_rows,omitempty"`
	Window            WindowMode      `json:"window,omitempty"`
	AllowFormulas     bool            `json:"allow_formulas,omitempty"`
}

// MarshalJSON writes d with OpenCTI's member names, filters as a JSON object, interval
// as a Go duration string (omitted when zero), and the effective separator and date
// attribute when they are empty.
func (d Definition) MarshalJSON() ([]byte, error) {
	f, err := d.Filters.MarshalJSON()
	if err != nil {
		return nil, err
	}
	j := definitionJSON{
		ID: d.ID, Name: d.Name, Description: d.Description, Filters: f, FeedTypes: d.FeedTypes,
		Separator: d.Separator, IncludeHeader: d.IncludeHeader, RollingTime: d.RollingTime,
		DateAttribute: d.DateAttribute, Attributes: d.Attributes, Public: d.Public,
		AuthorizedMembers: d.AuthorizedMembers, MaxRows: d.MaxRows, Window: d.Window,
		AllowFormulas: d.AllowFormulas,
	}
	// OpenCTI reads an empty separator or date attribute as given, not as the default, so
	// the effective values are written.
	if j.Separator == "" {
		j.Separator = ","
	}
	if j.DateAttribute == "" {
		j.DateAttribute = UpdatedAt
	}
	if j.FeedTypes == nil {
		j.FeedTypes = []string{}
	}
	if j.Attributes == nil {
		j.Attributes = []Attribute{}
	}
	if d.Interval != 0 {
		j.Interval = d.Interval.String()
	}
	return json.Marshal(j)
}

// UnmarshalJSON decodes OpenCTI's feed JSON (members it does not know, such as
// entity_type or created_at in an export, are ignored). An absent or empty separator or
// date attribute decodes as its default ("," and updated_at), which MarshalJSON writes. Errors are a *[FieldError] naming
// the member where the JSON has the wrong shape; it does not validate (see
// [Definition.Validate]).
func (d *Definition) UnmarshalJSON(b []byte) error {
	var j definitionJSON
	if err := json.Unmarshal(b, &j); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return fieldErr(te.Field, "JSON %s where %s is expected", te.Value, jsonTypeName(te.Type.String()))
		}
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	out := Definition{
		ID: j.ID, Name: j.Name, Description: j.Description, FeedTypes: j.FeedTypes,
		Separator: j.Separator, IncludeHeader: j.IncludeHeader, RollingTime: j.RollingTime,
		DateAttribute: j.DateAttribute, Attributes: j.Attributes, Public: j.Public,
		AuthorizedMembers: j.AuthorizedMembers, MaxRows: j.MaxRows, Window: j.Window,
		AllowFormulas: j.AllowFormulas,
	}
	if out.Separator == "" {
		out.Separator = ","
	}
	if out.DateAttribute == "" {
		out.DateAttribute = UpdatedAt
	}
	if len(out.AuthorizedMembers) == 0 {
		out.AuthorizedMembers = nil // [] and absent both mean no restriction to members
	}
	raw := bytes.TrimSpace(j.Filters)
	if len(raw) > 0 && raw[0] == '"' { // OpenCTI's stored form: the JSON inside a string
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return fieldErr("filters", "malformed string")
		}
		raw = []byte(s)
		if strings.TrimSpace(s) == "" {
			raw = nil
		}
	}
	if len(raw) > 0 {
		g, err := filter.Parse(raw)
		if err != nil {
			return fieldErr("filters", "%v", err)
		}
		if !g.IsEmpty() || len(g.Extra) > 0 { // an empty group is the zero Group, however spelt
			out.Filters = g
		}
	}
	if j.Interval != "" {
		iv, err := time.ParseDuration(j.Interval)
		if err != nil {
			return fieldErr("interval", "%q is not a duration such as \"15m\"", j.Interval)
		}
		out.Interval = iv
	}
	*d = out
	return nil
}

func jsonTypeName(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	case goType == "string" || strings.HasSuffix(goType, "Mode") || strings.HasSuffix(goType, "Match"):
		return "a string"
	case goType == "bool":
		return "a boolean"
	case goType == "int":
		return "an integer"
	}
	return "an object"
}

// Validate reports every problem of d, each a *[FieldError] naming its member
// (`feed_attributes[2].mappings[0].type: "Foo" is not in feed_types`), joined with
// errors.Join; nil if d is usable. Filters are checked with filter.Group.Validate.
func (d *Definition) Validate() error { return d.validate(withRelations(nil)) }

func (d *Definition) validate(opts *filter.CompileOptions) error {
	var errs []error
	add := func(field, format string, args ...any) { errs = append(errs, fieldErr(field, format, args...)) }
	switch {
	case d.ID == "":
		add("id", "missing")
	case strings.ContainsAny(d.ID, "/?#%") || d.ID == "." || d.ID == ".." || !utf8.ValidString(d.ID) || hasControl(d.ID):
		add("id", "%q cannot be a URL path segment", d.ID)
	}
	if strings.TrimSpace(d.Name) == "" {
		add("name", "missing")
	}
	if err := d.Filters.Validate(opts); err != nil {
		for _, e := range unjoin(err) {
			var ve *filter.ValidationError
			if errors.As(e, &ve) {
				add(join("filters", ve.Path), "%s", ve.Msg)
			} else {
				add("filters", "%v", e)
			}
		}
	}
	if len(d.FeedTypes) == 0 {
		add("feed_types", "at least one entity type is needed")
	}
	for i, t := range d.FeedTypes {
		if strings.TrimSpace(t) == "" {
			add(index("feed_types", i), "empty entity type")
		}
	}
	if _, err := separatorRune(d.Separator); err != nil {
		add("separator", "%v", err)
	}
	if d.RollingTime < 0 {
		add("rolling_time", "%d is negative", d.RollingTime)
	}
	switch d.DateAttribute {
	case "", CreatedAt, UpdatedAt:
	default:
		add("feed_date_attribute", "%q is not created_at or updated_at", d.DateAttribute)
	}
	switch d.Window {
	case "", SincePrevious:
	case Rolling:
		if d.RollingTime <= 0 {
			add("rolling_time", "a rolling window needs rolling_time > 0 minutes")
		}
	default:
		add("window", "%q is not since_previous or rolling", d.Window)
	}
	if d.Interval < 0 {
		add("interval", "%s is negative", d.Interval)
	} else if d.Interval > 0 && d.Interval < MinInterval {
		add("interval", "%s is shorter than %s", d.Interval, MinInterval)
	}
	if d.MaxRows < 0 {
		add("max_rows", "%d is negative", d.MaxRows)
	}
	for i, m := range d.AuthorizedMembers {
		if _, err := m.Kind.MarshalText(); err != nil || m.ID == "" {
			add(index("authorized_members", i), "needs a kind (user, group or organization) and an id")
		}
	}
	if len(d.Attributes) == 0 {
		add("feed_attributes", "at least one column is needed")
	}
	for i, a := range d.Attributes {
		d.validateAttribute(index("feed_attributes", i), a, add)
	}
	return errors.Join(errs...)
}

func (d *Definition) validateAttribute(field string, a Attribute, add func(string, string, ...any)) {
	if a.Attribute == "" {
		add(field+".attribute", "missing column name")
	}
	switch a.MultiMatchStrategy {
	case "", List, First:
	default:
		add(field+".multi_match_strategy", "%q is not list or first", a.MultiMatchStrategy)
	}
	if len(a.Mappings) == 0 {
		add(field+".mappings", "at least one mapping is needed")
	}
	seen := map[string]bool{}
	for j, m := range a.Mappings {
		mf := index(field+".mappings", j)
		switch {
		case m.Type == "":
			add(mf+".type", "missing")
		case !containsFold(d.FeedTypes, m.Type):
			add(mf+".type", "%q is not in feed_types", m.Type)
		case seen[strings.ToLower(m.Type)]:
			add(mf+".type", "%q is mapped twice", m.Type)
		}
		seen[strings.ToLower(m.Type)] = true
		if _, err := parsePath(m.Attribute); err != nil {
			add(mf+".attribute", "%v", err)
		}
		if (m.RelationshipType == "") != (m.TargetEntityType == "") {
			add(mf, "relationship_type and target_entity_type go together")
		}
	}
}

// separatorRune returns the separator of s (default ',').
func separatorRune(s string) (rune, error) {
	if s == "" {
		return ',', nil
	}
	r, n := utf8.DecodeRuneInString(s)
	switch {
	case n != len(s):
		return 0, fmt.Errorf("%q is not one character", s)
	case r == utf8.RuneError, r == '"', r == '\r', r == '\n':
		return 0, fmt.Errorf("%q cannot separate cells", s)
	}
	return r, nil
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < ' ' || r == 0x7f {
			return true
		}
	}
	return false
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(strings.TrimSpace(x), strings.TrimSpace(s)) {
			return true
		}
	}
	return false
}

func index(field string, i int) string { return field + "[" + strconv.Itoa(i) + "]" }

func join(field, sub string) string {
	if sub == "" {
		return field
	}
	return field + "." + sub
}

// unjoin lists the errors errors.Join combined (or err alone).
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

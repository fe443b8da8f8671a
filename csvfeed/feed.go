package csvfeed

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/store"
)

// FeedOptions configure [Compile]. The zero value (or nil) gives the built-in filter keys
// and a public principal that sees only unmarked objects.
type FeedOptions struct {
	// PublicPrincipal is whom unauthenticated requests to a public feed run as, and so what
	// they see (see access.FeedAccess). Nil: a principal with no clearance. (OpenCTI names
	// that user in feed_public_user_id; resolving it to a principal is the host's job.)
	PublicPrincipal *access.Principal
	// Filter adds host filter keys (see filter.CompileOptions). Its Relations is always
	// taken as true: a generation binds the filter to the store (see [Feed.Generate]).
	Filter *filter.CompileOptions
}

// Feed is a compiled [Definition]: its filter, columns and access rule, ready to generate
// files. It is immutable and safe for concurrent use.
type Feed struct {
	def    Definition
	access access.FeedAccess
	match  *filter.Matcher // filters AND feed_types
	// filter is the same as JSON, for stores that push filters down; nil when the filter
	// reads the store as of a position or resolves relative dates, which a store evaluating
	// the JSON could not do as of the generation.
	filter   json.RawMessage
	types    []string // STIX types to scan; nil = all
	none     bool     // the feed types match no object at all
	order    store.Order
	format   rowFormat
	header   []string
	columns  []column
	maxRows  int
	interval time.Duration
	rolling  time.Duration // 0 unless the window mode is Rolling
	related  bool          // some mapping reads neighbours
}

type column struct {
	mappings []mapping
	first    bool
	sep      string
}

type mapping struct {
	typ     *filter.Matcher // entity_type = Mapping.Type
	path    []string
	relType string          // "" for a direct mapping
	target  *filter.Matcher // entity_type = TargetEntityType
}

// Compile validates def (see [Definition.Validate]) and compiles it; opts may be nil.
// The Feed keeps its own copy of def.
func Compile(def Definition, opts *FeedOptions) (*Feed, error) {
	var o FeedOptions
	if opts != nil {
		o = *opts
	}
	o.Filter = withRelations(o.Filter)
	if err := def.validate(o.Filter); err != nil {
		return nil, err
	}
	def = def.clone()
	f := &Feed{
		def:      def,
		access:   access.FeedAccess{Public: def.Public, PublicPrincipal: o.PublicPrincipal.Clone(), AuthorizedMembers: def.AuthorizedMembers},
		order:    store.ByUpdated,
		maxRows:  def.MaxRows,
		interval: def.Interval,
	}
	if def.DateAttribute == CreatedAt {
		f.order = store.ByDateAdded
	}
	if f.maxRows == 0 {
		f.maxRows = DefaultMaxRows
	}
	if f.interval == 0 {
		f.interval = DefaultInterval
	}
	if def.Window == Rolling {
		f.rolling = time.Duration(def.RollingTime) * time.Minute
	}
	var err error
	if f.format, err = newRowFormat(def.Separator, def.AllowFormulas); err != nil {
		return nil, err
	}
	// One group for filters and feed types, so a store that evaluates filters itself gets
	// both, and the types it can narrow its scan to.
	g := filter.Group{Mode: filter.And, Filters: []filter.Filter{typeFilter(def.FeedTypes...)}}
	if !def.Filters.IsEmpty() {
		g.FilterGroups = []filter.Group{def.Filters}
	}
	if f.match, err = filter.Compile(g, o.Filter); err != nil {
		return nil, err
	}
	if !f.match.NeedsResolver() && !f.match.UsesNow() {
		if f.filter, err = g.MarshalJSON(); err != nil {
			return nil, err
		}
	}
	if types, restricted := f.match.EntityTypes(); restricted {
		f.types, f.none = types, len(types) == 0
	}
	for _, a := range def.Attributes {
		f.header = append(f.header, a.Attribute)
		c := column{first: a.MultiMatchStrategy == First, sep: a.MultiMatchSeparator}
		if c.sep == "" {
			c.sep = ","
		}
		for _, m := range a.Mappings {
			cm := mapping{relType: strings.ToLower(strings.TrimSpace(m.RelationshipType))}
			cm.path, _ = parsePath(m.Attribute) // checked by validate
			if cm.typ, err = filter.Compile(filter.Group{Filters: []filter.Filter{typeFilter(m.Type)}}, nil); err != nil {
				return nil, err
			}
			if cm.relType != "" {
				f.related = true
				if cm.target, err = filter.Compile(filter.Group{Filters: []filter.Filter{typeFilter(m.TargetEntityType)}}, nil); err != nil {
					return nil, err
				}
			}
			c.mappings = append(c.mappings, cm)
		}
		f.columns = append(f.columns, c)
	}
	return f, nil
}

func typeFilter(types ...string) filter.Filter {
	return filter.Filter{Key: []string{"entity_type"}, Values: slices.Clone(types), Operator: filter.Eq, Mode: filter.Or}
}

// Definition returns a copy of the definition f was compiled from.
func (f *Feed) Definition() Definition { return f.def.clone() }

// ID returns the feed's id.
func (f *Feed) ID() string { return f.def.ID }

// Access returns who may use the feed: its public flag, public principal and authorized
// members.
func (f *Feed) Access() access.FeedAccess { return f.access }

// Interval returns how often the feed is regenerated.
func (f *Feed) Interval() time.Duration { return f.interval }

// clone copies the slices a caller could modify.
func (d Definition) clone() Definition {
	d.Filters = d.Filters.Clone()
	d.FeedTypes = slices.Clone(d.FeedTypes)
	d.AuthorizedMembers = slices.Clone(d.AuthorizedMembers)
	d.Attributes = slices.Clone(d.Attributes)
	for i := range d.Attributes {
		d.Attributes[i].Mappings = slices.Clone(d.Attributes[i].Mappings)
	}
	return d
}

// withRelations returns a copy of opts (nil: the defaults) with Relations set: feeds bind
// their filter per generation with a resolver over the store, so the relationship keys are
// available to every definition.
func withRelations(opts *filter.CompileOptions) *filter.CompileOptions {
	var o filter.CompileOptions
	if opts != nil {
		o = *opts
	}
	o.Relations = true
	return &o
}

package server

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/csvfeed"
	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store/memstore"
	"github.com/ctifeed/ctifeed/stream"
	"github.com/ctifeed/ctifeed/taxii"
)

// plan is a validated configuration turned into the SDK's types.
type plan struct {
	users     []*account
	vis       *access.Visibility
	public    *access.Principal
	streams   []stream.Definition
	roots     []taxii.APIRoot
	csv       []*csvfeed.Feed
	csvDefs   []csvfeed.Definition
	principal map[string]*access.Principal // by user name
}

// account is one user with hashed secrets.
type account struct {
	name      string
	bcrypt    []byte
	tokens    [][32]byte
	principal *access.Principal
}

// tlpNames are the clearance names that allow a TLP level and the levels below it.
var tlpNames = map[string]stix.ID{
	"TLP:CLEAR": stix.TLP2Clear, "TLP:WHITE": stix.TLP2Clear, "TLP:GREEN": stix.TLP2Green,
	"TLP:AMBER": stix.TLP2Amber, "TLP:AMBER+STRICT": stix.TLP2AmberStrict, "TLP:RED": stix.TLP2Red,
}

// errs collects ConfigErrors.
type errs []error

func (e *errs) add(field, format string, args ...any) {
	*e = append(*e, &ConfigError{Field: field, Err: fmt.Errorf(format, args...)})
}

func (e *errs) addLine(line int, field string, err error) {
	*e = append(*e, &ConfigError{Line: line, Field: field, Err: err})
}

// Validate checks c as [New] would, without starting anything; every problem is
// reported (errors.Join of [ConfigError]s).
// Engine names are checked against [BuiltinEngines].
func (c *Config) Validate() error { return c.validate() }

func (c *Config) validate() error {
	_, err := c.compile(BuiltinEngines())
	return err
}

// compile validates c and turns it into the SDK's types; engines nil leaves the engine
// name unchecked (a file may name an engine its host adds; New checks it).
func (c *Config) compile(engines map[string]Engine) (*plan, error) {
	var e errs
	c.checkBasics(&e, engines)
	p := &plan{principal: map[string]*access.Principal{}}
	c.compileAccess(&e, p)
	c.compileFeeds(&e, p)
	c.checkSources(&e)
	if len(e) > 0 {
		return nil, errors.Join(e...)
	}
	return p, nil
}

func (c *Config) checkBasics(e *errs, engines map[string]Engine) {
	if c.Listen == "" {
		e.add("listen", "required (host:port)")
	}
	if _, ok := engines[c.engine()]; engines != nil && !ok {
		e.add("store.engine", "unknown engine %q (known: %s)", c.Store.Engine, strings.Join(slices.Sorted(maps.Keys(engines)), ", "))
	}
	if c.Store.MaxEvents < 0 {
		e.add("store.max_events", "must not be negative")
	}
	h := c.HTTP
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"read_header_timeout", h.ReadHeaderTimeout}, {"body_timeout", h.BodyTimeout}, {"write_timeout", h.WriteTimeout},
		{"idle_timeout", h.IdleTimeout}, {"retry_after", h.RetryAfter}, {"stream_max_lag", h.StreamMaxLag}} {
		if d.v < 0 {
			e.add("http."+d.name, "must not be negative")
		}
	}
	if h.MaxConnections < -1 {
		e.add("http.max_connections", "must be -1 (no cap), 0 (default) or positive")
	}
	if h.MaxStreamsPerPrincipal < -1 {
		e.add("http.max_streams_per_principal", "must be -1 (no cap), 0 (default) or positive")
	}
	if h.AuthFailures.PerMinute < 0 || h.AuthFailures.Burst < 0 {
		e.add("http.auth_failures", "rate and burst must not be negative")
	}
	if (h.TLS.CertFile == "") != (h.TLS.KeyFile == "") {
		e.add("http.tls", "cert_file and key_file go together")
	}
	for i, o := range h.CORSOrigins {
		if o == "*" {
			continue
		}
		if u, err := url.Parse(o); err != nil || u.Scheme == "" || u.Host == "" || u.Path != "" {
			e.add(fmt.Sprintf("http.cors_origins[%d]", i), "%q is not an origin (scheme://host[:port]) or *", o)
		}
	}
	if p := c.Observability.MetricsPath; p != "" && p != "-" && !strings.HasPrefix(p, "/") {
		e.add("observability.metrics_path", "must start with / (or be - for none)")
	}
	switch c.Observability.LogLevel {
	case "", "debug", "info", "warn", "error":
	default:
		e.add("observability.log_level", "%q is not debug, info, warn or error", c.Observability.LogLevel)
	}
}

// clearance turns clearance names into an access.Clearance.
func clearance(e *errs, field string, names []string, known map[string]stix.ID) access.Clearance {
	var cl access.Clearance
	for i, n := range names {
		switch {
		case tlpNames[strings.ToUpper(n)] != "":
			cl.Max = append(cl.Max, tlpNames[strings.ToUpper(n)])
		case known[n] != "":
			cl.Markings = append(cl.Markings, known[n])
		case strings.HasPrefix(n, "marking-definition--") && stix.ID(n).Validate() == nil:
			cl.Markings = append(cl.Markings, stix.ID(n))
		default:
			e.add(fmt.Sprintf("%s[%d]", field, i), "%q is not a TLP name, a configured marking or a marking-definition id", n)
		}
	}
	return cl
}

func (c *Config) compileAccess(e *errs, p *plan) {
	a := c.Access
	known := map[string]stix.ID{}
	var defs []access.MarkingDefinition
	for i, m := range a.Markings {
		f := fmt.Sprintf("access.markings[%d]", i)
		if !strings.HasPrefix(m.ID, "marking-definition--") || stix.ID(m.ID).Validate() != nil {
			e.add(f+".id", "%q is not a marking-definition id", m.ID)
			continue
		}
		if m.Name != "" {
			known[m.Name] = stix.ID(m.ID)
		}
		defs = append(defs, access.MarkingDefinition{ID: stix.ID(m.ID), Name: m.Name, Family: m.Family, Rank: m.Rank})
	}
	vis, err := access.NewVisibility(&access.VisibilityOptions{Markings: defs,
		EnforceOrganizations: a.EnforceOrganizations, UngrantedVisible: true})
	if err != nil {
		e.add("access.markings", "%v", err)
	}
	p.vis = vis
	orgs := map[string]string{}
	for i, o := range a.Organizations {
		f := fmt.Sprintf("access.organizations[%d]", i)
		if o.Name == "" || orgs[o.Name] != "" {
			e.add(f+".name", "required and unique")
		}
		if !strings.HasPrefix(o.ID, "identity--") || stix.ID(o.ID).Validate() != nil {
			e.add(f+".id", "%q is not an identity id", o.ID)
		}
		orgs[o.Name] = o.ID
	}
	groups := map[string]GroupConfig{}
	groupCl := map[string]access.Clearance{}
	for i, g := range a.Groups {
		f := fmt.Sprintf("access.groups[%d]", i)
		if _, dup := groups[g.Name]; g.Name == "" || dup {
			e.add(f+".name", "required and unique")
		}
		for j, cp := range g.Capabilities {
			if cp == "" || strings.ToUpper(cp) != cp {
				e.add(fmt.Sprintf("%s.capabilities[%d]", f, j), "%q is not an OpenCTI capability name (upper case, such as TAXIIAPI)", cp)
			}
		}
		groups[g.Name] = g
		groupCl[g.Name] = clearance(e, f+".clearance", g.Clearance, known)
	}
	pub := a.Public
	if len(pub) == 0 {
		pub = []string{"TLP:CLEAR"}
	}
	p.public = &access.Principal{UserID: "anonymous", Name: "anonymous",
		Markings: clearance(e, "access.public_clearance", pub, known)}
	for i, u := range a.Users {
		f := fmt.Sprintf("access.users[%d]", i)
		if u.Name == "" || strings.ContainsRune(u.Name, ':') || p.principal[u.Name] != nil {
			e.add(f+".name", "required, unique, without ':'")
			continue
		}
		acc := &account{name: u.Name}
		if u.PasswordBcrypt != "" {
			if _, err := bcrypt.Cost([]byte(u.PasswordBcrypt)); err != nil {
				e.add(f+".password_bcrypt", "not a bcrypt hash (ctifeed hash-password makes one): %v", err)
			}
			acc.bcrypt = []byte(u.PasswordBcrypt)
		}
		for j, t := range u.TokenSHA256 {
			b, err := hex.DecodeString(t)
			if err != nil || len(b) != 32 {
				e.add(fmt.Sprintf("%s.token_sha256[%d]", f, j), "not 64 hex digits (the SHA-256 of the token)")
				continue
			}
			acc.tokens = append(acc.tokens, [32]byte(b))
		}
		if acc.bcrypt == nil && len(acc.tokens) == 0 {
			e.add(f, "user %q has neither password_bcrypt nor token_sha256: nobody could log in as it", u.Name)
		}
		pr := &access.Principal{UserID: u.Name, Name: u.Name}
		for j, g := range u.Groups {
			gc, ok := groups[g]
			if !ok {
				e.add(fmt.Sprintf("%s.groups[%d]", f, j), "no group named %q", g)
				continue
			}
			pr.Groups = append(pr.Groups, g)
			for _, cp := range gc.Capabilities {
				pr.Capabilities = append(pr.Capabilities, access.Capability(cp))
			}
			cl := groupCl[g]
			pr.Markings.Max = append(pr.Markings.Max, cl.Max...)
			pr.Markings.Markings = append(pr.Markings.Markings, cl.Markings...)
		}
		for j, o := range u.Organizations {
			id, ok := orgs[o]
			if !ok {
				e.add(fmt.Sprintf("%s.organizations[%d]", f, j), "no organization named %q", o)
				continue
			}
			pr.Organizations = append(pr.Organizations, id)
		}
		acc.principal = pr
		p.principal[u.Name] = pr
		p.users = append(p.users, acc)
	}
}

// collectionJSON is a TAXII collection as OpenCTI defines it, plus the TAXII resource's
// alias and permissions.
type collectionJSON struct {
	ID                string          `json:"id"`
	Name              string          `json:"name"`
	Description       string          `json:"description"`
	Alias             string          `json:"alias"`
	Filters           json.RawMessage `json:"filters"`
	Public            bool            `json:"taxii_public"`
	AuthorizedMembers []access.Member `json:"authorized_members"`
	CanRead           *bool           `json:"can_read"`
	CanWrite          bool            `json:"can_write"`
}

func (c *Config) compileFeeds(e *errs, p *plan) {
	f := c.Feeds
	seen := map[string]bool{}
	for i, d := range f.Streams {
		field := fmt.Sprintf("feeds.streams[%d]", i)
		def, err := stream.ParseDefinition(d.JSON, nil)
		if err == nil {
			err = validateStream(def) // the id rules of streams defined at run time too
		}
		if err != nil {
			e.addLine(d.Line, field, err)
			continue
		}
		if seen[def.ID] {
			e.addLine(d.Line, field+".id", fmt.Errorf("stream %q is defined twice", def.ID))
		}
		seen[def.ID] = true
		p.streams = append(p.streams, def)
	}
	if f.TAXII != nil {
		for i, r := range f.TAXII.APIRoots {
			field := fmt.Sprintf("feeds.taxii.api_roots[%d]", i)
			if r.Path == "" || r.Title == "" {
				e.add(field, "an API root needs a path and a title")
			}
			root := taxii.APIRoot{Path: strings.Trim(r.Path, "/"), Title: r.Title, Description: r.Description}
			if root.Path == "admin" || strings.HasPrefix(root.Path, "admin/") {
				e.add(field+".path", "%q is reserved for the admin API (/admin/streams)", r.Path)
			}
			for j, d := range r.Collections {
				cf := fmt.Sprintf("%s.collections[%d]", field, j)
				var cj collectionJSON
				dec := json.NewDecoder(strings.NewReader(string(d.JSON)))
				if err := dec.Decode(&cj); err != nil {
					e.addLine(d.Line, cf, err)
					continue
				}
				col := taxii.Collection{ID: cj.ID, Title: cj.Name, Description: cj.Description, Alias: cj.Alias,
					CanRead: cj.CanRead == nil || *cj.CanRead, CanWrite: cj.CanWrite,
					Access: access.FeedAccess{Public: cj.Public, PublicPrincipal: p.public, AuthorizedMembers: cj.AuthorizedMembers}}
				if len(cj.Filters) > 0 && string(cj.Filters) != "null" {
					g, err := parseFilters(cj.Filters)
					if err != nil {
						e.addLine(d.Line, cf+".filters", err)
						continue
					}
					col.Filters = &g
				}
				root.Collections = append(root.Collections, col)
			}
			p.roots = append(p.roots, root)
		}
		if len(p.roots) > 0 {
			if _, err := taxii.NewHandler(&taxii.HandlerOptions{Title: "check", APIRoots: p.roots, Store: memstore.New(nil)}); err != nil {
				e.add("feeds.taxii", "%v", err)
			}
		}
	}
	for i, d := range f.CSV {
		field := fmt.Sprintf("feeds.csv[%d]", i)
		var def csvfeed.Definition
		if err := json.Unmarshal(d.JSON, &def); err != nil {
			e.addLine(d.Line, field, err)
			continue
		}
		feed, err := csvfeed.Compile(def, &csvfeed.FeedOptions{PublicPrincipal: p.public})
		if err != nil {
			e.addLine(d.Line, field, err)
			continue
		}
		p.csv = append(p.csv, feed)
		p.csvDefs = append(p.csvDefs, def)
	}
}

// parseFilters accepts a FilterGroup as a JSON object or, as OpenCTI stores it, as a
// string holding the JSON.
func parseFilters(b json.RawMessage) (filter.Group, error) {
	var s string
	if json.Unmarshal(b, &s) == nil {
		b = []byte(s)
	}
	return filter.Parse(b)
}

func (c *Config) checkSources(e *errs) {
	names := map[string]bool{}
	for i, s := range c.Ingest {
		f := fmt.Sprintf("ingest[%d]", i)
		if s.Name == "" || names[s.Name] || strings.ContainsAny(s.Name, " /\\\"") {
			e.add(f+".name", "required, unique, without spaces, slashes or quotes")
		}
		names[s.Name] = true
		n := 0
		if len(s.Files) > 0 {
			n++
		}
		if s.TAXII != nil {
			n++
			t := s.TAXII
			if _, err := taxii.NewClient(t.URL, nil); err != nil {
				e.add(f+".taxii.url", "%v", err)
			}
			if t.APIRoot == "" || t.Collection == "" {
				e.add(f+".taxii", "api_root and collection are required")
			}
			if t.Interval < 0 {
				e.add(f+".taxii.interval", "must not be negative")
			}
		}
		if s.Stream != nil {
			n++
			if _, err := stream.NewClient(s.Stream.URL, nil); err != nil {
				e.add(f+".stream.url", "%v", err)
			}
		}
		if n != 1 {
			e.add(f, "exactly one of files, taxii and stream is required")
		}
		if s.Watch < 0 {
			e.add(f+".watch", "must not be negative")
		}
		if s.Watch > 0 && len(s.Files) == 0 {
			e.add(f+".watch", "only files are watched")
		}
	}
}

// resolvePaths makes relative file paths relative to dir.
func (c *Config) resolvePaths(dir string) {
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	c.HTTP.TLS.CertFile = abs(c.HTTP.TLS.CertFile)
	c.HTTP.TLS.KeyFile = abs(c.HTTP.TLS.KeyFile)
	// A postgres path is a connection string, in URL or keyword/value form
	// ("host=/run/pg dbname=x"); neither is a file name to resolve.
	if c.Store.Engine != "" && c.Store.Engine != "memory" && c.Store.Engine != "postgres" && !strings.Contains(c.Store.Path, "://") {
		c.Store.Path = abs(c.Store.Path)
	}
	for i := range c.Ingest {
		for j := range c.Ingest[i].Files {
			c.Ingest[i].Files[j] = abs(c.Ingest[i].Files[j])
		}
	}
}

func dirOf(path string) string { return filepath.Dir(path) }

package taxii

import (
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/store"
)

// Defaults of [HandlerOptions].
const (
	DefaultLimit            = 100
	DefaultMaxLimit         = 1000
	DefaultMaxContentLength = 10 << 20
	DefaultStatusTTL        = 24 * time.Hour
	DefaultMaxStatuses      = 10000
	DefaultMaxPostObjects   = 100_000
	DefaultMaxStatusDetails = 100
	DiscoveryPath           = "/taxii2/"
)

// HandlerOptions configure [NewHandler]. Store is required; everything else has a default.
type HandlerOptions struct {
	// Store holds the objects every collection is a view of. POST writes into it.
	Store store.Store
	// Title, Description and Contact describe the server in the discovery resource
	// (Title defaults to "TAXII server").
	Title, Description, Contact string
	// APIRoots are the API roots served; the first is the discovery resource's default.
	APIRoots []APIRoot
	// KeepCollectionOrder lists each API root's collections in the order given. By
	// default they are listed ordered by id, as the TAXII 2.1 interoperability test
	// document expects (the standard itself sets no order).
	KeepCollectionOrder bool
	// BaseURL ("https://feeds.example.com") begins the API root URLs of the discovery
	// resource. Default: the request's scheme and Host.
	BaseURL string
	// Authenticator turns a request's credentials (Basic, Bearer) into a principal. Nil
	// treats every request as anonymous.
	Authenticator access.Authenticator
	// Visibility decides which objects a principal may see (nil: access's defaults).
	Visibility *access.Visibility
	// DefaultLimit is the page size when a request has no limit (default 100);
	// MaxLimit caps the limit a request may ask for (default 1,000; at most
	// store.MaxLimit-1). A larger limit is served as MaxLimit, as the standard allows.
	DefaultLimit, MaxLimit int
	// StatusTTL is how long a POST's status resource stays available (default 24 h);
	// MaxStatuses bounds how many are kept, the oldest going first (default 10,000).
	StatusTTL   time.Duration
	MaxStatuses int
	// Statuses keeps the status resources (default: an in-memory [MemStatusStore] holding
	// MaxStatuses); give a durable or shared one so statuses survive a restart or can be
	// polled on another node. MaxStatuses is then the store's own business.
	Statuses StatusStore
	// MaxPostObjects refuses, with 413, a POST whose envelope holds more objects
	// (default 100,000): each object costs work and memory however small its JSON.
	MaxPostObjects int
	// MaxStatusDetails caps each detail list of a status resource (successes, failures,
	// pendings; default 100), so that a status and the 202 answer stay small whatever
	// the envelope's size: each list names the first objects of its kind (pendings: the
	// next to be written). The counts stay exact and summarise the objects not listed.
	MaxStatusDetails int
	// AsyncWrites makes POST answer 202 with a pending status at once and write the
	// objects in the background; the status turns complete when they are written. By
	// default POST writes before answering and the status it returns is complete.
	AsyncWrites bool
	// SettleDelay holds back objects whose date_added is less than this old (in addition
	// to the current millisecond, which is always held back): a keyset position is only
	// safe once no more writes can land before it. Raise it for a store whose writes
	// become visible later than the time they carry (replication, long transactions).
	SettleDelay time.Duration
	// CursorKey signs the `next` tokens (HMAC-SHA256). Default: a random key, so tokens
	// do not survive a restart; give every replica behind one address the same key.
	CursorKey []byte
	// Clock returns the current time (default time.Now); tests fix it. The holding back
	// of recent objects (see SettleDelay) compares it with the times the store records,
	// so it must agree with the store's clock.
	Clock func() time.Time
	// NewID returns the id of a status resource (default: a random UUID); tests fix it.
	NewID func() string
	// Logger receives store failures, which callers see only as a 500 (default: none).
	Logger *slog.Logger
}

// APIRoot is one API root: a path under the handler and the collections it serves.
type APIRoot struct {
	// Path is where the root is served, e.g. "api1" for /api1/ (one or more segments).
	Path        string
	Title       string // required
	Description string
	// MaxContentLength bounds a POST body (default 10 MiB); larger ones answer 413.
	MaxContentLength int64
	Collections      []Collection
}

// Collection is a view of the store: the objects that match Filters, served to the
// principals Access allows, each object as the principal may see it.
type Collection struct {
	// ID identifies the collection in URLs (the standard asks for a UUID); Alias may be
	// used in its place. Both are unique within the API root.
	ID, Title, Description, Alias string
	// Filters selects the objects of the collection, evaluated on each object's current
	// version (nil or empty: every object).
	Filters *filter.Group
	// Access says who may use the collection. Its zero value is a restricted collection
	// for principals holding access.CapAccessDataSharing.
	Access access.FeedAccess
	// CanRead and CanWrite are what the collection allows its users; a request it does
	// not allow answers 403.
	CanRead, CanWrite bool
	// MediaTypes lists the media types of the objects (default: STIX 2.1).
	MediaTypes []string
}

// Handler serves TAXII 2.1 over HTTP:
//
//	GET         /taxii2/
//	GET         /{root}/
//	GET         /{root}/status/{status-id}/
//	GET         /{root}/collections/
//	GET         /{root}/collections/{id}/
//	GET, POST   /{root}/collections/{id}/objects/
//	GET, DELETE /{root}/collections/{id}/objects/{object-id}/
//	GET         /{root}/collections/{id}/objects/{object-id}/versions/
//	GET         /{root}/collections/{id}/manifest/
//
// The trailing slash may be omitted. See the package documentation for the semantics.
type Handler struct {
	store       store.Store
	title       string
	description string
	contact     string
	baseURL     string
	roots       []*root
	auth        access.Authenticator
	vis         *access.Visibility
	defLimit    int
	maxLimit    int
	async       bool
	settle      time.Duration
	key         []byte
	clock       func() time.Time
	newID       func() string
	log         *slog.Logger
	statuses    StatusStore
	statusTTL   time.Duration
	maxObjects  int
	maxDetails  int
	// writeMu makes each write's access check and the write itself one step for this
	// handler's writers (POST, DELETE), so that no other write through it changes the
	// object in between. Writes from elsewhere (the host) are not covered.
	writeMu sync.Mutex
	// unscreened: see pager.unscreened.
	unscreened bool
}

type root struct {
	APIRoot
	path  string // "/api1"
	colls []*collection
}

type collection struct {
	Collection
	match *filter.Matcher // nil matches everything
}

// NewHandler returns a handler for opts. It returns an error wrapping
// [ErrInvalidOptions] when opts has no store, an API root has no title or a path that is
// empty, clashes with another or with /taxii2/, or a collection has no id or title, a
// duplicated id or alias, or a filter that does not compile.
func NewHandler(opts *HandlerOptions) (*Handler, error) {
	if opts == nil || opts.Store == nil {
		return nil, fmt.Errorf("%w: a store is required", ErrInvalidOptions)
	}
	o := *opts
	h := &Handler{store: o.Store, title: o.Title, description: o.Description, contact: o.Contact,
		baseURL: strings.TrimSuffix(o.BaseURL, "/"), auth: o.Authenticator, vis: o.Visibility,
		defLimit: o.DefaultLimit, maxLimit: o.MaxLimit, async: o.AsyncWrites, settle: max(o.SettleDelay, 0),
		clock: o.Clock, newID: o.NewID, log: o.Logger}
	if h.title == "" {
		h.title = "TAXII server"
	}
	if h.vis == nil {
		v, err := access.NewVisibility(nil)
		if err != nil {
			return nil, err
		}
		h.vis = v
	}
	if h.maxLimit <= 0 {
		h.maxLimit = DefaultMaxLimit
	}
	h.maxLimit = min(h.maxLimit, store.MaxLimit-1)
	if h.defLimit <= 0 {
		h.defLimit = DefaultLimit
	}
	h.defLimit = min(h.defLimit, h.maxLimit)
	if h.clock == nil {
		h.clock = time.Now
	}
	if h.newID == nil {
		h.newID = uuid.NewString
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	h.key = append([]byte(nil), o.CursorKey...)
	if len(h.key) == 0 {
		h.key = make([]byte, 32)
		rand.Read(h.key)
	}
	h.statusTTL, h.maxObjects, h.maxDetails = o.StatusTTL, o.MaxPostObjects, o.MaxStatusDetails
	if h.statusTTL <= 0 {
		h.statusTTL = DefaultStatusTTL
	}
	if h.maxObjects <= 0 {
		h.maxObjects = DefaultMaxPostObjects
	}
	if h.maxDetails <= 0 {
		h.maxDetails = DefaultMaxStatusDetails
	}
	h.statuses = o.Statuses
	if h.statuses == nil {
		h.statuses = NewMemStatusStore(&MemStatusStoreOptions{MaxStatuses: o.MaxStatuses, Clock: h.clock})
	}

	paths := map[string]bool{strings.Trim(DiscoveryPath, "/"): true}
	for i, ar := range o.APIRoots {
		p := strings.Trim(ar.Path, "/")
		switch {
		case p == "" || strings.Contains(p, "//"):
			return nil, fmt.Errorf("%w: API root %d has an empty path or an empty segment", ErrInvalidOptions, i)
		case ar.Title == "":
			return nil, fmt.Errorf("%w: API root %q has no title", ErrInvalidOptions, p)
		case paths[p]:
			return nil, fmt.Errorf("%w: API root path %q is used twice or clashes with discovery", ErrInvalidOptions, p)
		}
		paths[p] = true
		r := &root{APIRoot: ar, path: "/" + p}
		if r.MaxContentLength <= 0 {
			r.MaxContentLength = DefaultMaxContentLength
		}
		names := map[string]bool{}
		for _, c := range ar.Collections {
			switch {
			case c.ID == "" || c.Title == "":
				return nil, fmt.Errorf("%w: a collection of API root %q has no id or no title", ErrInvalidOptions, p)
			case strings.Contains(c.ID, "/") || strings.Contains(c.Alias, "/"):
				return nil, fmt.Errorf("%w: collection %q: id and alias may not contain '/'", ErrInvalidOptions, c.ID)
			case names[c.ID] || c.Alias != "" && names[c.Alias]:
				return nil, fmt.Errorf("%w: collection id or alias %q is used twice in API root %q", ErrInvalidOptions, c.ID, p)
			}
			names[c.ID] = true
			if c.Alias != "" {
				names[c.Alias] = true
			}
			col := &collection{Collection: c}
			if len(col.MediaTypes) == 0 {
				col.MediaTypes = []string{STIXMediaType}
			}
			if c.Filters != nil && !c.Filters.IsEmpty() {
				m, err := filter.Compile(*c.Filters, nil)
				if err != nil {
					return nil, fmt.Errorf("%w: collection %q: %w", ErrInvalidOptions, c.ID, err)
				}
				col.match = m
			}
			r.colls = append(r.colls, col)
		}
		if !o.KeepCollectionOrder {
			slices.SortStableFunc(r.colls, func(a, b *collection) int { return strings.Compare(a.ID, b.ID) })
		}
		h.roots = append(h.roots, r)
	}
	return h, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", MediaType)
	path := r.URL.Path
	if !strings.HasSuffix(path, "/") {
		path += "/"
	}
	if !acceptable(r.Header.Values("Accept")) {
		h.fail(w, errNotAcceptable())
		return
	}
	p, ok := h.authenticate(w, r)
	if !ok {
		return
	}
	req := &request{h: h, w: w, r: r, principal: p}
	if path == DiscoveryPath {
		if req.method("GET") {
			h.discovery(req)
		}
		return
	}
	for _, rt := range h.roots {
		if rest, ok := strings.CutPrefix(path, rt.path+"/"); ok {
			req.root = rt
			h.route(req, rest)
			return
		}
	}
	h.fail(w, errNotFound("no such resource"))
}

// route dispatches a request under an API root; rest is the path after the root's, with
// a trailing slash.
func (h *Handler) route(q *request, rest string) {
	seg := strings.Split(strings.TrimSuffix(rest, "/"), "/")
	if rest == "" {
		seg = nil
	}
	switch {
	case len(seg) == 0:
		if q.method("GET") {
			h.apiRoot(q)
		}
	case seg[0] == "status" && len(seg) == 2:
		if q.method("GET") {
			h.status(q, seg[1])
		}
	case seg[0] == "collections" && len(seg) == 1:
		if q.method("GET") {
			h.collections(q)
		}
	case seg[0] == "collections":
		c, ok := q.collection(seg[1])
		if !ok {
			return
		}
		switch {
		case len(seg) == 2:
			if q.method("GET") {
				h.collectionInfo(q, c)
			}
		case len(seg) == 3 && seg[2] == "objects":
			if q.method("GET", "POST") {
				if q.r.Method == http.MethodPost {
					h.addObjects(q, c)
				} else {
					h.getObjects(q, c, kindObjects, "")
				}
			}
		case len(seg) == 3 && seg[2] == "manifest":
			if q.method("GET") {
				h.getObjects(q, c, kindManifest, "")
			}
		case len(seg) == 4 && seg[2] == "objects":
			if q.method("GET", "DELETE") {
				if q.r.Method == http.MethodDelete {
					h.deleteObject(q, c, seg[3])
				} else {
					h.getObjects(q, c, kindObject, seg[3])
				}
			}
		case len(seg) == 5 && seg[2] == "objects" && seg[4] == "versions":
			if q.method("GET") {
				h.getObjects(q, c, kindVersions, seg[3])
			}
		default:
			h.fail(q.w, errNotFound("no such resource"))
		}
	default:
		h.fail(q.w, errNotFound("no such resource"))
	}
}

package taxii

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ctifeed/ctifeed/stix"
)

// ClientOptions configure [NewClient]; nil or zero values give the defaults.
type ClientOptions struct {
	// HTTPClient sends the requests (default http.DefaultClient).
	HTTPClient *http.Client
	// Username and Password authenticate with HTTP Basic; Token with Bearer. Set at most
	// one of the two.
	Username, Password string
	Token              string
	// PollInterval is how often AddObjects asks for the status of a pending POST
	// (default 1 s).
	PollInterval time.Duration
}

// Client talks to a TAXII 2.1 server. API roots are named by URL, absolute (as the
// discovery resource lists them) or relative to the base URL ("api1/"). A Client is safe
// for concurrent use.
type Client struct {
	base *url.URL
	hc   *http.Client
	opts ClientOptions
}

// NewClient returns a client for the server at baseURL (scheme and host, and the path the
// server is mounted under, if any). It returns an error wrapping [ErrInvalidOptions] for a
// URL that is not absolute http(s) or for both Basic and Bearer credentials.
func NewClient(baseURL string, opts *ClientOptions) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: base URL %q is not an absolute http(s) URL", ErrInvalidOptions, baseURL)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	c := &Client{base: u}
	if opts != nil {
		c.opts = *opts
	}
	if c.opts.Token != "" && (c.opts.Username != "" || c.opts.Password != "") {
		return nil, fmt.Errorf("%w: give Basic or Bearer credentials, not both", ErrInvalidOptions)
	}
	c.hc = c.opts.HTTPClient
	if c.hc == nil {
		c.hc = http.DefaultClient
	}
	if c.opts.PollInterval <= 0 {
		c.opts.PollInterval = time.Second
	}
	return c, nil
}

// Query selects objects: the query parameters of objects, manifest, object and versions
// requests. Zero fields are not sent.
type Query struct {
	AddedAfter time.Time
	Limit      int
	IDs        []stix.ID
	Types      []string
	// Versions holds "last", "first", "all" or timestamps (see [FormatTime]).
	Versions     []string
	SpecVersions []string
}

func (q *Query) values() url.Values {
	v := url.Values{}
	if q == nil {
		return v
	}
	if !q.AddedAfter.IsZero() {
		v.Set("added_after", FormatTime(q.AddedAfter))
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	join := func(name string, vals []string) {
		if len(vals) > 0 {
			v.Set(name, strings.Join(vals, ","))
		}
	}
	ids := make([]string, len(q.IDs))
	for i, id := range q.IDs {
		ids[i] = string(id)
	}
	join("match[id]", ids)
	join("match[type]", q.Types)
	join("match[version]", q.Versions)
	join("match[spec_version]", q.SpecVersions)
	return v
}

// rootURL resolves an API root against the base URL, with a trailing slash.
func (c *Client) rootURL(root string) (*url.URL, error) {
	r, err := url.Parse(root)
	if err != nil {
		return nil, fmt.Errorf("taxii: API root %q: %w", root, err)
	}
	u := c.base.ResolveReference(r)
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	return u, nil
}

// endpoint returns the URL of a resource under an API root; segments are escaped.
func (c *Client) endpoint(root string, segments ...string) (string, error) {
	u, err := c.rootURL(root)
	if err != nil {
		return "", err
	}
	for _, s := range segments {
		u = u.JoinPath(s)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	return u.String(), nil
}

// do sends a request and decodes a TAXII answer into out (nil: ignore the body). Error
// answers become *Error.
func (c *Client) do(ctx context.Context, method, u string, query url.Values, body []byte, out any) (http.Header, error) {
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", MediaType)
	if body != nil {
		req.Header.Set("Content-Type", MediaType)
	}
	switch {
	case c.opts.Token != "":
		req.Header.Set("Authorization", "Bearer "+c.opts.Token)
	case c.opts.Username != "" || c.opts.Password != "":
		req.SetBasicAuth(c.opts.Username, c.opts.Password)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &Error{}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if json.Unmarshal(b, e) != nil {
			e = &Error{}
		}
		e.Status = resp.StatusCode
		if e.Title == "" {
			e.Title = http.StatusText(resp.StatusCode)
		}
		return resp.Header, e
	}
	if out == nil {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		return resp.Header, nil
	}
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil || mt != "application/taxii+json" {
		return nil, fmt.Errorf("%w: %s %s answered with Content-Type %q", ErrBadResponse, method, u, resp.Header.Get("Content-Type"))
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return nil, decodeErr(ctx, method, u, err)
	}
	return resp.Header, nil
}

// decodeErr classifies a failure to read an answer's body. A cancelled or expired ctx
// (which cuts the body mid-read) and a broken connection are not the server's fault:
// their errors keep ctx's sentinel and the transport's error (%w), so that errors.Is
// with context.DeadlineExceeded holds and retry logic does not blame the server. Only
// a body that arrived and is not the JSON the resource needs wraps ErrBadResponse.
func decodeErr(ctx context.Context, method, u string, err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("taxii: %s %s: reading the answer: %w (%w)", method, u, ctx.Err(), err)
	case errors.As(err, &syntax) || errors.As(err, &typ) || errors.Is(err, io.EOF):
		return fmt.Errorf("%w: %s %s: %w", ErrBadResponse, method, u, err)
	}
	return fmt.Errorf("taxii: %s %s: reading the answer: %w", method, u, err)
}

// Discovery returns the server's discovery resource (GET /taxii2/ under the base URL).
func (c *Client) Discovery(ctx context.Context) (*Discovery, error) {
	var d Discovery
	if _, err := c.do(ctx, http.MethodGet, c.base.JoinPath("taxii2").String()+"/", nil, nil, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// APIRoot returns the API root resource of root.
func (c *Client) APIRoot(ctx context.Context, root string) (*APIRootResource, error) {
	u, err := c.endpoint(root)
	if err != nil {
		return nil, err
	}
	var r APIRootResource
	if _, err := c.do(ctx, http.MethodGet, u, nil, nil, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// Collections returns the collections of root that the caller may use.
func (c *Client) Collections(ctx context.Context, root string) ([]CollectionResource, error) {
	u, err := c.endpoint(root, "collections")
	if err != nil {
		return nil, err
	}
	var r collectionsResource
	if _, err := c.do(ctx, http.MethodGet, u, nil, nil, &r); err != nil {
		return nil, err
	}
	return r.Collections, nil
}

// Collection returns one collection of root, by id or alias.
func (c *Client) Collection(ctx context.Context, root, id string) (*CollectionResource, error) {
	u, err := c.endpoint(root, "collections", id)
	if err != nil {
		return nil, err
	}
	var r CollectionResource
	if _, err := c.do(ctx, http.MethodGet, u, nil, nil, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// Status returns the status resource id of root.
func (c *Client) Status(ctx context.Context, root, id string) (*Status, error) {
	u, err := c.endpoint(root, "status", id)
	if err != nil {
		return nil, err
	}
	var st Status
	if _, err := c.do(ctx, http.MethodGet, u, nil, nil, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// DeleteObject deletes an object from a collection; q may select versions (nil: all).
func (c *Client) DeleteObject(ctx context.Context, root, collection string, id stix.ID, q *Query) error {
	u, err := c.endpoint(root, "collections", collection, "objects", string(id))
	if err != nil {
		return err
	}
	_, err = c.do(ctx, http.MethodDelete, u, q.values(), nil, nil)
	return err
}

// AddObjects posts objs to a collection in one envelope and, while its status is pending,
// asks for it every PollInterval until it is complete or ctx is done (then it returns the
// last status it has with ctx's error). Per-object failures are in the status, not the
// error.
func (c *Client) AddObjects(ctx context.Context, root, collection string, objs []*stix.Object) (*Status, error) {
	u, err := c.endpoint(root, "collections", collection, "objects")
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(`{"objects":[`)
	for i, o := range objs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(o.Raw())
	}
	b.WriteString("]}")
	var st Status
	if _, err := c.do(ctx, http.MethodPost, u, nil, b.Bytes(), &st); err != nil {
		return nil, err
	}
	if st.ID == "" && st.Status != StatusComplete {
		return &st, fmt.Errorf("%w: a pending status without an id", ErrBadResponse)
	}
	t := time.NewTimer(c.opts.PollInterval)
	defer t.Stop()
	for st.Status != StatusComplete {
		select {
		case <-ctx.Done():
			return &st, ctx.Err()
		case <-t.C:
		}
		next, err := c.Status(ctx, root, st.ID)
		if err != nil {
			return &st, err
		}
		st = *next
		t.Reset(c.opts.PollInterval)
	}
	return &st, nil
}

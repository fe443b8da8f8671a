package stream

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/ctifeed/ctifeed/internal/sse"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// ClientOptions configure [NewClient]. A nil *ClientOptions means the defaults.
type ClientOptions struct {
	// HTTPClient sends the requests (default http.DefaultClient); its Timeout must be zero.
	HTTPClient *http.Client
	// Username and Password are sent with HTTP Basic when Username is set.
	Username, Password string
	// Token is sent as "Authorization: Bearer <token>" when set (and Username is not).
	Token string
	// Header holds extra headers sent with every request.
	Header http.Header
	// From is where the first connection starts: "0" for the whole log, a position
	// "<milliseconds>-<sequence>" (an id received earlier), or an RFC 3339 date. Empty:
	// the log's end (live only); until a frame with an id arrives, reconnections then
	// resume from where the first connection started (the connected frame's
	// lastEventId), so nothing written in between is lost. Reconnections resume after the
	// last id received.
	From string
	// Recover, when non-zero, asks for a recovery snapshot of the objects changed between
	// From and Recover before going live (the recover parameter).
	Recover time.Time
	// Options are sent as the no-dependencies, listen-delete and with-inferences
	// parameters (only those set; CacheTTL and CacheSize are the server's).
	Options Options
	// Switches send those parameters explicitly, true or false, over Options: how to turn
	// off what the stream's defaults turn on (e.g. listen-delete=true).
	Switches Switches
	// MinBackoff and MaxBackoff bound the wait between reconnections, which doubles with
	// each consecutive failure and is jittered (defaults 1 s and 30 s).
	MinBackoff, MaxBackoff time.Duration
	// MaxFailures ends the iteration after that many consecutive failed connections
	// (0: never).
	MaxFailures int
	// IdleTimeout replaces a connection silent for that long (default 45 s; negative:
	// never). Keep it well above the server's heartbeat.
	IdleTimeout time.Duration
	// OnReconnect, if set, is called before each reconnection with why the previous
	// connection ended and the id the next one resumes from.
	OnReconnect func(err error, lastEventID string)
}

// Client consumes a live stream served by a [Handler] or by OpenCTI. It reconnects with
// backoff after network errors, server errors and silent connections, each time resuming
// with Last-Event-ID from the last id received, which a Handler makes lossless. It is safe
// for concurrent use; each iteration is an independent subscription.
type Client struct {
	sse *sse.Client
	url string
}

// NewClient returns a Client for the stream at streamURL (such as
// "https://host/stream/my-stream"). It returns an error for a URL that is not absolute
// http or https.
func NewClient(streamURL string, opts *ClientOptions) (*Client, error) {
	var o ClientOptions
	if opts != nil {
		o = *opts
	}
	u, err := url.Parse(streamURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("stream: %q is not an absolute http(s) URL", streamURL)
	}
	q := u.Query()
	if !o.Recover.IsZero() {
		q.Set("recover", o.Recover.UTC().Format(time.RFC3339Nano))
	}
	for _, p := range []struct {
		name    string
		on      bool  // set by Options
		set     *bool // set by Switches
		negated bool  // listen-delete says the opposite of NoDeletions
	}{
		{"no-dependencies", o.Options.NoDependencies, o.Switches.NoDependencies, false},
		{"listen-delete", o.Options.NoDeletions, o.Switches.NoDeletions, true},
		{"with-inferences", o.Options.WithInferences, o.Switches.WithInferences, false},
	} {
		v, send := p.on, p.on
		if p.set != nil {
			v, send = *p.set, true
		}
		if send {
			q.Set(p.name, strconv.FormatBool(v != p.negated))
		}
	}
	u.RawQuery = q.Encode()
	header := o.Header.Clone()
	so := &sse.ClientOptions{
		HTTPClient: o.HTTPClient, MinBackoff: o.MinBackoff, MaxBackoff: o.MaxBackoff,
		MaxFailures: o.MaxFailures, IdleTimeout: o.IdleTimeout,
		// The start goes in Last-Event-ID, not in from: a from in the URL would win over
		// Last-Event-ID on every reconnection and restart the stream.
		LastEventID: o.From,
		Header: func(_ context.Context, h http.Header) error {
			for k, v := range header {
				h[k] = append([]string(nil), v...)
			}
			switch {
			case o.Username != "":
				h.Set("Authorization", "Basic "+basicAuth(o.Username, o.Password))
			case o.Token != "":
				h.Set("Authorization", "Bearer "+o.Token)
			}
			return nil
		},
	}
	if o.From == "" {
		// Live only: until a frame with an id arrives, resume from where the first
		// connection started, so a cut before the first id loses nothing written since.
		so.StartID = func(ev sse.Event) (string, bool) {
			if ev.Event != "connected" {
				return "", false
			}
			var c Connected
			if json.Unmarshal(ev.Data, &c) != nil || c.LastEventID == "" {
				return "", false
			}
			return c.LastEventID, true
		}
	}
	if o.OnReconnect != nil {
		so.OnReconnect = func(r sse.Reconnect) { o.OnReconnect(r.Err, r.LastEventID) }
	}
	return &Client{sse: sse.NewClient(so), url: u.String()}, nil
}

func basicAuth(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
}

// Frame is one frame of a stream, decoded.
type Frame struct {
	// Event is the frame's name: "connected", "heartbeat", "gap", or a [MessageType]
	// ("create", "update", "merge", "delete"); another name is passed on with only Data.
	Event string
	// ID is the frame's own id ("" when it carried none: connected and gap frames): what
	// to resume from, a log position or a mid-group id (see the package doc, "Frame ids").
	ID string
	// Message is the decoded message of a change frame. Its Pos and Time come from ID
	// when ID is an event's position (the last frame of a group); they are zero for the
	// earlier frames of a group, whose ids are mid-group ids.
	Message Message
	// Connected is the data of a connected frame.
	Connected Connected
	// Gap is the data of a gap frame: events were lost to retention, see [Gap].
	Gap Gap
	// Time is the date a heartbeat carries (that of its position).
	Time time.Time
	// Data is the frame's raw data.
	Data []byte
}

// Frames yields every frame of the stream, across reconnections. Once it yields a non-nil
// error it stops: a *[StatusError] for a refusal (401, 403, 404, 410;
// 5xx are retried), an error wrapping ErrBadFrame for data it cannot decode, or
// ctx.Err(). Breaking out of the loop or cancelling ctx closes the connection.
func (c *Client) Frames(ctx context.Context) iter.Seq2[Frame, error] {
	return func(yield func(Frame, error) bool) {
		for ev, err := range c.sse.Stream(ctx, c.url) {
			if err != nil {
				var se *sse.StatusError
				if errors.As(err, &se) {
					err = &StatusError{Code: se.Code, Body: se.Body}
				}
				yield(Frame{}, err)
				return
			}
			f, err := decodeFrame(ev)
			if err != nil {
				yield(Frame{}, err)
				return
			}
			if !yield(f, nil) {
				return
			}
		}
	}
}

// Messages yields the change messages of the stream (skipping connected, heartbeat and
// gap frames), with the errors of [Client.Frames].
func (c *Client) Messages(ctx context.Context) iter.Seq2[Message, error] {
	return func(yield func(Message, error) bool) {
		for f, err := range c.Frames(ctx) {
			if err != nil {
				yield(Message{}, err)
				return
			}
			if f.Message.Object == nil {
				continue
			}
			if !yield(f.Message, nil) {
				return
			}
		}
	}
}

// decodeFrame decodes one SSE event of a stream.
func decodeFrame(ev sse.Event) (Frame, error) {
	f := Frame{Event: ev.Event, Data: ev.Data}
	if ev.HasID {
		f.ID = ev.ID
	}
	switch ev.Event {
	case "connected":
		if err := json.Unmarshal(ev.Data, &f.Connected); err != nil {
			return Frame{}, fmt.Errorf("%w: connected data: %w", ErrBadFrame, err)
		}
	case "gap":
		if err := json.Unmarshal(ev.Data, &f.Gap); err != nil {
			return Frame{}, fmt.Errorf("%w: gap data: %w", ErrBadFrame, err)
		}
	case "heartbeat":
		var s string
		if err := json.Unmarshal(ev.Data, &s); err == nil {
			if t, err := stix.ParseTime(s); err == nil {
				f.Time = t
			}
		} else if p, err := store.ParsePosition(f.ID); err == nil {
			f.Time = p.Time() // OpenCTI's heartbeats carry other data
		}
	case string(Create), string(Update), string(Merge), string(Delete):
		m, err := decodeData(ev.Event, ev.ID, ev.Data)
		if err != nil {
			return Frame{}, err
		}
		f.Message = m
	}
	return f, nil
}

// StatusError is an HTTP status that ends a [Client]'s iteration: 401 (credentials), 403
// (not allowed), 404 (no such stream), 410 (stream stopped), another 4xx except 408 and
// 429 (which are retried, like 5xx). Body is the start of the response body.
type StatusError struct {
	Code int
	Body string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("stream: HTTP %d %s: %s", e.Code, http.StatusText(e.Code), e.Body)
}

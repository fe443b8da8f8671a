package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/taxii"
)

// config is what the flags set.
type config struct {
	URL, User, Password, Token string
	Collection, AddTo          string
	Max                        int
	Add                        bool
}

func main() {
	var cfg config
	flag.StringVar(&cfg.URL, "url", "http://127.0.0.1:8080/", "the server's base URL (discovery is at taxii2/)")
	flag.StringVar(&cfg.User, "user", "analyst", "HTTP Basic user name (empty: none)")
	flag.StringVar(&cfg.Password, "password", "analyst-demo-password", "HTTP Basic password")
	flag.StringVar(&cfg.Token, "token", "", "Bearer token (instead of -user)")
	flag.StringVar(&cfg.Collection, "collection", "indicators", "the collection to read: its id or alias")
	flag.IntVar(&cfg.Max, "max", 500, "read at most this many objects (0: all)")
	flag.BoolVar(&cfg.Add, "add", false, "also POST a new indicator to the -add-to collection and poll its status")
	flag.StringVar(&cfg.AddTo, "add-to", "inbox", "the writable collection for -add")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "taxiiclient:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg config, out io.Writer) error {
	opts := &taxii.ClientOptions{Token: cfg.Token, PollInterval: 100 * time.Millisecond}
	if cfg.Token == "" {
		opts.Username, opts.Password = cfg.User, cfg.Password
	}
	c, err := taxii.NewClient(cfg.URL, opts)
	if err != nil {
		return err
	}
	d, err := c.Discovery(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "server %q, default API root %s\n", d.Title, d.Default)
	root := d.Default
	r, err := c.APIRoot(ctx, root)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "API root %q, versions %v, max_content_length %d\n", r.Title, r.Versions, r.MaxContentLength)
	cols, err := c.Collections(ctx, root)
	if err != nil {
		return err
	}
	var id, addID string
	for _, col := range cols {
		fmt.Fprintf(out, "  collection %s %-11q read=%v write=%v  %s\n", col.ID, col.Alias, col.CanRead, col.CanWrite, col.Title)
		if col.ID == cfg.Collection || col.Alias == cfg.Collection {
			id = col.ID
		}
		if col.ID == cfg.AddTo || col.Alias == cfg.AddTo {
			addID = col.ID
		}
	}
	if id == "" {
		return fmt.Errorf("no collection %q among the %d you may see", cfg.Collection, len(cols))
	}
	objs, err := readAll(ctx, c, root, id, cfg.Max, out)
	if err != nil {
		return err
	}
	found, missing, err := c.ResolveMissing(ctx, root, id, objs)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "referenced but not on those pages: %d fetched from the collection, %d not in it\n", len(found), len(missing))
	if cfg.Add {
		if addID == "" {
			return fmt.Errorf("no writable collection %q", cfg.AddTo)
		}
		return add(ctx, c, root, addID, out)
	}
	return nil
}

// readAll iterates over the collection's objects across pages and counts them by type.
func readAll(ctx context.Context, c *taxii.Client, root, id string, max int, out io.Writer) ([]*stix.Object, error) {
	var objs []*stix.Object
	types := map[string]int{}
	for o, err := range c.Objects(ctx, root, id, &taxii.Query{Limit: 100}) {
		if err != nil {
			return nil, err
		}
		objs = append(objs, o)
		types[o.Type()]++
		if max > 0 && len(objs) >= max {
			break
		}
	}
	fmt.Fprintf(out, "read %d objects:", len(objs))
	for _, t := range slices.Sorted(maps.Keys(types)) {
		fmt.Fprintf(out, " %s=%d", t, types[t])
	}
	fmt.Fprintln(out)
	return objs, nil
}

// add posts one new indicator and waits for the status to complete.
func add(ctx context.Context, c *taxii.Client, root, id string, out io.Writer) error {
	ind, err := stix.NewIndicator("added by taxiiclient", "[domain-name:value = 'taxiiclient.example']", time.Now(), stix.Common{})
	if err != nil {
		return err
	}
	st, err := c.AddObjects(ctx, root, id, []*stix.Object{ind})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "POST status %s: %d of %d succeeded, %d failed\n", st.Status, st.SuccessCount, st.TotalCount, st.FailureCount)
	// A server holds back what was stored in its current millisecond (plus its settle
	// delay), for objects/{id}/ as for every listing, so that paging never misses an
	// object: read back until the object shows, for at most a second.
	var back []*stix.Object
	for wait := time.Millisecond; len(back) == 0 && wait < time.Second; wait *= 2 {
		if back, err = c.Object(ctx, root, id, ind.ID(), nil); err != nil {
			return err
		}
		if len(back) == 0 {
			time.Sleep(wait)
		}
	}
	fmt.Fprintf(out, "read back %d version(s) of %s\n", len(back), ind.ID())
	return nil
}

package demoserver

import (
	"fmt"
	"strings"
	"testing"
)

// The demo hub's configuration keeps no secret in clear (the hub stores hashes only) and
// is valid for package server.
func TestHubConfigKeepsNoSecretInClear(t *testing.T) {
	c, err := hubConfig(Config{Addr: "127.0.0.1:0", Indicators: 1})
	if err != nil {
		t.Fatal(err)
	}
	dump := fmt.Sprintf("%+v", *c)
	for _, secret := range []string{AnalystPassword, PartnerPassword, AnalystToken} {
		if strings.Contains(dump, secret) {
			t.Errorf("the configuration holds %q in clear", secret)
		}
	}
	if len(c.Access.Users) != 2 || c.Feeds.IoCStream == nil || c.Feeds.IoCStream.Writable {
		t.Errorf("users %d, IoC stream %+v: want the two demo users and a read-only IoC stream", len(c.Access.Users), c.Feeds.IoCStream)
	}
}

// The flags pick server's engines: -data the bolt engine, -store the postgres engine.
func TestStoreFlagsPickServerEngines(t *testing.T) {
	for _, tc := range []struct {
		cfg          Config
		engine, path string
		err          string
	}{
		{Config{}, "memory", "", ""},
		{Config{Data: "/tmp/d"}, "bolt", "/tmp/d", ""},
		{Config{Store: "postgres://h/db"}, "postgres", "postgres://h/db", ""},
		{Config{Data: "/tmp/d", Store: "postgres://h/db"}, "", "", "-data and -store both name a store"},
	} {
		sc, _, err := storeConfig(tc.cfg)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%+v: error %v, want %q", tc.cfg, err, tc.err)
			}
			continue
		}
		if err != nil || sc.Engine != tc.engine || sc.Path != tc.path {
			t.Errorf("%+v: %+v %v, want engine %s path %q", tc.cfg, sc, err, tc.engine, tc.path)
		}
	}
}

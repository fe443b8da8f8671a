package main

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/ctifeed/ctifeed/examples/internal/demoserver"
)

func TestReadsTheDemoServerAndAdds(t *testing.T) {
	base := demoserver.StartForTest(t, demoserver.Config{Indicators: 40}, nil)
	var out strings.Builder
	cfg := config{URL: base, User: demoserver.AnalystUser, Password: demoserver.AnalystPassword,
		Collection: "indicators", AddTo: "inbox", Add: true}
	if err := run(context.Background(), cfg, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	got := out.String()
	// The analyst sees the 40 demo indicators except those granted to the Blue organization
	// only (every twentieth); the collection holds indicators alone.
	for _, want := range []string{
		"collection " + demoserver.CollectionIndicators,
		"read 38 objects: indicator=38\n",
		"POST status complete: 1 of 1 succeeded, 0 failed\n",
		"read back 1 version(s) of indicator--",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	// Indicators reference authors and markings, which this collection does not hold.
	m := regexp.MustCompile(`(\d+) fetched from the collection, (\d+) not in it`).FindStringSubmatch(got)
	if m == nil || m[2] == "0" {
		t.Errorf("ResolveMissing reported nothing missing:\n%s", got)
	}
}

func TestUnknownCollection(t *testing.T) {
	base := demoserver.StartForTest(t, demoserver.Config{Indicators: 40}, nil)
	var out strings.Builder
	err := run(context.Background(), config{URL: base, User: demoserver.AnalystUser, Password: demoserver.AnalystPassword, Collection: "nope"}, &out)
	if err == nil || !strings.Contains(err.Error(), `no collection "nope"`) {
		t.Errorf("run = %v", err)
	}
}

package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/stix"
)

func runCmd(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// TestCheckExamples: every example configuration in the repository is valid.
func TestCheckExamples(t *testing.T) {
	files, err := filepath.Glob("../../examples/*/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no example configuration found (%v)", err)
	}
	for _, f := range files {
		code, out, errs := runCmd(t, "", "check", "-config", f)
		if code != 0 || !strings.Contains(out, "valid") {
			t.Errorf("check %s: exit %d\n%s%s", f, code, out, errs)
		}
	}
}

// TestUsageErrors: missing flags, extra arguments and unknown commands are refused with
// exit code 2 and a message naming the problem.
func TestUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"serve"}, "-config FILE is required"},
		{[]string{"check", "-config", "x.yaml", "extra"}, `unexpected argument "extra"`},
		{[]string{"ingest", "-config", "x.yaml"}, "name at least one bundle"},
		{[]string{"version", "now"}, "version takes no argument"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{nil, "usage:"},
	} {
		code, _, errs := runCmd(t, "", c.args...)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, errs, c.want)
		}
	}
}

// TestIngestReportsMalformed: ingest stores a good bundle and reports a malformed one
// with a non-zero exit.
func TestIngestReportsMalformed(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "hub.yaml")
	if err := os.WriteFile(cfg, []byte("listen: 127.0.0.1:0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o, err := stix.NewIndicator("x", "[domain-name:value = 'x.example']", time.Now(), stix.Common{})
	if err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "good.json")
	if err := os.WriteFile(good, stix.MarshalBundle("bundle--6f1b1c7e-2b7a-4c64-9d55-1b2a3c4d5e6f", []*stix.Object{o}), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCmd(t, "", "ingest", "-config", cfg, good)
	if code != 0 || !strings.Contains(out, "1 objects stored") {
		t.Errorf("good bundle: exit %d\n%s%s", code, out, errs)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"type":"bundle","id":"bundle--6f1b1c7e-2b7a-4c64-9d55-1b2a3c4d5e6f","objects":[{"type":"indicator"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs = runCmd(t, "", "ingest", "-config", cfg, bad)
	if code != 1 || !strings.Contains(errs, "invalid object") || !strings.Contains(errs, "nothing stored") {
		t.Errorf("bad bundle: exit %d, stderr %s", code, errs)
	}
}

// TestSecrets: hash-password prints a bcrypt hash and new-token a token with its digest.
func TestSecrets(t *testing.T) {
	code, out, _ := runCmd(t, "s3cret\n", "hash-password")
	if code != 0 || !strings.HasPrefix(out, "$2a$") {
		t.Errorf("hash-password: %d %q", code, out)
	}
	code, out, _ = runCmd(t, "", "new-token")
	if code != 0 || !strings.Contains(out, "token_sha256: ") {
		t.Errorf("new-token: %d %q", code, out)
	}
}

package main

import (
	"io"
	"strings"
	"testing"
)

// TestFlagsValidated: values that used to mean something else silently (-indicators 0 or
// -5 meant 300, an extra argument was ignored) are errors naming the flag.
func TestFlagsValidated(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-indicators", "0"}, "-indicators 0: must be at least 1"},
		{[]string{"-indicators", "-5"}, "-indicators -5: must be at least 1"},
		{[]string{"-simulate", "-1s"}, "-simulate -1s: must not be negative"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"-addr", ":0", "-indicators", "5", "x"}, `unexpected argument "x"`},
	} {
		_, err := parseFlags(c.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error containing %q", c.args, err, c.want)
		}
	}
	cfg, err := parseFlags([]string{"-indicators", "7", "-addr", ":0"}, io.Discard)
	if err != nil || cfg.Indicators != 7 || cfg.Addr != ":0" {
		t.Errorf("valid flags: %+v, %v", cfg, err)
	}
}

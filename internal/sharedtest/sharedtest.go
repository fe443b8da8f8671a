package sharedtest

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the shared directory beside the module root, or "" when there is none.
func Dir() string {
	root, err := moduleRoot()
	if err != nil {
		return ""
	}
	dir := filepath.Join(filepath.Dir(root), "shared")
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return ""
	}
	return dir
}

// SchemasDir returns the official STIX 2.1 JSON schemas directory: $STIX_SCHEMAS_DIR when
// set, else shared/cti-stix2-json-schemas. It skips the test, saying why, when it is absent.
func SchemasDir(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("STIX_SCHEMAS_DIR")
	if dir == "" && Dir() != "" {
		dir = filepath.Join(Dir(), "cti-stix2-json-schemas")
	}
	if dir == "" {
		tb.Skip("STIX schemas not found: set STIX_SCHEMAS_DIR or place ../shared/cti-stix2-json-schemas beside the module")
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	if _, err := os.Stat(filepath.Join(dir, "schemas")); err != nil {
		tb.Skipf("STIX schemas not found in %s: %v", dir, err)
	}
	return dir
}

// AttackBundle returns the path of the MITRE ATT&CK for Mobile bundle in the shared data
// directory. It skips the test, saying why, when it is absent.
func AttackBundle(tb testing.TB) string {
	tb.Helper()
	p := filepath.Join(Dir(), "data", "mobile-attack-17.1.json")
	if Dir() == "" {
		tb.Skip("shared data not found: ../shared/data/mobile-attack-17.1.json beside the module")
	}
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("shared data not found: %v", err)
	}
	return p
}

// moduleRoot walks up from the working directory to the directory holding go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found")
		}
		dir = parent
	}
}

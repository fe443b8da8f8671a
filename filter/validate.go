package filter

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/ctifeed/ctifeed/stix"
)

// Sentinel errors wrapped by [ValidationError]; check them with errors.Is.
var (
	ErrUnknownKey      = errors.New("unknown key")
	ErrKeyCount        = errors.New("a filter takes exactly one key")
	ErrUnknownOperator = errors.New("unknown operator")
	ErrUnknownMode     = errors.New("unknown mode")
	// ErrOperatorKind: the operator does not apply to the key's kind (contains on a number).
	ErrOperatorKind = errors.New("operator does not apply to the key")
	// ErrValue: a value of the wrong kind, or values where the operator takes none, or none
	// where it needs some.
	ErrValue = errors.New("bad filter value")
	// ErrTooDeep: groups nested deeper than this package accepts (32 levels).
	ErrTooDeep = errors.New("groups nested too deeply")
	// ErrKeyDefinition: a host key in CompileOptions that has neither Paths nor Func.
	ErrKeyDefinition = errors.New("bad key definition")
)

// ValidationError is one problem of a [Group], at Path: the place in OpenCTI's JSON, such
// as `filterGroups[1].filters[0].key`. Validate and Compile report every problem, joined with
// errors.Join; errors.As finds the first.
type ValidationError struct {
	Path string
	Err  error // one of the sentinel errors above
	Msg  string
}

func (e *ValidationError) Error() string { return "filter: " + e.Path + ": " + e.Msg }

// Unwrap returns the sentinel error.
func (e *ValidationError) Unwrap() error { return e.Err }

// Validate checks g against the keys it may use (the built-in ones and those of opts, which may
// be nil): known group and filter modes, exactly one known key per filter, known operators that
// apply to the key's kind, and values of the key's kind (numbers, booleans, STIX identifiers
// for keys holding references). An empty mode or operator means the default.
func (g Group) Validate(opts *CompileOptions) error {
	var errs []error
	if err := opts.check(); err != nil {
		errs = append(errs, err)
	}
	g.validate("", 0, opts, &errs)
	return errors.Join(errs...)
}

func (o *CompileOptions) check() error {
	if o == nil {
		return nil
	}
	var errs []error
	for name, k := range o.Keys {
		if k.Func == nil && len(k.Paths) == 0 {
			errs = append(errs, &ValidationError{Path: fmt.Sprintf("CompileOptions.Keys[%q]", name),
				Err: ErrKeyDefinition, Msg: "a key needs Paths or Func"})
		}
		if k.Kind < KindString || k.Kind > KindDate {
			errs = append(errs, &ValidationError{Path: fmt.Sprintf("CompileOptions.Keys[%q].Kind", name),
				Err: ErrKeyDefinition, Msg: fmt.Sprintf("unknown kind %d", k.Kind)})
		}
	}
	return errors.Join(errs...)
}

func (g Group) validate(path string, depth int, opts *CompileOptions, errs *[]error) {
	add := func(p string, err error, format string, args ...any) {
		*errs = append(*errs, &ValidationError{Path: p, Err: err, Msg: fmt.Sprintf(format, args...)})
	}
	if depth >= maxDepth {
		add(pathOrDoc(path), ErrTooDeep, "groups nested deeper than %d levels", maxDepth)
		return
	}
	if g.Mode != "" && g.Mode != And && g.Mode != Or {
		add(join(path, "mode"), ErrUnknownMode, "unknown mode %q (want \"and\" or \"or\")", g.Mode)
	}
	for i, f := range g.Filters {
		f.validate(index(join(path, "filters"), i), opts, add)
	}
	for i, sg := range g.FilterGroups {
		sg.validate(index(join(path, "filterGroups"), i), depth+1, opts, errs)
	}
}

func (f Filter) validate(path string, opts *CompileOptions, add func(string, error, string, ...any)) {
	if f.Mode != "" && f.Mode != And && f.Mode != Or {
		add(join(path, "mode"), ErrUnknownMode, "unknown mode %q (want \"and\" or \"or\")", f.Mode)
	}
	op := f.Operator
	if op == "" {
		op = Eq
	}
	opOK := op.known()
	if !opOK {
		add(join(path, "operator"), ErrUnknownOperator, "unknown operator %q", f.Operator)
	}
	name, ok := f.singleKey()
	if !ok {
		add(join(path, "key"), ErrKeyCount, "a filter takes exactly one key, got %d", len(f.Key))
		return
	}
	def, ok := lookupKey(name, opts)
	if !ok {
		add(join(path, "key"), ErrUnknownKey, "unknown key %q", name)
		return
	}
	if !opOK {
		return
	}
	if !def.kind.applies(op) {
		add(join(path, "operator"), ErrOperatorKind, "%s does not apply to %s key %q", op, def.kind, name)
		return
	}
	vpath := join(path, "values")
	if def.kind == KindRelation {
		if opts == nil || !opts.Relations {
			add(join(path, "key"), ErrNoResolver, "key %q needs the store's relationships, and this feed gives the filter no resolver", name)
		}
		if def.rel == relRegardingOf {
			validateRegardingOf(f, vpath, add)
			return
		}
	}
	if len(f.Subfilters) > 0 {
		add(vpath, ErrValue, "key %q takes plain values; only regardingOf takes {key, values} objects", name)
		return
	}
	switch {
	case def.kind == KindRelation && len(f.Values) == 0:
		add(vpath, ErrValue, "key %q needs at least one STIX identifier", name)
		return
	case op == Within && len(f.Values) != 2:
		add(vpath, ErrValue, "within takes exactly two values (from, to), got %d", len(f.Values))
		return
	case op == Nil || op == NotNil:
		if len(f.Values) > 0 {
			add(vpath, ErrValue, "%s takes no values, got %d", op, len(f.Values))
		}
		return
	case len(f.Values) == 0 && op != Eq && op != NotEq:
		add(vpath, ErrValue, "%s needs at least one value", op)
		return
	}
	for i, v := range f.Values {
		if msg := checkValue(def, op, v); msg != "" {
			add(index(vpath, i), ErrValue, "%s", msg)
		}
	}
}

// checkValue returns what is wrong with one value of a filter, or "".
func checkValue(def keyDef, op Operator, v string) string {
	t := strings.TrimSpace(v)
	switch def.kind {
	case KindNumber:
		if _, ok := parseNumber(t); !ok {
			return fmt.Sprintf("%q is not a number", v)
		}
		return ""
	case KindBool:
		if _, ok := parseBool(t); !ok {
			return fmt.Sprintf("%q is not a boolean (true, false, yes, no, 1, 0)", v)
		}
		return ""
	case KindDate:
		if _, ok := parseDateValue(t); !ok {
			return fmt.Sprintf("%q is not a date (RFC 3339 date-time, YYYY-MM-DD, or now, now-7d, now-1M/M)", v)
		}
		return ""
	case KindRelation:
		if !isSTIXID(t) {
			return fmt.Sprintf("%q is not a STIX identifier", v)
		}
		return ""
	}
	if isTextOp(op) && len(strings.Fields(t)) == 0 {
		return fmt.Sprintf("%s with an empty value would match every candidate", op)
	}
	if op != Eq && op != NotEq {
		return ""
	}
	switch {
	case def.ref && !isSTIXID(t):
		return fmt.Sprintf("%q is not a STIX identifier", v)
	case def.uuid && !isSTIXID(t) && !isUUID(t):
		return fmt.Sprintf("%q is neither a STIX identifier nor an OpenCTI internal id", v)
	}
	return ""
}

func isSTIXID(s string) bool { return stix.ID(strings.ToLower(s)).Validate() == nil }

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	_, err := uuid.Parse(s)
	return err == nil
}

// parseNumber parses a decimal number; it rejects what strconv would take beyond JSON-like
// decimals (hex, underscores, inf, nan), and it never allocates.
func parseNumber(s string) (float64, bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E') {
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false
	}
	return f, true
}

// parseBool reads OpenCTI's boolean spellings, ignoring case.
func parseBool(s string) (value, ok bool) {
	switch {
	case s == "1" || strings.EqualFold(s, "true") || strings.EqualFold(s, "yes"):
		return true, true
	case s == "0" || strings.EqualFold(s, "false") || strings.EqualFold(s, "no"):
		return false, true
	}
	return false, false
}

// validateRegardingOf checks regardingOf's values: {key, values} objects for "id" (STIX
// identifiers, required) and "relationship_type" (optional), each at most once, eq and or.
func validateRegardingOf(f Filter, vpath string, add func(string, error, string, ...any)) {
	if len(f.Values) > 0 {
		add(vpath, ErrValue, `regardingOf takes {"key":"id"|"relationship_type","values":[…]} objects, not plain values`)
		return
	}
	seen := map[string]bool{}
	for i, sf := range f.Subfilters {
		p := index(vpath, i)
		if sf.Operator != "" && sf.Operator != Eq {
			add(join(p, "operator"), ErrUnknownOperator, "regardingOf's %s takes eq only, got %q", strings.Join(sf.Key, ","), sf.Operator)
		}
		if sf.Mode != "" && sf.Mode != Or {
			add(join(p, "mode"), ErrUnknownMode, "regardingOf's values combine with or only, got %q", sf.Mode)
		}
		if len(sf.Subfilters) > 0 {
			add(join(p, "values"), ErrValue, "regardingOf's values take plain values")
		}
		key, ok := sf.singleKey()
		if !ok || key != "id" && key != "relationship_type" {
			add(join(p, "key"), ErrUnknownKey, `regardingOf takes the keys "id" and "relationship_type", got %q`, strings.Join(sf.Key, ","))
			continue
		}
		if seen[key] {
			add(join(p, "key"), ErrValue, "regardingOf's %q given twice", key)
		}
		seen[key] = true
		for j, v := range sf.Values {
			t := strings.TrimSpace(v)
			switch {
			case key == "id" && !isSTIXID(t):
				add(index(join(p, "values"), j), ErrValue, "%q is not a STIX identifier", v)
			case key == "relationship_type" && t == "":
				add(index(join(p, "values"), j), ErrValue, "an empty relationship type")
			}
		}
		if key == "id" && len(sf.Values) == 0 {
			add(join(p, "values"), ErrValue, "regardingOf's id needs at least one STIX identifier")
		}
	}
	if !seen["id"] {
		add(vpath, ErrValue, "regardingOf needs an id: \"any object with a relationship of this type\" would cost a store look-up per object")
	}
}

package filter

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The text form, for people and configuration files:
//
//	entity_type = (Indicator or Malware) and objectLabel = detection and (x_opencti_score >= 50 or confidence >= 80)
//
// A group is terms joined by one connective, "and" or "or"; mixing them in one group needs
// parentheses, so the text maps one to one onto the JSON structure. A term is a filter or a
// parenthesised group. A filter is key, operator, then a value or a parenthesised value list
// joined by one connective (the filter's mode). Operators are = != < <= > >= or an OpenCTI
// operator name (contains, not_contains, starts_with, …, search, nil, not_nil); nil and not_nil
// take no value. Values and keys are bare words or Go-syntax double-quoted strings.

// symbolOp maps the symbolic operators to OpenCTI's names.
func symbolOp(s string) (Operator, bool) {
	switch s {
	case "=":
		return Eq, true
	case "!=":
		return NotEq, true
	case "<":
		return Lt, true
	case "<=":
		return Lte, true
	case ">":
		return Gt, true
	case ">=":
		return Gte, true
	}
	return "", false
}

func opSymbol(op Operator) (string, bool) {
	switch op {
	case Eq, "":
		return "=", true
	case NotEq:
		return "!=", true
	case Lt:
		return "<", true
	case Lte:
		return "<=", true
	case Gt:
		return ">", true
	case Gte:
		return ">=", true
	}
	return "", false
}

// ParseText reads the text form (see [Group.String]). Blank text is the empty group. ParseText
// checks syntax and operators; [Group.Validate] checks keys and values.
func ParseText(s string) (Group, error) {
	p := &textParser{s: s}
	g, err := p.group(0)
	if err != nil {
		return Group{}, err
	}
	p.space()
	if p.i < len(p.s) {
		if p.s[p.i] == ')' {
			return Group{}, p.errf("unbalanced \")\"")
		}
		return Group{}, p.errf("expected \"and\", \"or\" or the end, found %s", p.peekDesc())
	}
	return g, nil
}

type textParser struct {
	s string
	i int
}

func (p *textParser) errf(format string, args ...any) error {
	return &SyntaxError{Offset: p.i, Msg: fmt.Sprintf(format, args...)}
}

func (p *textParser) space() {
	for p.i < len(p.s) {
		r, n := utf8.DecodeRuneInString(p.s[p.i:])
		if !unicode.IsSpace(r) {
			return
		}
		p.i += n
	}
}

func (p *textParser) eof() bool { p.space(); return p.i >= len(p.s) }

func (p *textParser) peekDesc() string {
	if p.i >= len(p.s) {
		return "the end"
	}
	end := p.i
	for end < len(p.s) && end-p.i < 20 {
		r, n := utf8.DecodeRuneInString(p.s[end:])
		if unicode.IsSpace(r) {
			break
		}
		end += n
	}
	if end == p.i {
		end = p.i + 1
	}
	return strconv.Quote(p.s[p.i:end])
}

// word returns the run of word characters at the cursor without consuming it.
func (p *textParser) word() string {
	j := p.i
	for j < len(p.s) && isWordByte(p.s[j]) {
		j++
	}
	return p.s[p.i:j]
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// conj reads "and" or "or" when one is next.
func (p *textParser) conj() (Mode, bool) {
	p.space()
	w := p.word()
	switch strings.ToLower(w) {
	case "and":
		p.i += len(w)
		return And, true
	case "or":
		p.i += len(w)
		return Or, true
	}
	return "", false
}

// group reads terms until the end or a ")" (not consumed).
func (p *textParser) group(depth int) (Group, error) {
	g := Group{Mode: And, Filters: []Filter{}, FilterGroups: []Group{}}
	if depth >= maxDepth {
		return g, p.errf("groups nested deeper than %d levels", maxDepth)
	}
	if p.eof() || p.s[p.i] == ')' {
		return g, nil
	}
	var mode Mode
	for {
		if err := p.term(&g, depth); err != nil {
			return g, err
		}
		if p.eof() || p.s[p.i] == ')' {
			break
		}
		at := p.i // p.eof skipped the space before the connective
		c, ok := p.conj()
		if !ok {
			return g, p.errf("expected \"and\", \"or\", \")\" or the end, found %s", p.peekDesc())
		}
		if mode != "" && c != mode {
			p.i = at
			return g, p.errf("%q after %q in the same group: add parentheses", c, mode)
		}
		mode = c
	}
	if mode != "" {
		g.Mode = mode
	}
	return g, nil
}

func (p *textParser) term(g *Group, depth int) error {
	p.space()
	if p.i >= len(p.s) {
		return p.errf("expected a filter or \"(\", found the end")
	}
	if p.s[p.i] == '(' {
		p.i++
		sg, err := p.group(depth + 1)
		if err != nil {
			return err
		}
		if p.eof() || p.s[p.i] != ')' {
			return p.errf("expected \")\", found %s", p.peekDesc())
		}
		p.i++
		g.FilterGroups = append(g.FilterGroups, sg)
		return nil
	}
	f, err := p.filter()
	if err != nil {
		return err
	}
	g.Filters = append(g.Filters, f)
	return nil
}

func (p *textParser) filter() (Filter, error) {
	key, err := p.key()
	if err != nil {
		return Filter{}, err
	}
	op, err := p.operator()
	if err != nil {
		return Filter{}, err
	}
	f := Filter{Key: []string{key}, Values: []string{}, Operator: op, Mode: Or}
	if op == Nil || op == NotNil {
		if !p.eof() && p.s[p.i] != ')' {
			save := p.i
			if _, ok := p.conj(); !ok {
				return f, p.errf("%s takes no value, found %s", op, p.peekDesc())
			}
			p.i = save
		}
		return f, nil
	}
	p.space()
	if p.i < len(p.s) && p.s[p.i] == '(' {
		p.i++
		return f, p.valueList(&f)
	}
	if p.i < len(p.s) && p.s[p.i] == '{' {
		p.i++
		return f, p.subfilters(&f)
	}
	v, err := p.value()
	if err != nil {
		return f, err
	}
	f.Values = append(f.Values, v)
	return f, nil
}

// subfilters reads regardingOf's values after "{": `key = value` or `key = (v1 or v2)`,
// separated by commas, up to "}".
func (p *textParser) subfilters(f *Filter) error {
	f.Subfilters = []Filter{}
	if !p.eof() && p.s[p.i] == '}' {
		p.i++
		return nil
	}
	for {
		key, err := p.key()
		if err != nil {
			return err
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != '=' {
			return p.errf("expected \"=\" after %q in {…}, found %s", key, p.peekDesc())
		}
		p.i++
		sf := Filter{Key: []string{key}, Values: []string{}, Operator: Eq, Mode: Or}
		p.space()
		if p.i < len(p.s) && p.s[p.i] == '(' {
			p.i++
			if err := p.valueList(&sf); err != nil {
				return err
			}
		} else {
			v, err := p.valueStop(",}")
			if err != nil {
				return err
			}
			sf.Values = append(sf.Values, v)
		}
		f.Subfilters = append(f.Subfilters, sf)
		if p.eof() {
			return p.errf("expected \"}\" to close the {…} values, found the end")
		}
		switch p.s[p.i] {
		case '}':
			p.i++
			return nil
		case ',':
			p.i++
		default:
			return p.errf("expected \",\" or \"}\" in {…}, found %s", p.peekDesc())
		}
	}
}

func (p *textParser) valueList(f *Filter) error {
	if !p.eof() && p.s[p.i] == ')' {
		p.i++
		return nil
	}
	var mode Mode
	for {
		v, err := p.value()
		if err != nil {
			return err
		}
		f.Values = append(f.Values, v)
		if p.eof() {
			return p.errf("expected \")\" to close the value list, found the end")
		}
		if p.s[p.i] == ')' {
			p.i++
			break
		}
		at := p.i
		c, ok := p.conj()
		if !ok {
			return p.errf("expected \"and\", \"or\" or \")\" in the value list, found %s", p.peekDesc())
		}
		if mode != "" && c != mode {
			p.i = at
			return p.errf("%q after %q in one value list", c, mode)
		}
		mode = c
	}
	if mode != "" {
		f.Mode = mode
	}
	return nil
}

func (p *textParser) key() (string, error) {
	p.space()
	if p.i < len(p.s) && p.s[p.i] == '"' {
		return p.quoted()
	}
	j := p.i
	for j < len(p.s) && isKeyByte(p.s[j]) {
		j++
	}
	if j == p.i {
		return "", p.errf("expected a key, found %s", p.peekDesc())
	}
	k := p.s[p.i:j]
	p.i = j
	return k, nil
}

func isKeyByte(c byte) bool { return isWordByte(c) || c == '-' || c == '.' || c == ':' }

func (p *textParser) operator() (Operator, error) {
	p.space()
	j := p.i
	for j < len(p.s) && strings.IndexByte("=!<>", p.s[j]) >= 0 && j-p.i < 2 {
		j++
	}
	if j > p.i {
		if op, ok := symbolOp(p.s[p.i:j]); ok {
			p.i = j
			return op, nil
		}
		return "", p.errf("unknown operator %q", p.s[p.i:j])
	}
	w := p.word()
	if w == "" {
		return "", p.errf("expected an operator, found %s", p.peekDesc())
	}
	op := Operator(strings.ToLower(w))
	if !op.known() {
		return "", p.errf("unknown operator %q", w)
	}
	p.i += len(w)
	return op, nil
}

func (p *textParser) value() (string, error) { return p.valueStop("") }

// valueStop reads a value; a bare one also ends at any byte of stop (",}" inside {…}).
func (p *textParser) valueStop(stop string) (string, error) {
	p.space()
	if p.i >= len(p.s) {
		return "", p.errf("expected a value, found the end")
	}
	if p.s[p.i] == '"' {
		return p.quoted()
	}
	j := p.i
	for j < len(p.s) {
		r, n := utf8.DecodeRuneInString(p.s[j:])
		if !isBareRune(r) || r < utf8.RuneSelf && strings.IndexByte(stop, byte(r)) >= 0 {
			break
		}
		j += n
	}
	if j == p.i {
		return "", p.errf("expected a value, found %s", p.peekDesc())
	}
	v := p.s[p.i:j]
	p.i = j
	return v, nil
}

// isBareRune reports whether r may appear in an unquoted value.
func isBareRune(r rune) bool {
	return r != '"' && r != '(' && r != ')' && r != utf8.RuneError &&
		unicode.IsPrint(r) && !unicode.IsSpace(r)
}

// quoted reads a Go-syntax double-quoted string.
func (p *textParser) quoted() (string, error) {
	j := p.i + 1
	for j < len(p.s) && p.s[j] != '"' {
		if p.s[j] == '\\' {
			j++
		}
		j++
	}
	if j >= len(p.s) {
		return "", p.errf("unterminated quoted string")
	}
	s, err := strconv.Unquote(p.s[p.i : j+1])
	if err != nil {
		return "", p.errf("malformed quoted string %s", p.s[p.i:j+1])
	}
	p.i = j + 1
	return s, nil
}

// String returns g in the text form: filters first, then subgroups in parentheses, joined by
// the group's mode. Its output parses back with [ParseText] to the same group, except what the
// text cannot express: the mode of a filter with fewer than two values or of a group with fewer
// than two terms (neither changes what matches), [Group.Extra], and keys that are not exactly
// one. Text that ParseText accepts prints back unchanged once it is in this canonical form.
// A group that fails [Group.Validate] on its modes or operators may print as text that
// ParseText rejects.
func (g Group) String() string {
	var b strings.Builder
	g.write(&b, 0)
	return b.String()
}

func (g Group) write(b *strings.Builder, depth int) {
	if depth > maxDepth {
		b.WriteString("…")
		return
	}
	conj := " and "
	if g.Mode != "" && g.Mode != And {
		conj = " " + string(g.Mode) + " "
	}
	n := 0
	for _, f := range g.Filters {
		if n > 0 {
			b.WriteString(conj)
		}
		f.write(b)
		n++
	}
	for _, sg := range g.FilterGroups {
		if n > 0 {
			b.WriteString(conj)
		}
		b.WriteByte('(')
		sg.write(b, depth+1)
		b.WriteByte(')')
		n++
	}
}

// String returns f in the text form, e.g. `x_opencti_score >= 50`.
func (f Filter) String() string {
	var b strings.Builder
	f.write(&b)
	return b.String()
}

func (f Filter) write(b *strings.Builder) {
	b.WriteString(quoteKey(strings.Join(f.Key, ",")))
	b.WriteByte(' ')
	if sym, ok := opSymbol(f.Operator); ok {
		b.WriteString(sym)
	} else {
		b.WriteString(string(f.Operator))
	}
	if f.Operator == Nil || f.Operator == NotNil {
		return
	}
	b.WriteByte(' ')
	if f.Subfilters != nil {
		b.WriteByte('{')
		for i, sf := range f.Subfilters {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(quoteKey(strings.Join(sf.Key, ",")))
			b.WriteString(" = ")
			sf.writeValues(b, true)
		}
		b.WriteByte('}')
		return
	}
	f.writeValues(b, false)
}

// writeValues writes the values, one bare or a parenthesised list; inside {…} (sub) a
// value holding "," or "}" is quoted.
func (f Filter) writeValues(b *strings.Builder, sub bool) {
	q := quoteValue
	if sub {
		q = func(v string) string {
			if strings.ContainsAny(v, ",}") {
				return strconv.Quote(v)
			}
			return quoteValue(v)
		}
	}
	if len(f.Values) == 1 {
		b.WriteString(q(f.Values[0]))
		return
	}
	conj := " or "
	if f.Mode != "" && f.Mode != Or {
		conj = " " + string(f.Mode) + " "
	}
	b.WriteByte('(')
	for i, v := range f.Values {
		if i > 0 {
			b.WriteString(conj)
		}
		b.WriteString(q(v))
	}
	b.WriteByte(')')
}

func isConj(s string) bool { return strings.EqualFold(s, "and") || strings.EqualFold(s, "or") }

func quoteKey(k string) string {
	if k == "" || isConj(k) {
		return strconv.Quote(k)
	}
	for i := 0; i < len(k); i++ {
		if !isKeyByte(k[i]) {
			return strconv.Quote(k)
		}
	}
	return k
}

func quoteValue(v string) string {
	if v == "" || isConj(v) || !utf8.ValidString(v) || v[0] == '{' { // "{" opens regardingOf's values
		return strconv.Quote(v)
	}
	for _, r := range v {
		if !isBareRune(r) {
			return strconv.Quote(v)
		}
	}
	return v
}

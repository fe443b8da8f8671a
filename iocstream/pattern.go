package iocstream

import (
	"fmt"
	"strings"
)

// comparison is `type:path = 'value'` from a STIX pattern, path without the type.
type comparison struct {
	objType string
	path    []string // e.g. ["hashes", "SHA-256"] or ["value"]
	value   string
}

// parsePattern reads the subset of STIX patterning that names IoCs outright: observation
// expressions joined by OR, each a list of `=` comparisons joined by AND or OR. It returns
// the OR-alternatives, each an AND-group of comparisons. Anything else (other operators,
// parentheses, FOLLOWEDBY, qualifiers) is reported as unsupported: such patterns describe
// behaviour, not a single IoC to watch.
func parsePattern(s string) ([][]comparison, error) {
	p := &patternParser{s: s}
	var alts [][]comparison
	for {
		p.space()
		if !p.take('[') {
			return nil, p.fail("want [")
		}
		group := []comparison{}
		for {
			c, err := p.comparison()
			if err != nil {
				return nil, err
			}
			group = append(group, c)
			p.space()
			if p.take(']') {
				break
			}
			switch kw := p.word(); kw {
			case "AND":
			case "OR":
				alts = append(alts, group)
				group = []comparison{}
			default:
				return nil, p.fail("want AND, OR or ]")
			}
		}
		alts = append(alts, group)
		p.space()
		if p.i == len(p.s) {
			return alts, nil
		}
		if kw := p.word(); kw != "OR" {
			return nil, p.fail("only OR may join observation expressions here")
		}
	}
}

type patternParser struct {
	s string
	i int
}

func (p *patternParser) fail(msg string) error {
	return fmt.Errorf("%w: pattern %q at offset %d: %s", ErrUnsupported, p.s, p.i, msg)
}

func (p *patternParser) space() {
	for p.i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *patternParser) take(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// word reads a run of letters, digits, '_' and '-'.
func (p *patternParser) word() string {
	p.space()
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			break
		}
		p.i++
	}
	return p.s[start:p.i]
}

// quoted reads a single-quoted string with \' and \\ escapes; the opening quote is next.
func (p *patternParser) quoted() (string, error) {
	if !p.take('\'') {
		return "", p.fail("want a quoted string")
	}
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		p.i++
		switch c {
		case '\'':
			return b.String(), nil
		case '\\':
			if p.i == len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '\\') {
				return "", p.fail("bad escape")
			}
			b.WriteByte(p.s[p.i])
			p.i++
		default:
			b.WriteByte(c)
		}
	}
	return "", p.fail("unterminated string")
}

func (p *patternParser) comparison() (comparison, error) {
	var c comparison
	if c.objType = p.word(); c.objType == "" || !p.take(':') {
		return c, p.fail("want an object path such as domain-name:value")
	}
	for {
		if p.i < len(p.s) && p.s[p.i] == '\'' {
			seg, err := p.quoted()
			if err != nil {
				return c, err
			}
			c.path = append(c.path, seg)
		} else if seg := p.word(); seg != "" {
			c.path = append(c.path, seg)
		} else {
			return c, p.fail("want a property name")
		}
		if !p.take('.') {
			break
		}
	}
	p.space()
	if !p.take('=') || p.take('=') {
		return c, p.fail("only the = operator names an IoC")
	}
	p.space()
	v, err := p.quoted()
	if err != nil {
		return c, err
	}
	c.value = v
	return c, nil
}

package taxii

import (
	"crypto/sha256"
	"fmt"
)

// pagingCheck stops a paged read that a server would keep going forever (peers' clients
// have looped so, following a repeated next): it remembers every next token and the
// previous page's content.
type pagingCheck struct {
	url  string
	page int            // pages checked so far
	seen map[string]int // next token → the page that gave it
	prev [32]byte       // the previous page's content, when it said more
}

// check returns an error wrapping ErrBadResponse, naming the page, when page p
//   - gives a next token an earlier page already gave (following it would repeat pages);
//   - says more but holds nothing, or holds exactly what the previous page held (no
//     progress, whatever its token);
//   - says more=false yet gives a next (more and next disagree, and neither can be
//     trusted to end the read).
func (pc *pagingCheck) check(p *pageOf) error {
	pc.page++
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s page %d: %s", ErrBadResponse, pc.url, pc.page, fmt.Sprintf(format, args...))
	}
	if p.Next != "" {
		if !p.More {
			return fail("more is false but next is %q: the server's more and next disagree", short(p.Next))
		}
		if at, dup := pc.seen[p.Next]; dup {
			return fail("the server repeated the next token %q of page %d; following it would loop", short(p.Next), at)
		}
		pc.seen[p.Next] = pc.page
	}
	if !p.More {
		return nil
	}
	if len(p.Objects) == 0 && len(p.Versions) == 0 {
		return fail("more is true but the page is empty: the server does not advance")
	}
	h := sha256.New()
	for _, o := range p.Objects {
		h.Write(o)
		h.Write([]byte{0})
	}
	for _, v := range p.Versions {
		h.Write([]byte(v))
		h.Write([]byte{0})
	}
	var sum [32]byte
	h.Sum(sum[:0])
	if pc.page > 1 && sum == pc.prev {
		return fail("the page repeats the previous one: the server does not advance")
	}
	pc.prev = sum
	return nil
}

// short keeps error messages bounded whatever a server sends.
func short(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

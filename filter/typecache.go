package filter

import (
	"strings"
	"sync"

	"github.com/ctifeed/ctifeed/stix"
)

// typeCache remembers the relationship_type of the relationships a matcher's bindings read.
// A binding reads it from each relationship's JSON, a scan past the description and the
// external references of every relationship of the named ids; a feed binds for every page
// or event, mostly to the same relationships, so a matcher keeps what it read. A version of
// a relationship is immutable (a store refuses different content under the same id and
// modified), so the type is keyed by (id, modified); the cache holds copies of these short
// strings only, never an object, and is emptied when it reaches maxTypeCache entries.
type typeCache struct {
	mu sync.Mutex
	m  map[versionKey]string
}

type versionKey struct{ id, modified string }

// maxTypeCache bounds the cache: about 100 bytes an entry.
const maxTypeCache = 4096

// relationshipType returns r's relationship_type, lower-cased. The caller holds c.mu: a
// binding takes it once for all its relationships rather than twice for each.
func (c *typeCache) relationshipType(r *stix.Object) string {
	k := versionKey{string(r.ID()), r.ModifiedRaw()}
	if t, ok := c.m[k]; ok {
		return t
	}
	v := view{o: r, typ: r.Type()}
	t := strings.ToLower(v.member("relationship_type").String())
	if k.modified == "" { // no version to key on: read it each time
		return t
	}
	k = versionKey{strings.Clone(k.id), strings.Clone(k.modified)}
	t = strings.Clone(t) // not a view into the object's JSON, which would keep it alive
	if c.m == nil || len(c.m) >= maxTypeCache {
		c.m = make(map[versionKey]string)
	}
	c.m[k] = t
	return t
}

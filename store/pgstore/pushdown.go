package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/store"
)

// ScanFilter implements [store.FilterPushdown]. The filter is translated into an SQL
// condition that every matching record satisfies (entity types, labels, markings, ids and
// authors with eq, confidence and x_opencti_score with lt/lte/gt/gte, inside groups of mode
// "and"), so the database skips most non-matching records without sending them; opts.Match
// then decides each remaining record, which keeps the result exactly Scan's. Filters with
// nothing to translate give errors.ErrUnsupported, and [store.Scan] falls back to Scan.
//
// The translation reads the keys as package filter defines them. A host that redefines
// one of them (entity_type, objectLabel, objectMarking, ids, createdBy, confidence,
// x_opencti_score) with filter.CompileOptions must not offer this store's push-down
// (hide it behind a type that has only the [store.Store] methods): the SQL condition could
// then drop records its Match would keep.
func (s *Store) ScanFilter(ctx context.Context, opts store.ScanOptions) (store.Page, error) {
	if err := ctx.Err(); err != nil {
		return store.Page{}, err
	}
	g, err := filter.Parse(opts.Filter)
	if err != nil {
		return store.Page{}, fmt.Errorf("%w: %v", errors.ErrUnsupported, err)
	}
	where, args := translate(g)
	if types, restricted := g.EntityTypes(); restricted {
		if len(opts.Types) > 0 {
			types = intersect(opts.Types, types)
		}
		if len(types) == 0 {
			return store.Page{}, nil // the filter matches no object of the allowed types
		}
		opts.Types = types
	} else if where == "" {
		return store.Page{}, fmt.Errorf("%w: no part of this filter translates to SQL", errors.ErrUnsupported)
	}
	return s.scan(ctx, opts, where, args...)
}

func intersect(a, b []string) []string {
	var out []string
	for _, x := range a {
		for _, y := range b {
			if x == y {
				out = append(out, x)
				break
			}
		}
	}
	return out
}

// translate returns a condition implied by g (a necessary condition for a match) and its
// arguments, numbered from $1; "" when nothing can be said.
func translate(g filter.Group) (string, []any) {
	var conds []string
	var args []any
	if g.Mode == filter.Or && len(g.Filters)+len(g.FilterGroups) > 1 {
		return "", nil // an "or" implies a condition only if every branch does: not worth it
	}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	for _, f := range g.Filters {
		if c := translateFilter(f, arg); c != "" {
			conds = append(conds, c)
		}
	}
	for _, sub := range g.FilterGroups {
		c, subArgs := translate(sub)
		if c == "" {
			continue
		}
		conds = append(conds, "("+renumber(c, len(args))+")")
		args = append(args, subArgs...)
	}
	return strings.Join(conds, " AND "), args
}

// arrayColumns are the text keys whose candidates a column holds (see candidatesOf).
var arrayColumns = map[string]string{
	"objectLabel":   "labels",
	"objectMarking": "markings",
	"createdBy":     "created_by",
	"ids":           "ids",
}

func translateFilter(f filter.Filter, arg func(any) string) string {
	if len(f.Key) != 1 || len(f.Values) == 0 {
		return ""
	}
	key := f.Key[0]
	if col, ok := arrayColumns[key]; ok && f.Operator == filter.Eq {
		vals := make([]string, len(f.Values))
		for i, v := range f.Values {
			vals[i] = fold(v)
		}
		if f.Mode == filter.And {
			return col + " @> " + arg(vals) + "::text[]"
		}
		return col + " && " + arg(vals) + "::text[]"
	}
	var op string
	switch f.Operator {
	case filter.Gt:
		op = ">"
	case filter.Gte:
		op = ">="
	case filter.Lt:
		op = "<"
	case filter.Lte:
		op = "<="
	default:
		return ""
	}
	if len(f.Values) != 1 {
		return ""
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(f.Values[0]), 64)
	if err != nil {
		return ""
	}
	switch key {
	case "confidence":
		return "confidence " + op + " " + arg(v)
	case "x_opencti_score":
		return arg(v) + " " + flip(op) + " ANY (scores)"
	}
	return ""
}

// flip turns "x op y" into "y flip(op) x".
func flip(op string) string {
	switch op {
	case ">":
		return "<"
	case ">=":
		return "<="
	case "<":
		return ">"
	}
	return ">="
}

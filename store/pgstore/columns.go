package pgstore

import (
	"slices"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/ctifeed/ctifeed/stix"
)

// The OpenCTI extensions whose members the filter keys also read (see package filter).
const (
	extOpenCTI    = "extension-definition--ea279b3e-5c71-4632-ac08-831c66a786ba"
	extOpenCTISCO = "extension-definition--f93e2c80-4231-4f9a-af8b-95c9bd566a82"
)

// candidates are the values an object offers the pushed-down filter keys, lower-cased
// and trimmed as the filter package compares text. They are a superset of what the
// filter keys yield: the SQL built on them only narrows the rows that Match then decides.
type candidates struct {
	labels, markings, createdBy, ids []string
	confidence                       *float64
	scores                           []float64
}

func candidatesOf(o *stix.Object) candidates {
	var c candidates
	// The observable extension's members are read whatever the category: a superset is
	// safe, a missed candidate would not be.
	for _, l := range o.Labels() {
		c.labels = append(c.labels, fold(l))
	}
	c.labels = appendStrings(c.labels, o.Extension(extOpenCTISCO).Get("labels"))
	for _, m := range o.ObjectMarkingRefs() {
		c.markings = append(c.markings, fold(string(m)))
	}
	if by := o.CreatedByRef(); by != "" {
		c.createdBy = append(c.createdBy, fold(string(by)))
	}
	c.createdBy = appendStrings(c.createdBy, o.Extension(extOpenCTISCO).Get("created_by_ref"))
	c.ids = append(c.ids, fold(string(o.ID())))
	ext := o.Extension(extOpenCTI)
	c.ids = appendStrings(c.ids, ext.Get("id"))
	c.ids = appendStrings(c.ids, ext.Get("stix_ids"))
	if n, ok := o.Confidence(); ok {
		f := float64(n)
		c.confidence = &f
	}
	for _, r := range []gjson.Result{o.Get("x_opencti_score"), ext.Get("score"), o.Extension(extOpenCTISCO).Get("score")} {
		if f, ok := number(r); ok {
			c.scores = append(c.scores, f)
		}
	}
	for _, p := range []*[]string{&c.labels, &c.markings, &c.createdBy, &c.ids} {
		slices.Sort(*p)
		*p = slices.Compact(*p)
	}
	return c
}

// fold is the normal form of a text candidate.
func fold(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// appendStrings adds a string or every string of an array.
func appendStrings(dst []string, r gjson.Result) []string {
	if r.IsArray() {
		for _, e := range r.Array() {
			if e.Type == gjson.String {
				dst = append(dst, fold(e.Str))
			}
		}
	} else if r.Type == gjson.String {
		dst = append(dst, fold(r.Str))
	}
	return dst
}

// number reads a JSON number, or a string holding one, as the filter package does.
func number(r gjson.Result) (float64, bool) {
	switch r.Type {
	case gjson.Number:
		return r.Num, true
	case gjson.String:
		f, err := strconv.ParseFloat(strings.TrimSpace(r.Str), 64)
		return f, err == nil
	}
	return 0, false
}

// relationEnds returns the ids a relationship or sighting connects (none for other types).
func relationEnds(obj *stix.Object) []string {
	var props []string
	switch obj.Type() {
	case "relationship":
		props = []string{"source_ref", "target_ref"}
	case "sighting":
		props = []string{"sighting_of_ref", "where_sighted_refs", "observed_data_refs"}
	default:
		return nil
	}
	var ends []string
	for _, r := range obj.Refs() {
		if slices.Contains(props, r.Path) && !slices.Contains(ends, string(r.ID)) {
			ends = append(ends, string(r.ID))
		}
	}
	return ends
}

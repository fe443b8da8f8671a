package demodata

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/ctifeed/ctifeed/stix"
)

// observable is one IoC: the SCO that holds it (unmarked until every indicator based on it
// is known) and the STIX pattern that detects it.
type observable struct {
	sco     *stix.Object
	props   map[string]any
	pattern string
	name    string
}

// observableUse gathers the indicators based on one observable, which decide its markings
// and grants (see protect).
type observableUse struct {
	obs        observable
	indicators []*stix.Object
}

func (g *gen) observable() (observable, error) {
	var typ, pattern, name string
	var props map[string]any
	switch k := g.rnd.IntN(4); k {
	case 0:
		sha := g.hexOf(64)
		md5 := g.hexOf(32)
		typ, name = "file", sha
		props = map[string]any{
			"hashes": map[string]any{"SHA-256": sha, "MD5": md5},
			"name":   fmt.Sprintf("%s_%d.exe", words[g.rnd.IntN(len(words))], g.rnd.IntN(1000)),
		}
		pattern = fmt.Sprintf("[file:hashes.'SHA-256' = '%s']", sha)
	case 1:
		d := g.domain()
		typ, name, props = "domain-name", d, map[string]any{"value": d}
		pattern = fmt.Sprintf("[domain-name:value = '%s']", d)
	case 2:
		ip := fmt.Sprintf("%d.%d.%d.%d", 45+g.rnd.IntN(150), g.rnd.IntN(256), g.rnd.IntN(256), 1+g.rnd.IntN(254))
		typ, name, props = "ipv4-addr", ip, map[string]any{"value": ip}
		pattern = fmt.Sprintf("[ipv4-addr:value = '%s']", ip)
	default:
		u := fmt.Sprintf("https://%s/%s/%s.php", g.domain(), words[g.rnd.IntN(len(words))], words[g.rnd.IntN(len(words))])
		typ, name, props = "url", u, map[string]any{"value": u}
		pattern = fmt.Sprintf("[url:value = '%s']", u)
	}
	o, err := stix.NewSCO(typ, props)
	return observable{sco: o, props: props, pattern: pattern, name: name}, err
}

// protect returns the observable as the indicators based on it allow: with the strictest
// of their TLP markings and only the organizations every granted one is shared with, so
// that nobody sees the observable (its value) who may not see every indicator based on
// it. When the granted indicators share no organization, no organization grant can say
// "nobody", so the observable is marked TLP:RED instead, which only all-seeing principals
// pass. Its id does not change: markings do not contribute to an SCO's id.
func protect(u *observableUse) (*stix.Object, error) {
	marking, rank := stix.ID(""), -1
	var grants []string
	granted := false
	for _, ind := range u.indicators {
		for _, m := range ind.ObjectMarkingRefs() {
			if r := tlpRank(m); r > rank {
				marking, rank = m, r
			}
		}
		var own []string
		for _, g := range ind.Get("x_opencti_granted_refs").Array() {
			own = append(own, g.String())
		}
		switch {
		case len(own) == 0: // shared with every organization: restricts nothing
		case !granted:
			grants, granted = own, true
		default:
			grants = slices.DeleteFunc(grants, func(g string) bool { return !slices.Contains(own, g) })
		}
	}
	props := maps.Clone(u.obs.props)
	if granted && len(grants) == 0 {
		marking = stix.TLP2Red
	}
	if marking != "" {
		props["object_marking_refs"] = []stix.ID{marking}
	}
	if len(grants) > 0 {
		props["x_opencti_granted_refs"] = grants
	}
	o, err := stix.NewSCO(u.obs.sco.Type(), props)
	if err == nil && o.ID() != u.obs.sco.ID() {
		err = fmt.Errorf("observable %s changed id to %s when marked", u.obs.sco.ID(), o.ID())
	}
	return o, err
}

// tlpRank orders the TLP 2.0 markings the demo uses: CLEAR 0, GREEN 1, AMBER 2,
// AMBER+STRICT 3, RED 4; any other marking -1.
func tlpRank(m stix.ID) int {
	return slices.Index([]stix.ID{stix.TLP2Clear, stix.TLP2Green, stix.TLP2Amber, stix.TLP2AmberStrict, stix.TLP2Red}, m)
}

// indicators makes the indicators with their observables and relationships, then a few
// sightings and reports that tie them together.
func (g *gen) indicators() error {
	var inds []stix.ID
	markings := []stix.ID{stix.TLP2Clear, stix.TLP2Green, stix.TLP2Green, stix.TLP2Amber}
	orgs := Orgs()
	uses := map[stix.ID]*observableUse{}
	var order []stix.ID // observables in the order first generated
	for i := range g.n {
		obs, err := g.observable()
		if err != nil {
			return err
		}
		u := uses[obs.sco.ID()]
		if u == nil {
			u = &observableUse{obs: obs}
			uses[obs.sco.ID()] = u
			order = append(order, obs.sco.ID())
		}
		name := fmt.Sprintf("indicator-%04d", i)
		c := g.common("indicator", name, markings[g.rnd.IntN(len(markings))])
		c.Labels = g.labels()
		c.Extra = map[string]any{"confidence": 50 + g.rnd.IntN(51)}
		if i%10 == 9 { // every tenth indicator is shared with one organization only
			org := orgs.Red
			if i%20 == 19 {
				org = orgs.Blue
			}
			c.Extra["x_opencti_granted_refs"] = []stix.ID{org}
		}
		ind, err := g.add(stix.NewIndicator(obs.name, obs.pattern, c.Created, c))
		if err != nil {
			return err
		}
		inds = append(inds, ind.ID())
		u.indicators = append(u.indicators, ind)
		fam := g.families[g.rnd.IntN(len(g.families))]
		rc := g.common("relationship", name+"/indicates", c.ObjectMarkingRefs[0])
		if _, err := g.add(stix.NewRelationship("indicates", ind.ID(), fam, rc)); err != nil {
			return err
		}
		bc := g.common("relationship", name+"/based-on", c.ObjectMarkingRefs[0])
		if _, err := g.add(stix.NewRelationship("based-on", ind.ID(), obs.sco.ID(), bc)); err != nil {
			return err
		}
	}
	for _, id := range order {
		o, err := protect(uses[id])
		if err != nil {
			return err
		}
		g.objs = append(g.objs, o)
	}
	return g.reportsAndSightings(inds)
}

func (g *gen) labels() []string {
	out := []string{labels[g.rnd.IntN(len(labels))]}
	if g.rnd.IntN(2) == 0 && out[0] != LabelDetection {
		out = append(out, LabelDetection)
	}
	return out
}

func (g *gen) reportsAndSightings(inds []stix.ID) error {
	for i := 0; i < len(inds); i += 25 {
		end := min(i+25, len(inds))
		refs := append([]stix.ID{g.sets[(i/25)%len(g.sets)]}, inds[i:end]...)
		name := fmt.Sprintf("Weekly intelligence summary %d", i/25+1)
		// Every other report is public, so that anonymous callers get containers too.
		marking := stix.TLP2Green
		if (i/25)%2 == 0 {
			marking = stix.TLP2Clear
		}
		c := g.common("report", name, marking)
		if _, err := g.add(stix.NewReport(name, c.Created.Add(time.Hour), refs, c)); err != nil {
			return err
		}
		sc := g.common("sighting", name, stix.TLP2Green)
		sc.Extra = map[string]any{"count": 1 + g.rnd.IntN(20)}
		if _, err := g.add(stix.NewSighting(inds[i], []stix.ID{g.authors[(i/25)%len(g.authors)]}, sc)); err != nil {
			return err
		}
	}
	return nil
}

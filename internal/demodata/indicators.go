package demodata

import (
	"fmt"
	"time"

	"github.com/ctifeed/ctifeed/stix"
)

// observable is one IoC: the SCO that holds it and the STIX pattern that detects it.
type observable struct {
	sco     *stix.Object
	pattern string
	name    string
}

func (g *gen) observable() (observable, error) {
	switch k := g.rnd.IntN(4); k {
	case 0:
		sha := g.hexOf(64)
		md5 := g.hexOf(32)
		o, err := stix.NewSCO("file", map[string]any{
			"hashes": map[string]any{"SHA-256": sha, "MD5": md5},
			"name":   fmt.Sprintf("%s_%d.exe", words[g.rnd.IntN(len(words))], g.rnd.IntN(1000)),
		})
		return observable{o, fmt.Sprintf("[file:hashes.'SHA-256' = '%s']", sha), sha}, err
	case 1:
		d := g.domain()
		o, err := stix.NewSCO("domain-name", map[string]any{"value": d})
		return observable{o, fmt.Sprintf("[domain-name:value = '%s']", d), d}, err
	case 2:
		ip := fmt.Sprintf("%d.%d.%d.%d", 45+g.rnd.IntN(150), g.rnd.IntN(256), g.rnd.IntN(256), 1+g.rnd.IntN(254))
		o, err := stix.NewSCO("ipv4-addr", map[string]any{"value": ip})
		return observable{o, fmt.Sprintf("[ipv4-addr:value = '%s']", ip), ip}, err
	default:
		u := fmt.Sprintf("https://%s/%s/%s.php", g.domain(), words[g.rnd.IntN(len(words))], words[g.rnd.IntN(len(words))])
		o, err := stix.NewSCO("url", map[string]any{"value": u})
		return observable{o, fmt.Sprintf("[url:value = '%s']", u), u}, err
	}
}

// indicators makes the indicators with their observables and relationships, then a few
// sightings and reports that tie them together.
func (g *gen) indicators() error {
	var inds []stix.ID
	markings := []stix.ID{stix.TLP2Clear, stix.TLP2Green, stix.TLP2Green, stix.TLP2Amber}
	orgs := Orgs()
	for i := range g.n {
		obs, err := g.observable()
		if err != nil {
			return err
		}
		g.objs = append(g.objs, obs.sco)
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
		c := g.common("report", name, stix.TLP2Green)
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

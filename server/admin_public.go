package server

import (
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/stix"
)

// publicProbes are one object per marking the public principal may see, each carrying
// only that marking: a principal who sees all of them sees everything the public
// principal does. A marking is allowed by a clearance only when listed in it or ranked
// within a family maximum, so the markings to probe are the known definitions (TLP and
// the configured ones) and the ids the public clearance lists; organizations need no
// probe, as the public principal belongs to none and sees only ungranted objects, which
// every principal sees.
func (s *Server) publicProbes() []*stix.Object {
	ids := map[stix.ID]bool{}
	for _, d := range access.TLPDefinitions() {
		ids[d.ID] = true
	}
	for _, m := range s.cfg.Access.Markings {
		ids[stix.ID(m.ID)] = true
	}
	pc := s.plan.public.Markings
	for _, id := range append(append([]stix.ID(nil), pc.Markings...), pc.Max...) {
		ids[id] = true
	}
	var probes []*stix.Object
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for id := range ids {
		o, err := stix.NewIndicator("probe", "[domain-name:value = 'probe.example']", at,
			stix.Common{Created: at, ObjectMarkingRefs: []stix.ID{id}})
		if err != nil {
			continue // an id the configuration accepted is a valid marking id
		}
		if s.plan.vis.CanSee(s.plan.public, o) {
			probes = append(probes, o)
		}
	}
	return probes
}

// coversPublic reports whether p sees at least what the public principal sees, so that
// making a stream public gives p, reading it anonymously, nothing beyond its clearance.
func (s *Server) coversPublic(p *access.Principal) bool {
	for _, o := range s.probes {
		if !s.plan.vis.CanSee(p, o) {
			return false
		}
	}
	return true
}

package demodata

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/google/uuid"
)

// Options size the demo data. The zero value gives the defaults.
type Options struct {
	// Seed makes a different but equally deterministic data set (default 1).
	Seed uint64
	// Indicators is how many indicators to make (default 300); every indicator comes with
	// one observable and one `indicates` relationship, so the set holds a little over
	// three times as many objects.
	Indicators int
	// Start is the creation time of the oldest object (default 2026-01-05T09:00:00Z);
	// objects are created one minute apart after it.
	Start time.Time
}

// Organizations are the demo organizations (identity ids) that objects are granted to
// through OpenCTI's granted_refs, for examples of organization segregation.
type Organizations struct {
	Red, Blue stix.ID
}

// Orgs returns the ids of the demo organizations; [Generate] includes their identities.
func Orgs() Organizations {
	return Organizations{Red: id("identity", "org-red"), Blue: id("identity", "org-blue")}
}

// LabelDetection is the label that the demo live stream and CSV feed select, as in the
// seed's scenario.
const LabelDetection = "detection"

var (
	authors  = []string{"Northwind CERT", "Contoso SOC", "Fabrikam Threat Research"}
	families = []string{"Emotet", "TrickBot", "QakBot", "IcedID", "AgentTesla", "Formbook",
		"RedLine", "Dridex", "Ursnif", "AsyncRAT", "Raccoon", "SmokeLoader"}
	sets   = []string{"Wizard Spider", "TA505", "Mummy Spider", "FIN7"}
	labels = []string{LabelDetection, "phishing", "c2", "loader", "stealer"}
	tlds   = []string{"com", "net", "org", "info", "xyz", "top"}
	words  = []string{"update", "secure", "login", "cdn", "files", "invoice", "account",
		"mail", "portal", "sync", "static", "api", "verify", "docs", "share"}
)

// namespace derives every demo id, so ids are stable across runs and machines.
var namespace = uuid.MustParse("6f0b8f6e-3f55-4b8e-9d0e-2a7c1d5e4b10")

func id(typ, name string) stix.ID {
	return stix.ID(typ + "--" + uuid.NewSHA1(namespace, []byte(typ+"/"+name)).String())
}

// Generate returns the demo objects in dependency order (each after everything it
// references), ready to be put into a store one by one.
func Generate(opts *Options) ([]*stix.Object, error) {
	g := newGen(opts)
	if err := g.build(); err != nil {
		return nil, err
	}
	return stix.Order(g.objs), nil
}

type gen struct {
	rnd      *rand.Rand
	next     time.Time
	n        int
	objs     []*stix.Object
	authors  []stix.ID
	families []stix.ID
	sets     []stix.ID
}

func newGen(opts *Options) *gen {
	o := Options{Seed: 1, Indicators: 300, Start: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)}
	if opts != nil {
		if opts.Seed != 0 {
			o.Seed = opts.Seed
		}
		if opts.Indicators > 0 {
			o.Indicators = opts.Indicators
		}
		if !opts.Start.IsZero() {
			o.Start = opts.Start.UTC()
		}
	}
	return &gen{rnd: rand.New(rand.NewPCG(o.Seed, 0x5eed)), next: o.Start, n: o.Indicators}
}

// tick returns the next creation time: objects are one minute apart.
func (g *gen) tick() time.Time {
	t := g.next
	g.next = g.next.Add(time.Minute)
	return t
}

func (g *gen) add(o *stix.Object, err error) (*stix.Object, error) {
	if err != nil {
		return nil, err
	}
	g.objs = append(g.objs, o)
	return o, nil
}

func (g *gen) build() error {
	steps := []func() error{g.identities, g.malware, g.intrusionSets, g.indicators}
	for _, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("demodata: %w", err)
		}
	}
	return nil
}

func (g *gen) identities() error {
	g.objs = append(g.objs, stix.TLPMarkings()[4:]...) // the TLP 2.0 definitions
	orgs := Orgs()
	for _, o := range []struct {
		id   stix.ID
		name string
	}{{orgs.Red, "Red Organization"}, {orgs.Blue, "Blue Organization"}} {
		if _, err := g.add(stix.NewIdentity(o.name, "organization", stix.Common{ID: o.id, Created: g.tick()})); err != nil {
			return err
		}
	}
	for _, name := range authors {
		o, err := g.add(stix.NewIdentity(name, "organization", stix.Common{ID: id("identity", name), Created: g.tick()}))
		if err != nil {
			return err
		}
		g.authors = append(g.authors, o.ID())
	}
	return nil
}

func (g *gen) malware() error {
	for _, name := range families {
		o, err := g.add(stix.NewMalware(name, true, g.common("malware", name, stix.TLP2Clear)))
		if err != nil {
			return err
		}
		g.families = append(g.families, o.ID())
	}
	return nil
}

func (g *gen) intrusionSets() error {
	for i, name := range sets {
		o, err := g.add(stix.New("intrusion-set", map[string]any{"name": name}, g.common("intrusion-set", name, stix.TLP2Green)))
		if err != nil {
			return err
		}
		g.sets = append(g.sets, o.ID())
		// Each set uses two families; relationships get the set's marking.
		for _, f := range []stix.ID{g.families[(2*i)%len(g.families)], g.families[(2*i+1)%len(g.families)]} {
			c := g.common("relationship", name+"/uses/"+string(f), stix.TLP2Green)
			if _, err := g.add(stix.NewRelationship("uses", o.ID(), f, c)); err != nil {
				return err
			}
		}
	}
	return nil
}

// common is the usual author, marking and time for a named object.
func (g *gen) common(typ, name string, marking stix.ID) stix.Common {
	return stix.Common{
		ID:                id(typ, name),
		Created:           g.tick(),
		CreatedByRef:      g.authors[g.rnd.IntN(len(g.authors))],
		ObjectMarkingRefs: []stix.ID{marking},
	}
}

// hexOf is a deterministic fake hash of the given length in hex digits.
func (g *gen) hexOf(digits int) string {
	var b [8]byte
	for i := range b {
		b[i] = byte(g.rnd.Uint32())
	}
	sum := sha256.Sum256(b[:])
	return hex.EncodeToString(sum[:])[:digits]
}

func (g *gen) domain() string {
	return fmt.Sprintf("%s-%s%d.%s", words[g.rnd.IntN(len(words))], words[g.rnd.IntN(len(words))],
		g.rnd.IntN(100), tlds[g.rnd.IntN(len(tlds))])
}

package stream

import (
	"strconv"
	"strings"
)

// String returns a one-line human-readable form of m, used in logs and golden files:
//
//	create  dep  marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da "TLP:GREEN"
//	create       indicator--… "Emotet C2"
//	delete  dep  relationship--… indicates
//	merge        malware--… "Emotet" <- malware--…, malware--…
//
// An object is labelled by its name, a relationship by its type, a sighting by what it
// sights. Patches are not shown.
func (m Message) String() string {
	var b strings.Builder
	b.WriteString(string(m.Type))
	for i := len(m.Type); i < 8; i++ {
		b.WriteByte(' ')
	}
	if m.Dependency {
		b.WriteString("dep  ")
	} else {
		b.WriteString("     ")
	}
	if m.Object == nil {
		b.WriteString("<nil>")
		return b.String()
	}
	o := m.Object
	b.WriteString(string(o.ID()))
	switch {
	case o.Type() == "relationship":
		b.WriteString(" " + o.Get("relationship_type").String())
	case o.Type() == "sighting":
		b.WriteString(" of " + o.Get("sighting_of_ref").String())
	case o.Get("name").Exists():
		b.WriteString(" " + strconv.Quote(o.Get("name").String()))
	}
	if len(m.Sources) > 0 {
		b.WriteString(" <- ")
		for i, src := range m.Sources {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(string(src.ID()))
		}
	}
	return b.String()
}

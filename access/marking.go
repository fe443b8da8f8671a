package access

import "github.com/ctifeed/ctifeed/stix"

// FamilyTLP is the family of the built-in TLP marking definitions.
const FamilyTLP = "TLP"

// MarkingDefinition describes a marking definition to a [Visibility]: which family it
// belongs to and its rank in that family, so that a principal's [Clearance] can say "up to
// this level". Higher ranks are more restrictive.
type MarkingDefinition struct {
	// ID is the marking definition's STIX id.
	ID stix.ID
	// Name is for people (e.g. "PAP:GREEN"); the Visibility does not use it.
	Name string
	// Family groups comparable markings (e.g. "PAP"). Empty means a standalone marking,
	// such as a statement, that only an explicit [Clearance.Markings] entry allows.
	Family string
	// Rank orders the markings of a family; CLEAR/WHITE is 0 in the TLP family.
	Rank int
}

// TLPDefinitions returns the built-in definitions every [Visibility] knows. TLP 1.0 and 2.0
// form one family, [FamilyTLP], because they describe the same sharing levels: a clearance
// up to TLP:AMBER of either version allows AMBER of both. The ranks are CLEAR = WHITE 0,
// GREEN 1, AMBER 2, AMBER+STRICT 3 (TLP 2.0 only) and RED 4.
func TLPDefinitions() []MarkingDefinition {
	return []MarkingDefinition{
		{ID: stix.TLPWhite, Name: "TLP:WHITE", Family: FamilyTLP, Rank: 0},
		{ID: stix.TLPGreen, Name: "TLP:GREEN", Family: FamilyTLP, Rank: 1},
		{ID: stix.TLPAmber, Name: "TLP:AMBER", Family: FamilyTLP, Rank: 2},
		{ID: stix.TLPRed, Name: "TLP:RED", Family: FamilyTLP, Rank: 4},
		{ID: stix.TLP2Clear, Name: "TLP:CLEAR", Family: FamilyTLP, Rank: 0},
		{ID: stix.TLP2Green, Name: "TLP:GREEN", Family: FamilyTLP, Rank: 1},
		{ID: stix.TLP2Amber, Name: "TLP:AMBER", Family: FamilyTLP, Rank: 2},
		{ID: stix.TLP2AmberStrict, Name: "TLP:AMBER+STRICT", Family: FamilyTLP, Rank: 3},
		{ID: stix.TLP2Red, Name: "TLP:RED", Family: FamilyTLP, Rank: 4},
	}
}

// Package seedscenario is the seed's live-stream scenario as reusable data: the stream's
// filters, the objects, and the table's five steps, with fixed ids and times so that every
// replay gives byte-identical output. The stream engine's golden tests, the HTTP layer's
// end-to-end test and the scenario example all replay it.
//
// The scenario (seeds/000, "Live streams"): a stream with filters
// `entity_type = Indicator AND objectLabel = detection`, and an indicator marked TLP:GREEN,
// authored by the identity "CrowdStrike", with an `indicates` relationship to the malware
// "Emotet". [Setup] stores the marking, the author and the malware; then the [Steps]:
//
//  1. Create an indicator: the indicator (without the label), then its relationship
//     `indicates` Emotet, as the platform does when an indicator is created with a relation.
//  2. Add the label detection.
//  3. Remove the label detection.
//  4. Add the label detection.
//  5. Delete the indicator (only the indicator: the relationship stays, dangling, so that
//     the stream alone decides to delete it).
//
// It is a test fixture kept beside the store's conformance kit: the package imports only
// stix, store and filter, so the store's own tests (store/storefilter), the stream package's
// tests and the scenario example can all use it without an import pointing up. It therefore
// gives the stream definition's parts rather than a stream.Definition:
//
//	f := seedscenario.Filters()
//	def := stream.Definition{ID: seedscenario.StreamID, Name: seedscenario.StreamName, Filters: &f, Live: true}
//
// Each step happens at its own time, one minute apart ([Step.At]), all within the live
// stream's 5-minute cache lifetime; a replay should drive the store's and the subscriber's
// clocks with it.
package seedscenario

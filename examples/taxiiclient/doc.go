// Command taxiiclient reads a TAXII 2.1 server with the SDK's client: discovery, API roots,
// collections, every object of one collection across pages, the objects those reference
// but the collection's pages did not carry, and, with -add, a POST polled to completion.
//
//	go run ./examples/feedserver &
//	go run ./examples/taxiiclient -collection indicators -add
package main

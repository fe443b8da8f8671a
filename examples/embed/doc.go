// Command embed is the README's embedding example, whole: a Go service that serves its own
// STIX objects as a live stream, a TAXII 2.1 collection and a CSV feed, behind its own
// authentication. Run it with `go run ./examples/embed`, then, for instance:
//
//	curl -sN -H 'Authorization: Bearer s3cret' 'localhost:8081/stream/detections?from=0'
package main

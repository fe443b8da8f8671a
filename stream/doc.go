// Package stream implements OpenCTI-style live streams: for every change in the store's log,
// the create, update, merge and delete messages each subscriber receives, with dependency
// resolution, data segregation and a per-subscriber cache of what was sent; and the
// Server-Sent Events handler and Go consumer that carry them.
package stream

// Command scenario replays the seed's live-stream table (seeds/000, "Live streams") on the
// in-memory store and prints, for each step, the table's expected result and the messages
// the stream engine produced, for both settings of "avoid dependencies resolution"; then
// shows that a subscriber replaying the whole log from 0 afterwards receives the same
// messages (each event is decided as of its position in the log).
//
//	go run ./examples/scenario
package main

// Command streamclient follows a live stream with the SDK's Go consumer: it prints each
// message as it arrives and mirrors the stream into a local in-memory store, resuming
// losslessly after disconnections (Last-Event-ID).
//
//	go run ./examples/feedserver -simulate 2s &
//	go run ./examples/streamclient -from 0
package main

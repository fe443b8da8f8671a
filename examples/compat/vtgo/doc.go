// Command vtgo runs VirusTotal's Go client (vt-go) against a ctifeed feed server's IoC stream:
// a filtered iteration, every notification in pages of 10, and an error object.
//
//	go run . http://127.0.0.1:8080
package main

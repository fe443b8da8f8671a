// Package sharedtest locates the project's shared test material (../shared beside the module:
// the official STIX schemas and real STIX data) for tests and benchmarks.
package sharedtest

// Package iocstreamtest checks an [iocstream.Store] implementation against every
// obligation the Store contract states. A host runs it from a test:
//
//	func TestStore(t *testing.T) {
//		iocstreamtest.Run(t, func(t *testing.T, opts *iocstream.StoreOptions) iocstream.Store {
//			return mystore.New(t, opts)
//		})
//	}
//
// Each obligation is a subtest on a fresh store, driven through the package's
// user-facing functions ([iocstream.List], [iocstream.All]) as well as the interface.
// Expected results are computed from a model of the stored notifications with
// [iocstream.Query.Match], never from the store under test.
package iocstreamtest

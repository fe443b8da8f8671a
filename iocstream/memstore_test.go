package iocstream_test

import (
	"testing"

	"github.com/ctifeed/ctifeed/iocstream"
	"github.com/ctifeed/ctifeed/iocstream/iocstreamtest"
)

func TestMemStoreConformance(t *testing.T) {
	iocstreamtest.Run(t, func(t *testing.T, opts *iocstream.StoreOptions) iocstream.Store {
		return iocstream.NewMemStore(opts)
	})
}

package pgstore_test

import (
	"testing"

	"github.com/ctifeed/ctifeed/iocstream"
	"github.com/ctifeed/ctifeed/iocstream/iocstreamtest"
)

func TestIoCConformance(t *testing.T) {
	iocstreamtest.Run(t, func(t *testing.T, opts *iocstream.StoreOptions) iocstream.Store {
		s, _ := open(t, nil)
		return s.IoC("test", opts)
	})
}

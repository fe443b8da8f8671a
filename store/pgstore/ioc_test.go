package pgstore_test

import (
	"errors"
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

func isNotFound(err error) bool { return errors.Is(err, iocstream.ErrNotFound) }

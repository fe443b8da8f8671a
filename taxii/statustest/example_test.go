package statustest_test

import (
	"testing"

	"github.com/ctifeed/ctifeed/taxii"
	"github.com/ctifeed/ctifeed/taxii/statustest"
)

// The in-memory store passes the suite; a host's store is checked the same way.
func TestMemStatusStore(t *testing.T) {
	statustest.Run(t, func(t *testing.T) taxii.StatusStore {
		return taxii.NewMemStatusStore(nil)
	})
}

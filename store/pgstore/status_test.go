package pgstore_test

import (
	"testing"

	"github.com/ctifeed/ctifeed/taxii"
	"github.com/ctifeed/ctifeed/taxii/statustest"
)

func TestStatusConformance(t *testing.T) {
	statustest.Run(t, func(t *testing.T) taxii.StatusStore {
		s, _ := open(t, nil)
		return s.Statuses()
	})
}

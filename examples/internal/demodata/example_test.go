package demodata_test

import (
	"fmt"

	"github.com/ctifeed/ctifeed/examples/internal/demodata"
)

// Generate makes the same objects on every run: count them by type.
func ExampleGenerate() {
	objs, err := demodata.Generate(&demodata.Options{Indicators: 50})
	if err != nil {
		panic(err)
	}
	count := map[string]int{}
	for _, o := range objs {
		count[o.Type()]++
	}
	fmt.Println(len(objs), "objects:", count["indicator"], "indicators,", count["relationship"], "relationships,", count["report"], "reports")
	// Output: 238 objects: 50 indicators, 108 relationships, 2 reports
}

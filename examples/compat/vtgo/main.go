package main

import (
	"fmt"
	"log"
	"os"

	vt "github.com/VirusTotal/vt-go"
)

func main() {
	vt.SetHost(os.Args[1])
	c := vt.NewClient("demo-analyst-token")
	it, err := c.Iterator(vt.URL("ioc_stream"), vt.IteratorFilter("entity_type:file"), vt.IteratorLimit(40))
	if err != nil {
		log.Fatal(err)
	}
	defer it.Close()
	n, types := 0, map[string]int{}
	var first string
	for it.Next() {
		o := it.Get()
		if first == "" {
			first = o.ID()
		}
		types[o.Type()]++
		n++
	}
	if err := it.Error(); err != nil {
		log.Fatal("iterating: ", err)
	}
	fmt.Println("vt-go iterated", n, "notifications:", types, "cursor", it.Cursor() != "")
	// All notifications, every page (10 per page), following the links vt-go follows.
	it2, err := c.Iterator(vt.URL("ioc_stream"), vt.IteratorBatchSize(10))
	if err != nil {
		log.Fatal(err)
	}
	total := 0
	for it2.Next() {
		total++
	}
	if err := it2.Error(); err != nil {
		log.Fatal("iterating all: ", err)
	}
	fmt.Println("vt-go iterated all:", total, "notifications in pages of 10")
	// An error object: a bad filter must come back as a vt.Error.
	it3, err := c.Iterator(vt.URL("ioc_stream"), vt.IteratorFilter("nosuchkey:x"))
	if err == nil {
		for it3.Next() {
		}
		err = it3.Error()
	}
	fmt.Printf("bad filter -> %T %v\n", err, err)
}

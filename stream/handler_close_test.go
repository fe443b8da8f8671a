package stream

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/stix"
)

// Issue 23, "also examine": Close must not wait for the write timeout on a consumer that
// stopped reading (its writes are blocked on a full TCP window). Close bounds the writes of
// every connection to closeGrace, so it returns well before the one-minute write timeout
// configured here.
func TestHandlerCloseDoesNotWaitForAConsumerThatStoppedReading(t *testing.T) {
	e := newEnv(t, envOptions{writeTimeout: time.Minute}, publicDef("s"))
	big := strings.Repeat("x", 256<<10)
	for i := range 80 { // about 20 MB of frames: far more than the socket buffers hold
		o, err := stix.Parse([]byte(fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-%012d",`+
			`"created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","name":"ind-%d","description":%q,`+
			`"pattern":"[ipv4-addr:value = '10.0.0.1']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00.000Z"}`, i+1, i+1, big)))
		if err != nil {
			t.Fatal(err)
		}
		mustPut(t, e.store, o)
	}
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /stream/s?from=0 HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReaderSize(conn, 1024), nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("%v %v", resp, err)
	}
	// The consumer reads nothing more. Wait until the handler is blocked writing.
	time.Sleep(300 * time.Millisecond)
	done := make(chan struct{})
	start := time.Now()
	go func() { e.h.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Close still waits after 20 s on a consumer that stopped reading (write timeout: 1 minute)")
	}
	if e.h.active.Load() != 0 {
		t.Errorf("%d connections still open after Close", e.h.active.Load())
	}
	t.Logf("Close returned after %v", time.Since(start).Round(time.Millisecond))
}

package server

import (
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// capListener caps open connections: one over the cap is answered 503 with Retry-After
// and closed, so a client learns to come back rather than waiting in a backlog. It sits
// above TLS, so that the answer is readable over HTTPS too (the write does the handshake).
type capListener struct {
	net.Listener
	max        int64
	open       atomic.Int64
	retryAfter time.Duration
	onReject   func()
}

func (l *capListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.open.Add(1) > l.max {
			l.open.Add(-1)
			if l.onReject != nil {
				l.onReject()
			}
			go reject(c, l.retryAfter)
			continue
		}
		return &countedConn{Conn: c, l: l}, nil
	}
}

// reject answers a connection over the cap and closes it, within a short deadline.
func reject(c net.Conn, retryAfter time.Duration) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	body := "too many connections; retry later\n"
	fmt.Fprintf(c, "HTTP/1.1 503 Service Unavailable\r\nRetry-After: %d\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		retrySeconds(retryAfter), len(body), body)
}

func retrySeconds(d time.Duration) int {
	s := int((d + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return s
}

type countedConn struct {
	net.Conn
	l    *capListener
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.l.open.Add(-1) })
	return c.Conn.Close()
}

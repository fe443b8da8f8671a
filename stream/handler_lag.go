package stream

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrTooFarBehind is wrapped by the error a connection ends with ([EndData.Err]) when the
// Handler cut it for falling too far behind the log ([HandlerOptions.MaxLag]).
var ErrTooFarBehind = errors.New("stream: the consumer fell too far behind the log")

// checkLag cuts the connection when it has fallen too far behind: see HandlerOptions.MaxLag.
// It is called at every check (heartbeat interval), at a group boundary, so that the
// consumer's last frame id is the resume point and a reconnection loses and repeats
// nothing.
func (c *conn) checkLag(ctx context.Context) error {
	if c.h.maxLag <= 0 {
		return nil
	}
	// The lag is in log time: from the last event sent to the log's last event. A replay
	// of a log written long ago is not behind a log that stands still: its lag shrinks.
	var lag time.Duration
	if c.behind {
		b, err := c.h.src.Bounds(ctx)
		if err != nil {
			return nil // not knowing is no reason to cut; the next check tries again
		}
		lag = b.Last.Time().Sub(c.pos.Time())
	}
	prev := c.lag
	c.lag = lag
	if lag <= c.h.maxLag || prev <= c.h.maxLag || lag <= prev {
		return nil
	}
	reason := fmt.Sprintf("ctifeed: closing: this consumer is %s behind the log and falling further behind (the server allows %s); "+
		"reconnect with Last-Event-ID %s to resume where it stopped", lag.Round(time.Millisecond), c.h.maxLag, wirePos(c.pos))
	// A comment line: every compliant SSE parser ignores it, and a person reading the raw
	// stream sees why it ended.
	c.deadline()
	if err := c.w.WriteComment(reason); err == nil {
		_ = c.flush()
	}
	c.h.log.Warn("stream: consumer cut for falling behind", "stream", c.id, "lag", lag, "max_lag", c.h.maxLag, "pos", wirePos(c.pos))
	return fmt.Errorf("%w: %s behind, growing (max %s)", ErrTooFarBehind, lag.Round(time.Millisecond), c.h.maxLag)
}

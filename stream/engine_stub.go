package stream

// TEMPORARY: replaced by the engine (issue #6). Exists only so the contract in api.go compiles.

import (
	"context"
	"errors"
	"time"

	"github.com/ctifeed/ctifeed/store"
)

var errUnimplemented = errors.New("stream: engine not implemented yet")

type engineState struct{}

func newSubscriber(store.Reader, Definition, SubscriberOptions) (*Subscriber, error) {
	return nil, errUnimplemented
}
func (s *Subscriber) process(context.Context, store.Event) ([]Message, error) {
	return nil, errUnimplemented
}
func (s *Subscriber) recover(context.Context, store.Scanner, time.Time, time.Time, store.Position) ([]Message, error) {
	return nil, errUnimplemented
}
func (s *Subscriber) setDefinition(Definition) error { return errUnimplemented }

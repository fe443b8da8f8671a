package memstore

import "slices"

// queue is a FIFO on a slice that drops from the front without giving its array up: when
// the array is full and at least half of it is dropped head, the live items move down
// instead of a new array being allocated and copied. A long-lived queue (a hot id's
// history, the expiry list) then costs amortized O(1) per item and no garbage per turn.
type queue[T any] struct {
	buf  []T
	head int // buf[:head] is dropped (and cleared)
}

func (q *queue[T]) items() []T { return q.buf[q.head:] }

func (q *queue[T]) len() int { return len(q.buf) - q.head }

func (q *queue[T]) push(v T) {
	if len(q.buf) == cap(q.buf) && q.head > 0 && q.head >= len(q.buf)/2 {
		n := copy(q.buf, q.buf[q.head:])
		clear(q.buf[n:])
		q.buf, q.head = q.buf[:n], 0
	}
	q.buf = append(q.buf, v)
}

// drop removes the first n items. A queue that shrank to a quarter of a large array moves
// to a smaller one, so a burst does not pin its memory.
func (q *queue[T]) drop(n int) {
	clear(q.buf[q.head : q.head+n])
	q.head += n
	switch {
	case cap(q.buf) > 64 && 4*q.len() < cap(q.buf):
		q.buf, q.head = slices.Clone(q.items()), 0
	case q.head == len(q.buf):
		q.buf, q.head = q.buf[:0], 0
	}
}

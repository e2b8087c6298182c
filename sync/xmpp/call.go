package xmpp

import (
	"context"
	"encoding/xml"
	"sync"
	"time"
)

// call returns the context to hand to mellium for one call that may write
// to the stream, and done, to run when that call has returned.
//
// mellium watches a writing call's context from a goroutine of its own
// and, when the context is done, moves the connection's write deadline
// into the past. When that goroutine first runs only after the call has
// returned and the caller has cancelled its context (the usual defer
// cancel()), it picks at random between "call over" and "context done",
// and in the second case breaks whatever write another call has under way
// at that moment. A TLS connection keeps a write error, so every later
// write fails too ("write tcp …: i/o timeout", seen in CI when a member
// sends many room messages quickly on a loaded machine).
//
// The context given to mellium carries ctx's values, deadline and error,
// and is cancelled when ctx is done while the call is still running, never
// after done.
func call(ctx context.Context) (context.Context, func()) {
	inner, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var mu sync.Mutex
	returned := false
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		if !returned {
			cancel()
		}
	})
	return callContext{inner, ctx}, func() {
		mu.Lock()
		returned = true
		mu.Unlock()
		stop()
	}
}

// write sends the first element r reads.
func (s *Session) write(ctx context.Context, r xml.TokenReader) error {
	mctx, done := call(ctx)
	defer done()
	return s.xs.Send(mctx, r)
}

// callContext is call's context: done only as call says, otherwise
// reporting the caller's deadline and error, so that a caller still tells
// a timeout from a cancellation.
type callContext struct {
	context.Context
	outer context.Context
}

func (c callContext) Deadline() (time.Time, bool) { return c.outer.Deadline() }

func (c callContext) Err() error {
	if c.Context.Err() == nil {
		return nil
	}
	if err := c.outer.Err(); err != nil {
		return err
	}
	return c.Context.Err()
}

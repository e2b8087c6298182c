package xmpp

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestCallContext(t *testing.T) {
	tests := []struct {
		name       string
		endFirst   bool // the call returns before the caller's context ends
		wantDone   bool
		wantErr    error
		cancelOnly bool // the caller cancels instead of timing out
	}{
		{name: "call returns, then the caller cancels", endFirst: true, cancelOnly: true},
		{name: "call returns, then the caller's deadline passes", endFirst: true},
		{name: "caller's deadline passes during the call", wantDone: true, wantErr: context.DeadlineExceeded},
		{name: "caller cancels during the call", cancelOnly: true, wantDone: true, wantErr: context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var outer context.Context
			var cancel context.CancelFunc
			if tt.cancelOnly {
				outer, cancel = context.WithCancel(context.Background())
			} else {
				outer, cancel = context.WithTimeout(context.Background(), 10*time.Millisecond)
			}
			defer cancel()
			inner, done := call(outer)
			if _, ok := inner.Deadline(); ok == tt.cancelOnly {
				t.Errorf("inner deadline set = %v, want %v", ok, !tt.cancelOnly)
			}
			if tt.endFirst {
				done()
			}
			if tt.cancelOnly {
				cancel()
			}
			<-outer.Done()
			time.Sleep(20 * time.Millisecond) // let AfterFunc run, if it would
			select {
			case <-inner.Done():
				if !tt.wantDone {
					t.Fatal("the call's context ended after the call returned")
				}
				if !errors.Is(inner.Err(), tt.wantErr) {
					t.Errorf("Err = %v, want %v", inner.Err(), tt.wantErr)
				}
			default:
				if tt.wantDone {
					t.Fatal("the call's context did not end with the caller's")
				}
				if inner.Err() != nil {
					t.Errorf("Err = %v before the end", inner.Err())
				}
			}
			done()
		})
	}
}

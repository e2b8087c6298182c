package netsync

import (
	"context"

	"github.com/medihaven/medihaven/sync/xmpp"
)

// Chat is the staff chat, which rides on the sync's XMPP session (issue 8;
// app's chat implements it). The syncer calls it from its own goroutines,
// each call naming the syncer it comes from; ctx ends when that syncer
// stops.
type Chat interface {
	// Started says that y carries the chat from now on; it is called
	// before y connects.
	Started(ctx context.Context, y *Syncer)
	// Stopped says that y carries the chat no more; it is called once y's
	// goroutines have ended.
	Stopped(y *Syncer)
	// Connected runs after each (re)connection of y to the XMPP server, on
	// a goroutine of its own while the sync goes on: join the clinic's
	// room, send what waits, read what the server archived.
	Connected(ctx context.Context, y *Syncer, xs *xmpp.Session)
	// Message handles a message heard outside the sync room: a colleague's
	// direct message, or one of a room the chat joined.
	Message(ctx context.Context, y *Syncer, m xmpp.Message)
	// Presence handles an occupant's presence in a room, the sync room's
	// too (a workstation appearing there has an account now).
	Presence(ctx context.Context, y *Syncer, p xmpp.Presence)
}

// XMPP returns the sync's XMPP session while it is connected, else nil.
func (y *Syncer) XMPP() *xmpp.Session {
	y.mu.Lock()
	defer y.mu.Unlock()
	return y.xs
}

// Domain is the clinic's XMPP domain: a workstation's account is
// DEVICE@DOMAIN, the rooms are on rooms.DOMAIN.
func (y *Syncer) Domain() string { return y.cfg.Domain }

// Room is the sync room's address (sync@rooms.DOMAIN).
func (y *Syncer) Room() string { return y.room() }

// NoteError shows err as the sync's last error (Status.LastError): the
// chat's trouble shows in the status bar too.
func (y *Syncer) NoteError(err error) {
	y.update(func(st *Status) { st.LastError = err.Error() })
}

// presence hands room presence to the chat.
func (y *Syncer) presence(p xmpp.Presence) {
	if y.chat != nil {
		y.chat.Presence(y.ctx, y, p)
	}
}

package chat

import (
	"context"
	"fmt"
	"sync"
	"time"

	"fyne.io/fyne/v2"

	appchat "github.com/medihaven/medihaven/app/chat"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/ui/kit"
)

// WatchEnv is what a Watch needs of the shell around it. Every function is
// called on the UI goroutine except Background's argument.
type WatchEnv struct {
	// Focused reports whether the window has the input focus.
	Focused func() bool
	// Showing reports whether the Chat screen is on show.
	Showing func() bool
	// Badge shows the number of unread messages next to "Chat".
	Badge func(unread int)
	// Notify sends a desktop notification (the app's SendNotification).
	Notify func(*fyne.Notification)
	// Background runs work that waits on the disk off the UI goroutine.
	Background func(func())
	// Now is the clock (time.Now).
	Now func() time.Time
}

// watcher follows a session's chat for as long as the staff member is
// logged in, whatever screen is on show.
type watcher struct {
	c   Chat
	env WatchEnv

	started time.Time
	mu      sync.Mutex
	busy    bool              // a refresh is under way
	again   bool              // another change came meanwhile: refresh once more
	last    map[string]string // conversation → id of the newest message seen
	stopped bool
}

// Watch keeps the count of unread messages up to date for the shell's
// navigation and sends a desktop notification for each new message from
// someone else while the window is not focused or the Chat screen is not
// on show. A notification names the sender and says "New message" (with
// the patient's MRN when the message refers to one): never the text, which
// may name a patient, since notifications show on the desktop and may be
// kept by the system. Presence and messages keep arriving in the app
// whatever is on show; Watch only reads them. It returns its stop.
func Watch(c Chat, env WatchEnv) (stop func()) {
	if env.Notify == nil {
		env.Notify = fyne.CurrentApp().SendNotification
	}
	if env.Background == nil {
		env.Background = func(f func()) { go f() }
	}
	if env.Now == nil {
		env.Now = time.Now
	}
	w := &watcher{c: c, env: env, started: env.Now(), last: map[string]string{}}
	w.refresh(true)
	stopFeed := kit.OnChanges(c, func() { w.refresh(false) }, appchat.Kind)()
	return func() {
		stopFeed()
		w.mu.Lock()
		w.stopped = true
		w.mu.Unlock()
	}
}

// refresh reads the conversations off the UI goroutine, then updates the
// badge and notifies on it. Changes that come while a refresh runs make
// one more refresh, not one each: a catch-up from the archive may bring
// hundreds of messages at once.
func (w *watcher) refresh(first bool) {
	w.mu.Lock()
	if w.busy {
		w.again = true
		w.mu.Unlock()
		return
	}
	w.busy = true
	w.mu.Unlock()
	w.env.Background(func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		convs, err := w.c.Conversations(ctx)
		cancel()
		kit.OnUI(func() {
			w.mu.Lock()
			stopped, again := w.stopped, w.again
			w.busy, w.again = false, false
			w.mu.Unlock()
			if stopped {
				return
			}
			if err == nil { // locked, or the disk failed: keep what is shown
				w.show(convs, first)
			}
			if again {
				w.refresh(false)
			}
		})
	})
}

// show updates the badge and notifies of the conversations whose newest
// message is new since the last look.
func (w *watcher) show(convs []appchat.Conversation, first bool) {
	unread := 0
	var fresh []appchat.Conversation
	for _, c := range convs {
		unread += c.Unread
		if c.Last == nil {
			continue
		}
		before, seen := w.last[c.ID]
		w.last[c.ID] = c.Last.ID
		// Only messages that arrived while the watch runs: not those
		// there at login, nor old ones read back from the server's archive.
		if first || (seen && before == c.Last.ID) || c.Last.Mine || c.Unread == 0 ||
			c.Last.At.Before(w.started.Add(-time.Minute)) {
			continue
		}
		fresh = append(fresh, c)
	}
	w.env.Badge(unread)
	if len(fresh) == 0 || (w.env.Focused() && w.env.Showing()) {
		return
	}
	if len(fresh) > 3 { // many at once: one notification, not a flood
		w.env.Notify(fyne.NewNotification("Medihaven", fmt.Sprintf("%d new messages in %d conversations", unread, len(fresh))))
		return
	}
	for _, c := range fresh {
		w.env.Notify(Notice(c))
	}
}

// Notice is the desktop notification of a conversation's newest message:
// who wrote and where, never what nor about whom.
func Notice(c appchat.Conversation) *fyne.Notification {
	m := c.Last
	title := "Medihaven — " + roles.VisibleName(m.FromName) // as the panel names the sender
	if c.ID == appchat.Room {
		title += " in the clinic room"
	}
	body := "New message"
	if !m.Verified {
		body = "New unverified message"
	}
	// Which patient is read in the Chat screen: the notification daemon
	// shows the body on the lock screen and may keep it in a history
	// file in clear, so it names no MRN (session 25, h-rev25b).
	if m.MRN != "" {
		body += " about a patient"
	}
	if !m.Verified {
		body += ": its sender could not be checked"
	}
	if c.Unread > 1 {
		body += fmt.Sprintf(" (%d unread)", c.Unread)
	}
	return fyne.NewNotification(title, body)
}

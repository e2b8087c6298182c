package chat

// Session 26 review h-sec26 (/work/notes/sec26-s26.md), item 2: a live
// message's time.

import (
	"slices"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app/apptest"
)

// TestAttackS26bLiveDelayBackdates (LOW): a live one-to-one message
// carries a delay in the server's name only when the server kept it while
// this workstation was off (Prosody's offline storage), and the
// workstation ordered the conversation by it. A client may write such a
// delay itself: the clinic's Prosody removes it (mod_medihaven_admins),
// a server the clinic configured itself passes it on, and the xmpp
// session, which cannot tell, hands it over as the server's word. So a
// colleague (or any account) dated her message back to 2001: it showed
// first in the conversation, under colleagues' messages written before
// it, at a time that never was, and never as unread. A live message is
// now timed by its arrival here, an archived one by the archive's stamp
// (bounded by now); an offline one is live (it shows the sender's signed
// time beside its arrival, as any message far from it).
func TestAttackS26bLiveDelayBackdates(t *testing.T) {
	c := apptest.NewClinic(t)
	recep, phys := newOrderEnds(t, c)
	t0 := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	c.Clock.Set(t0)
	phys.receive(t, recep.write(t, phys, "A: Mrs Gallimaufry is here"))
	c.Clock.Set(t0.Add(time.Minute))
	phys.receive(t, recep.write(t, phys, "B: and Mr Pemberton"))
	c.Clock.Set(t0.Add(2 * time.Minute))
	m := recep.write(t, phys, "C: written last, dated back")
	m.Delay = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC) // as the session reads a delay "from" the server
	phys.receive(t, m)

	want := []string{"A: Mrs Gallimaufry is here", "B: and Mr Pemberton", "C: written last, dated back"}
	if shown, last := phys.texts(t, recep); !slices.Equal(shown, want) || last != want[2] {
		t.Errorf("the physician's conversation shows %q, last %q; want %q", shown, last, want)
	}
	h, err := phys.chat.History(t.Context(), recep.r.Fingerprint())
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range h {
		if msg.At.Year() < 2026 {
			t.Errorf("%q shows as received at %s", msg.Text, msg.At)
		}
	}
}

// TestChatArchivedBelowTheReadMarkIsUnread (h-sec26, MEDIUM, reliability):
// the receptionist writes while the physician's workstation is cut off
// from the server; meanwhile the physician writes to her (queued) and so
// reads the conversation. Back online, the receptionist's message comes
// from the archive, stamped before what was read: it was shown above the
// physician's, already read, and nothing told her of it. A message kept
// after its conversation was read past its time is timed by its arrival,
// last, and unread.
func TestChatArchivedBelowTheReadMarkIsUnread(t *testing.T) {
	c := apptest.NewClinic(t)
	recep, phys := newOrderEnds(t, c)
	t0 := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	c.Clock.Set(t0)
	m := recep.write(t, phys, "A: Mrs Gallimaufry is here")
	c.Clock.Set(t0.Add(time.Minute))
	phys.write(t, recep, "B: I am on my way")
	if err := phys.chat.MarkRead(t.Context(), recep.r.Fingerprint()); err != nil {
		t.Fatal(err)
	}
	c.Clock.Set(t0.Add(5 * time.Minute)) // back online: the archive gives A back
	m.Archived, m.Delay, m.StanzaID = true, t0.Add(time.Second), "a1"
	phys.receive(t, m)

	h, err := phys.chat.History(t.Context(), recep.r.Fingerprint())
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 2 || h[1].Text != "A: Mrs Gallimaufry is here" || !h[1].Unread {
		t.Errorf("the physician's conversation: %+v; want A last and unread", h)
	}
	cs, err := phys.chat.Conversations(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, cv := range cs {
		if cv.ID == recep.r.Fingerprint() && cv.Unread != 1 {
			t.Errorf("the conversation counts %d unread, want 1", cv.Unread)
		}
	}
}

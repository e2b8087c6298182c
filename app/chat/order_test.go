package chat

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/xmpp"
)

// orderEnd is one end of a one-to-one conversation, off the network: a
// session's chat and what it needs to read the other end's messages.
type orderEnd struct {
	s    *app.Session
	chat *Service
	r    *replica.Replica
	devs staffDevices
}

func newOrderEnd(t testing.TB, s *app.Session, other *replica.Replica) orderEnd {
	t.Helper()
	r, err := s.Replica()
	if err != nil {
		t.Fatal(err)
	}
	return orderEnd{s: s, chat: New(s.Core()), r: r, devs: staffDevices{member: map[string]string{other.Device(): other.Fingerprint()}}}
}

// newOrderEnds are the receptionist's and the physician's ends of their
// conversation in c.
func newOrderEnds(t testing.TB, c *apptest.Clinic) (recep, phys orderEnd) {
	t.Helper()
	pr, err := c.Phys.Replica()
	if err != nil {
		t.Fatal(err)
	}
	rr, err := c.Recep.Replica()
	if err != nil {
		t.Fatal(err)
	}
	return newOrderEnd(t, c.Recep, pr), newOrderEnd(t, c.Phys, rr)
}

// write sends text to the other end (off the network it is queued) and
// returns it as the server would deliver it.
func (e orderEnd) write(t testing.TB, to orderEnd, text string) xmpp.Message {
	t.Helper()
	m := e.sent(t, to.r.Fingerprint(), text)
	m.From, m.To, m.Type = e.r.Device()+"@"+testDomain+"/x", to.r.Device()+"@"+testDomain, "chat"
	return m
}

// say writes text in the clinic room and returns it as the room delivers
// it to every occupant, the writer included.
func (e orderEnd) say(t testing.TB, text string) xmpp.Message {
	t.Helper()
	m := e.sent(t, Room, text)
	m.Room, m.From, m.Type = true, testRoom+"/"+e.r.Device(), "groupchat"
	return m
}

// sent sends text in conversation and returns its queued stanza's sender,
// body and id.
func (e orderEnd) sent(t testing.TB, conversation, text string) xmpp.Message {
	t.Helper()
	ctx := context.Background()
	m, err := e.chat.Send(ctx, conversation, text, "")
	if err != nil {
		t.Fatal(err)
	}
	q, err := e.chat.chatQueue(ctx, e.r)
	if err != nil {
		t.Fatal(err)
	}
	for _, qm := range q {
		if qm.ID == m.ID {
			return xmpp.Message{Sender: e.r.Device() + "@" + testDomain, Body: qm.Body, ID: qm.ID}
		}
	}
	t.Fatalf("%q is not queued", text)
	return xmpp.Message{}
}

// receive keeps m as it arrives live, as receiveChat does.
func (e orderEnd) receive(t testing.TB, m xmpp.Message) {
	t.Helper()
	if _, err := e.chat.arrive(context.Background(), e.r, e.devs, testRoom, testDomain, m); err != nil {
		t.Fatal(err)
	}
}

// texts are the texts of e's conversation with other, in the order shown,
// and the conversation's Last as the list shows it.
func (e orderEnd) texts(t testing.TB, other orderEnd) (shown []string, last string) {
	t.Helper()
	ctx := context.Background()
	h, err := e.chat.History(ctx, other.r.Fingerprint())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range h {
		shown = append(shown, m.Text)
	}
	cs, err := e.chat.Conversations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.ID == other.r.Fingerprint() && c.Last != nil {
			last = c.Last.Text
		}
	}
	return shown, last
}

// TestChatOrderIsTotal (the flake of TestChatNetwork/one_to_one, h-chat25):
// a reply written in the same millisecond as the message it answers was
// shown before it (its own time was cut to the millisecond, the received
// one's was not), and so were messages written after this workstation's
// clock stepped back, or read at the very same clock reading. A
// conversation is ordered by this workstation's clock, never by the
// sender's, and each message arriving or written here comes after every
// one kept: both ends show the same order, whatever either clock says.
func TestChatOrderIsTotal(t *testing.T) {
	c := apptest.NewClinic(t)
	recep, phys := newOrderEnds(t, c)

	t0 := time.Date(2026, 12, 6, 10, 0, 0, 900_000, time.UTC) // 0.9 ms past the second
	c.Clock.Set(t0)
	a := recep.write(t, phys, "A: Mrs Gallimaufry is here")
	c.Clock.Set(t0.Add(100 * time.Microsecond))
	phys.receive(t, a)
	c.Clock.Set(t0.Add(200 * time.Microsecond)) // the reply, in the same millisecond
	b := phys.write(t, recep, "B: calling her in")
	c.Clock.Set(t0.Add(300 * time.Microsecond))
	recep.receive(t, b)
	// The clock steps back a minute (a wrong clock set right).
	c.Clock.Set(t0.Add(-time.Minute))
	cm := phys.write(t, recep, "C: and then Mr Pemberton")
	recep.receive(t, cm)
	// A clock that reads the same twice (a coarse clock): a reply at the
	// very reading its question arrived at.
	d := recep.write(t, phys, "D: he is here too")
	phys.receive(t, d)

	want := []string{"A: Mrs Gallimaufry is here", "B: calling her in", "C: and then Mr Pemberton", "D: he is here too"}
	for _, e := range []struct {
		name      string
		end, peer orderEnd
	}{{"receptionist", recep, phys}, {"physician", phys, recep}} {
		shown, last := e.end.texts(t, e.peer)
		if len(shown) != len(want) || last != want[len(want)-1] {
			t.Errorf("the %s's conversation shows %q, last %q; want %q", e.name, shown, last, want)
			continue
		}
		for i := range want {
			if shown[i] != want[i] {
				t.Errorf("the %s's conversation shows %q; want %q", e.name, shown, want)
				break
			}
		}
	}
}

// TestChatReplyOrderRealClock is the one_to_one flake on the real clock,
// off the network, many times: a reply written as soon as its question
// is shown is the conversation's last at both ends. (Before the stamp,
// most replies written within the question's millisecond sorted first.)
func TestChatReplyOrderRealClock(t *testing.T) {
	c := apptest.NewLiveClinic(t)
	recep, phys := newOrderEnds(t, c)
	const n = 40
	wrong := 0
	for i := range n {
		q := fmt.Sprint("question ", i)
		phys.receive(t, recep.write(t, phys, q))
		reply := fmt.Sprint("reply ", i)
		recep.receive(t, phys.write(t, recep, reply))
		for _, e := range []struct{ end, peer orderEnd }{{recep, phys}, {phys, recep}} {
			if shown, last := e.end.texts(t, e.peer); last != reply || shown[len(shown)-1] != reply || shown[len(shown)-2] != q {
				wrong++
			}
		}
	}
	if wrong > 0 {
		t.Errorf("%d of %d ends showed a reply before its question, or not last", wrong, 2*n)
	}
}

// TestChatRoomCrossingOrder: two colleagues write in the clinic room at
// once, each before the other's message arrived. The room hands every
// occupant the messages in one order, the writers their own echo
// included; each workstation showed its own first (it was stamped when
// written), so the two read the room in two orders. Now a message's echo
// gives it its place in the room's order: both show the room's.
func TestChatRoomCrossingOrder(t *testing.T) {
	c := apptest.NewClinic(t)
	recep, phys := newOrderEnds(t, c)
	recep.devs.member[recep.r.Device()] = recep.r.Fingerprint()
	phys.devs.member[phys.r.Device()] = phys.r.Fingerprint()
	t0 := time.Date(2026, 12, 7, 8, 30, 0, 0, time.UTC)
	c.Clock.Set(t0)
	a := recep.say(t, "Room 3 is free")
	c.Clock.Set(t0.Add(20 * time.Millisecond))
	b := phys.say(t, "Who takes Mr Pemberton?")
	// The room's order: a, then b, to both.
	for i, m := range []xmpp.Message{a, b} {
		c.Clock.Set(t0.Add(time.Duration(100+10*i) * time.Millisecond))
		recep.receive(t, m)
		phys.receive(t, m)
	}
	want := []string{"Room 3 is free", "Who takes Mr Pemberton?"}
	for _, e := range []struct {
		name string
		end  orderEnd
	}{{"receptionist", recep}, {"physician", phys}} {
		h, err := e.end.chat.History(context.Background(), Room)
		if err != nil {
			t.Fatal(err)
		}
		var shown []string
		for _, m := range h {
			shown = append(shown, m.Text)
		}
		if fmt.Sprint(shown) != fmt.Sprint(want) {
			t.Errorf("the %s reads the room as %q; the room's order is %q", e.name, shown, want)
		}
	}
}

// TestArchiveOrderWithinASecond: messages the archive stamped in one
// second keep the archive's order; stamps further apart are kept.
func TestArchiveOrderWithinASecond(t *testing.T) {
	const none = time.Duration(-1 << 62)
	t0 := time.Date(2026, 12, 7, 8, 30, 0, 0, time.UTC)
	at := func(d time.Duration) xmpp.Message { return xmpp.Message{Delay: t0.Add(d), Archived: true} }
	for _, tc := range []struct {
		name string
		in   []xmpp.Message
		last time.Time
		want []time.Duration
	}{
		{"one second, three messages", []xmpp.Message{at(0), at(0), at(0)}, time.Time{}, []time.Duration{0, time.Millisecond, 2 * time.Millisecond}},
		{"seconds apart", []xmpp.Message{at(0), at(time.Second), at(2 * time.Second)}, time.Time{}, []time.Duration{0, time.Second, 2 * time.Second}},
		{"the page before ended in the same second", []xmpp.Message{at(0), at(0)}, t0.Add(5 * time.Millisecond), []time.Duration{6 * time.Millisecond, 7 * time.Millisecond}},
		{"a server clock set back an hour is believed", []xmpp.Message{at(-time.Hour)}, t0, []time.Duration{-time.Hour}},
		{"no stamp", []xmpp.Message{{}, at(0)}, time.Time{}, []time.Duration{none, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inArchiveOrder(tc.in, tc.last)
			for i, m := range tc.in {
				if tc.want[i] == none {
					if !m.Delay.IsZero() {
						t.Errorf("message %d: stamped %v, want none", i, m.Delay)
					}
					continue
				}
				if got := m.Delay.Sub(t0); got != tc.want[i] {
					t.Errorf("message %d: %v after, want %v", i, got, tc.want[i])
				}
			}
		})
	}
}

// TestArchiveReadWhileLive (CI, session 29:
// TestChatRoomCrossingOverTheNetwork): on connecting, a workstation reads
// the room's archive while the room goes on live. A colleague's first
// message heard live, her second read from the archive page that holds
// both (stamped to the second, before the first's arrival here): the
// second showed above the first. The page keeps the archive's order after
// what it holds.
func TestArchiveReadWhileLive(t *testing.T) {
	c := apptest.NewClinic(t)
	recep, phys := newOrderEnds(t, c)
	t0 := time.Date(2026, 12, 7, 8, 30, 0, 0, time.UTC)
	c.Clock.Set(t0.Add(100 * time.Millisecond))
	first := recep.say(t, "Room 3 is free")
	c.Clock.Set(t0.Add(200 * time.Millisecond))
	second := recep.say(t, "Mr Pemberton is waiting")
	// The first heard live at .900; then the archive's page with both,
	// each stamped 08:30:00.
	c.Clock.Set(t0.Add(900 * time.Millisecond))
	phys.receive(t, first)
	c.Clock.Set(t0.Add(950 * time.Millisecond))
	page := []xmpp.Message{first, second}
	for i := range page {
		page[i].Delay, page[i].Archived = t0, true
	}
	if _, err := keepPage(page, time.Time{}, func(m xmpp.Message) (time.Time, error) {
		_, at, err := phys.chat.take(context.Background(), phys.r, phys.devs, testRoom, testDomain, m)
		return at, err
	}); err != nil {
		t.Fatal(err)
	}
	h, err := phys.chat.History(context.Background(), Room)
	if err != nil {
		t.Fatal(err)
	}
	var shown []string
	for _, m := range h {
		shown = append(shown, m.Text)
	}
	if want := []string{"Room 3 is free", "Mr Pemberton is waiting"}; fmt.Sprint(shown) != fmt.Sprint(want) {
		t.Errorf("the physician reads the room as %q; the room's order is %q", shown, want)
	}
}

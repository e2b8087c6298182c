package xmpp

import (
	"encoding/xml"
	"strings"
	"testing"
	"time"
)

func TestDecodeMessage(t *testing.T) {
	const stream = `<stream xmlns="jabber:client">`
	for _, tc := range []struct {
		name string
		xml  string
		want Message
		ok   bool
	}{
		{
			name: "chat",
			xml:  `<message type="chat" from="alice@clinic.test/ws1" to="bob@clinic.test" id="m1"><body>hello</body></message>`,
			want: Message{From: "alice@clinic.test/ws1", To: "bob@clinic.test", Body: "hello", Type: "chat", ID: "m1", Sender: "alice@clinic.test"},
			ok:   true,
		},
		{
			name: "offline delivery",
			xml:  `<message type="chat" from="alice@clinic.test/ws1" to="bob@clinic.test/x"><body>later</body><delay xmlns="urn:xmpp:delay" from="clinic.test" stamp="2026-03-01T10:00:00.5Z">Offline Storage</delay></message>`,
			want: Message{From: "alice@clinic.test/ws1", To: "bob@clinic.test/x", Sender: "alice@clinic.test", Body: "later", Type: "chat", Delay: time.Date(2026, 3, 1, 10, 0, 0, 5e8, time.UTC)},
			ok:   true,
		},
		// sec-s10 finding 3: a delay is when the server or the room took the
		// message, never the sender's word.
		{
			name: "a delay the sender wrote is not believed",
			xml: `<message type="chat" from="alice@clinic.test/ws1" to="bob@clinic.test/x"><body>backdated</body>` +
				`<delay xmlns="urn:xmpp:delay" from="alice@clinic.test/ws1" stamp="2025-03-01T10:00:00Z"/><delay xmlns="urn:xmpp:delay" stamp="2025-03-01T10:00:00Z"/></message>`,
			want: Message{From: "alice@clinic.test/ws1", To: "bob@clinic.test/x", Sender: "alice@clinic.test", Body: "backdated", Type: "chat"},
			ok:   true,
		},
		{
			name: "offline delivery: the server's stamp, appended last, counts",
			xml: `<message type="chat" from="alice@clinic.test/ws1" to="bob@clinic.test/x"><body>later</body>` +
				`<delay xmlns="urn:xmpp:delay" from="clinic.test" stamp="2025-03-01T10:00:00Z"/><delay xmlns="urn:xmpp:delay" stamp="2024-03-01T10:00:00Z"/>` +
				`<delay xmlns="urn:xmpp:delay" from="clinic.test" stamp="2026-03-01T10:00:00Z"/></message>`,
			want: Message{From: "alice@clinic.test/ws1", To: "bob@clinic.test/x", Sender: "alice@clinic.test", Body: "later", Type: "chat", Delay: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)},
			ok:   true,
		},
		{
			name: "another server's delay is not believed",
			xml:  `<message type="chat" from="alice@clinic.test/ws1" to="bob@clinic.test/x"><body>x</body><delay xmlns="urn:xmpp:delay" from="elsewhere.test" stamp="2025-03-01T10:00:00Z"/></message>`,
			want: Message{From: "alice@clinic.test/ws1", To: "bob@clinic.test/x", Sender: "alice@clinic.test", Body: "x", Type: "chat"},
			ok:   true,
		},
		{
			name: "room history: the room's delay, not another",
			xml: `<message type="groupchat" from="staff@rooms.clinic.test/Dr A"><body>head</body>` +
				`<delay xmlns="urn:xmpp:delay" from="clinic.test" stamp="2026-03-01T10:00:00Z"/><delay xmlns="urn:xmpp:delay" stamp="2026-03-01T10:30:00Z"/>` +
				`<delay xmlns="urn:xmpp:delay" from="staff@rooms.clinic.test" stamp="2026-03-01T12:00:00+01:00"/></message>`,
			want: Message{From: "staff@rooms.clinic.test/Dr A", Body: "head", Type: "groupchat", Room: true, Replayed: true, Delay: time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC)},
			ok:   true,
		},
		{
			name: "live room message: a delay in anyone else's name is not believed",
			xml: `<message type="groupchat" from="staff@rooms.clinic.test/Dr A"><body>head</body>` +
				`<delay xmlns="urn:xmpp:delay" from="clinic.test" stamp="2036-03-01T10:00:00Z"/></message>`,
			want: Message{From: "staff@rooms.clinic.test/Dr A", Body: "head", Type: "groupchat", Room: true},
			ok:   true,
		},
		{
			name: "archived: the archive's time, not the sender's delays",
			xml: `<message from="bob@clinic.test" to="bob@clinic.test/x"><result xmlns="urn:xmpp:mam:2" queryid="q1" id="a1"><forwarded xmlns="urn:xmpp:forward:0">` +
				`<delay xmlns="urn:xmpp:delay" stamp="2026-03-01T10:00:00Z"/><message xmlns="jabber:client" type="chat" from="alice@clinic.test/ws1" to="bob@clinic.test"><body>old</body>` +
				`<delay xmlns="urn:xmpp:delay" from="clinic.test" stamp="2020-03-01T10:00:00Z"/></message></forwarded></result></message>`,
			want: Message{From: "alice@clinic.test/ws1", To: "bob@clinic.test", Sender: "alice@clinic.test", Body: "old", Type: "chat", StanzaID: "a1", Archived: true,
				Delay: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), archiveQuery: "q1", archiveFrom: "bob@clinic.test"},
			ok: true,
		},
		{
			name: "archived without the archive's time: none",
			xml: `<message from="bob@clinic.test" to="bob@clinic.test/x"><result xmlns="urn:xmpp:mam:2" queryid="q1" id="a1"><forwarded xmlns="urn:xmpp:forward:0">` +
				`<message xmlns="jabber:client" type="chat" from="alice@clinic.test/ws1" to="bob@clinic.test"><body>old</body>` +
				`<delay xmlns="urn:xmpp:delay" from="clinic.test" stamp="2020-03-01T10:00:00Z"/></message></forwarded></result></message>`,
			want: Message{From: "alice@clinic.test/ws1", To: "bob@clinic.test", Sender: "alice@clinic.test", Body: "old", Type: "chat", StanzaID: "a1", Archived: true,
				archiveQuery: "q1", archiveFrom: "bob@clinic.test"},
			ok: true,
		},
		{
			name: "no type is normal; first non-empty body",
			xml:  `<message from="clinic.test"><body xml:lang="de"></body><body>hi</body></message>`,
			want: Message{From: "clinic.test", Sender: "clinic.test", Body: "hi", Type: "normal"},
			ok:   true,
		},
		{
			name: "bad stamp is ignored",
			xml:  `<message type="chat"><body>x</body><delay xmlns="urn:xmpp:delay" stamp="yesterday"/></message>`,
			want: Message{Body: "x", Type: "chat"},
			ok:   true,
		},
		{name: "no body", xml: `<message type="chat"><active xmlns="http://jabber.org/protocol/chatstates"/></message>`},
		{name: "error", xml: `<message type="error"><body>bounced</body></message>`},
		{name: "headline", xml: `<message type="headline"><body>news</body></message>`},
		{name: "not a message", xml: `<presence><body>x</body></presence>`},
		{name: "bad from", xml: `<message from="@@"><body>x</body></message>`},
		{name: "broken", xml: `<message><body>x</message>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := decodeFirst(stream + tc.xml)
			if ok != tc.ok || got != tc.want {
				t.Errorf("decodeMessage = %+v, %v; want %+v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

// decodeFirst decodes the first element inside the stream header the way
// the session does.
func decodeFirst(s string) (Message, bool) {
	d := xml.NewDecoder(strings.NewReader(s))
	for depth := 0; ; {
		tok, err := d.Token()
		if err != nil {
			return Message{}, false
		}
		if start, ok := tok.(xml.StartElement); ok {
			if depth++; depth == 2 {
				return decodeMessage(d, start)
			}
		}
	}
}

func FuzzDecodeMessage(f *testing.F) {
	for _, seed := range []string{
		`<message type="chat" from="a@b/c"><body>hi</body></message>`,
		`<message type="groupchat"><body>x</body><delay xmlns="urn:xmpp:delay" stamp="2026-03-01T11:00:00Z"/></message>`,
		`<message><body></body></message>`,
		`<message type="chat"><body>x</message>`,
		`<iq type="get"/>`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, ok := decodeFirst(`<stream xmlns="jabber:client">` + s)
		if !ok {
			return
		}
		if m.Body == "" {
			t.Fatalf("accepted a message without body: %q", s)
		}
		if m.Type != "chat" && m.Type != "groupchat" && m.Type != "normal" {
			t.Fatalf("accepted type %q", m.Type)
		}
		if m.Room != (m.Type == "groupchat") {
			t.Fatalf("Room %v for type %q", m.Room, m.Type)
		}
	})
}

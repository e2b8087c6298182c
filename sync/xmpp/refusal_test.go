package xmpp

import (
	"encoding/xml"
	"strings"
	"testing"
)

func TestDecodeRefusal(t *testing.T) {
	for _, tc := range []struct {
		name     string
		xml      string
		id, from string
		ok       bool
	}{
		{
			name: "no such account",
			xml: `<message type="error" id="m1" from="ws9@clinic.test" to="ws1@clinic.test/r">` +
				`<error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></message>`,
			id: "m1", from: "ws9@clinic.test", ok: true,
		},
		{
			name: "from a room occupant: the room's address",
			xml:  `<message type="error" id="m2" from="clinic@rooms.clinic.test/nick"><error type="modify"><not-acceptable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></message>`,
			id:   "m2", from: "clinic@rooms.clinic.test", ok: true,
		},
		{name: "no id", xml: `<message type="error" from="ws9@clinic.test"><error/></message>`},
		{name: "not an error", xml: `<message type="chat" id="m3" from="ws9@clinic.test"><body>x</body></message>`},
		{name: "bad from", xml: `<message type="error" id="m4" from="@@"/>`},
		{name: "broken", xml: `<message type="error" id="m5"><error></message>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, from, ok := decodeFirstRefusal(tc.xml)
			if id != tc.id || from != tc.from || ok != tc.ok {
				t.Errorf("decodeRefusal = %q, %q, %v; want %q, %q, %v", id, from, ok, tc.id, tc.from, tc.ok)
			}
		})
	}
}

func decodeFirstRefusal(s string) (id, from string, ok bool) {
	d := xml.NewDecoder(strings.NewReader(`<stream xmlns="jabber:client">` + s))
	for depth := 0; ; {
		tok, err := d.Token()
		if err != nil {
			return "", "", false
		}
		if start, isStart := tok.(xml.StartElement); isStart {
			if depth++; depth == 2 {
				return decodeRefusal(d, start)
			}
		}
	}
}

func FuzzDecodeRefusal(f *testing.F) {
	f.Add(`<message type="error" id="m1" from="a@b"><error type="cancel"/></message>`)
	f.Add(`<message type="error" id="" from="a@b"/>`)
	f.Add(`<message type="error" id="x"><error>`)
	f.Fuzz(func(t *testing.T, s string) {
		id, _, ok := decodeFirstRefusal(s)
		if ok && id == "" {
			t.Fatalf("accepted a refusal without id: %q", s)
		}
	})
}

func TestRefusals(t *testing.T) {
	var f refusals
	for i := range maxRefusals + 10 {
		f.note(strings.Repeat("i", i%7)+string(rune('a'+i%26))+strings.Repeat("x", i/26), "a@b")
	}
	if len(f.by) > maxRefusals || len(f.order) != len(f.by) {
		t.Fatalf("remembers %d refusals (%d in order), at most %d", len(f.by), len(f.order), maxRefusals)
	}
	f.note("m", "a@b")
	f.note("m", "c@d")
	if got := f.take("m"); len(got) != 2 || got[0] != "a@b" || got[1] != "c@d" {
		t.Errorf("take = %v", got)
	}
	if got := f.take("m"); got != nil {
		t.Errorf("second take = %v, want nil", got)
	}
}

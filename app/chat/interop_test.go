package chat

import (
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// rawClient is an ordinary XMPP client as a phone or desktop program is
// one: a raw XML stream over the server's c2s port (STARTTLS, SASL PLAIN,
// a bound resource), nothing of Medihaven's. It writes stanzas as written
// and keeps every byte the server sends it.
type rawClient struct {
	t    testing.TB
	conn net.Conn
	addr string // bare JID

	mu  sync.Mutex
	got bytes.Buffer
	err error
}

const streamHeader = `<?xml version='1.0'?><stream:stream to='%s' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`

// dialRaw logs user in to c's Prosody as an ordinary client would.
func dialRaw(t testing.TB, c *netClinic, user, resource string) *rawClient {
	t.Helper()
	password := user + "-password"
	addr := c.XMPP.Register(t, user, password)
	conn, err := net.DialTimeout("tcp", c.XMPP.Addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	var buf []byte
	// until reads until the stream holds want, and forgets what it read.
	until := func(r io.Reader, want string) string {
		t.Helper()
		chunk := make([]byte, 4096)
		for !bytes.Contains(buf, []byte(want)) {
			n, err := r.Read(chunk)
			if err != nil {
				t.Fatalf("raw client: waiting for %q: %v; read %q", want, err, buf)
			}
			buf = append(buf, chunk[:n]...)
		}
		s := string(buf)
		buf = nil
		return s
	}
	write := func(w io.Writer, s string) {
		t.Helper()
		if _, err := io.WriteString(w, s); err != nil {
			t.Fatal(err)
		}
	}
	write(conn, fmt.Sprintf(streamHeader, c.XMPP.Domain))
	until(conn, "</stream:features>")
	write(conn, `<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`)
	until(conn, "<proceed")
	tc := tls.Client(conn, c.XMPP.TLSConfig())
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	write(tc, fmt.Sprintf(streamHeader, c.XMPP.Domain))
	if f := until(tc, "</stream:features>"); !strings.Contains(f, ">PLAIN<") {
		t.Fatalf("raw client: no SASL PLAIN offered: %s", f)
	}
	write(tc, `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>`+
		base64.StdEncoding.EncodeToString([]byte("\x00"+user+"\x00"+password))+`</auth>`)
	if s := until(tc, "xmpp-sasl"); !strings.Contains(s, "<success") {
		t.Fatalf("raw client: login refused: %s", s)
	}
	write(tc, fmt.Sprintf(streamHeader, c.XMPP.Domain))
	until(tc, "</stream:features>")
	write(tc, `<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>`+resource+`</resource></bind></iq>`)
	until(tc, "</iq>")
	write(tc, `<presence/>`)
	conn.SetDeadline(time.Time{})
	rc := &rawClient{t: t, conn: tc, addr: addr}
	go func() {
		chunk := make([]byte, 64<<10)
		for {
			n, err := tc.Read(chunk)
			rc.mu.Lock()
			rc.got.Write(chunk[:n])
			rc.err = err
			rc.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return rc
}

func (rc *rawClient) send(x string) {
	rc.t.Helper()
	if _, err := io.WriteString(rc.conn, x); err != nil {
		rc.t.Fatal(err)
	}
}

// received is every byte the server sent the client since it logged in.
func (rc *rawClient) received() string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.got.String()
}

// TestOrdinaryClientInterop (h-chat25): staff may reach the clinic's
// Prosody with an ordinary XMPP client (a phone, a desktop program) under
// an account of their own. What such a client sends a workstation is
// shown as something sensible, never as a colleague's verified message;
// what it can see of the chat (the clinic room, its archive, a
// workstation's presence) holds no message text, MRN, patient's or staff
// member's name in clear.
func TestOrdinaryClientInterop(t *testing.T) {
	c := newNetClinic(t)
	recep, phys, admin := c.Recep, c.Phys, c.Admin
	waitOnline(t, recep, phys, admin)
	pr, err := phys.Replica()
	if err != nil {
		t.Fatal(err)
	}
	physAddr := pr.Device() + "@" + c.XMPP.Domain
	room := chatRoomOf(c)
	phone := dialRaw(t, c, "rita.phone", "phone")

	// What the phone sees: it joins the clinic room, as any account may.
	phone.send(`<presence to='` + room + `/rita-phone'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
	secrets := []string{"Mrs Gallimaufry", "MH0012345", "Zyzzyva", "Pemberton",
		admin.StaffName(), recep.StaffName(), phys.StaffName(), "Test Clinic"}
	sendChat(t, admin, Room, "Mrs Gallimaufry (MH0012345) waits for the Zyzzyva audit", "MH0012345")
	sendChat(t, recep, phys.Fingerprint(), "Mr Pemberton is here", "")
	if err := New(phys.Core()).SetAway(t.Context(), true); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the room message at the phone", 20*time.Second, func() bool {
		return strings.Contains(phone.received(), "type='groupchat'") && strings.Contains(phone.received(), wire)
	})
	phone.send(`<iq type='set' id='mam1' to='` + room + `'><query xmlns='urn:xmpp:mam:2' queryid='q1'/></iq>`)
	waitFor(t, "the room's archive at the phone", 20*time.Second, func() bool {
		return strings.Contains(phone.received(), "id='mam1'") || strings.Contains(phone.received(), `id="mam1"`)
	})
	waitChat(t, phys, recep.Fingerprint(), "Mr Pemberton is here")
	seen := phone.received()
	for _, s := range secrets {
		if strings.Contains(seen, s) {
			t.Errorf("an ordinary client in the clinic room reads %q in clear", s)
		}
	}
	bodies := regexp.MustCompile(`<body>([^<]*)</body>`).FindAllStringSubmatch(seen, -1)
	for _, b := range bodies {
		if !strings.HasPrefix(b[1], wire) {
			t.Errorf("an ordinary client in the clinic room reads the body %.80q", b[1])
		}
	}
	// Each says so (XEP-0380): Gajim shows "This message was encrypted
	// with Medihaven and could not be decrypted" instead of the bytes.
	eme := regexp.MustCompile(`<encryption [^>]*xmlns=['"]urn:xmpp:eme:0['"][^>]*>`).FindAllString(seen, -1)
	if len(eme) != len(bodies) {
		t.Errorf("%d message bodies reach the phone, %d marked as encrypted (XEP-0380)", len(bodies), len(eme))
	}
	for _, e := range eme {
		if !strings.Contains(e, "urn:medihaven:chat:1") || !strings.Contains(e, "Medihaven") {
			t.Errorf("the phone reads the encryption element %s", e)
		}
	}
	t.Logf("the phone read %d bytes, %d message bodies, all %q and base64 OpenPGP, %d marked (XEP-0380)", len(seen), len(bodies), wire, len(eme))

	// What the phone sends a workstation: every one shown under the
	// phone's address, unverified, saying why; none as a colleague's.
	capturedRoom := ""
	if len(bodies) > 0 {
		capturedRoom = bodies[0][1]
	}
	to := "to='" + physAddr + "'"
	for _, x := range []string{
		// A phone's usual chat message: chat state, receipt and marker requests.
		`<message type='chat' ` + to + ` id='p1'><body>From my phone: is MH0012345 ready?</body><active xmlns='http://jabber.org/protocol/chatstates'/><request xmlns='urn:xmpp:receipts'/><markable xmlns='urn:xmpp:chat-markers:0'/></message>`,
		`<message ` + to + ` id='p2'><body>A normal message, no type</body></message>`,
		// Typing only: no body, nothing to show.
		`<message type='chat' ` + to + ` id='p3'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`,
		// OMEMO from Conversations or Gajim: only the fallback body is readable.
		`<message type='chat' ` + to + ` id='p4'><encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='1'><iv>AAAA</iv></header><payload>AAAA</payload></encrypted><encryption xmlns='urn:xmpp:eme:0' namespace='eu.siacs.conversations.axolotl'/><body>I sent you an OMEMO encrypted message but your client doesn't seem to support that.</body><store xmlns='urn:xmpp:hints'/></message>`,
		// A correction of p1 (XEP-0308): a message of its own here.
		`<message type='chat' ` + to + ` id='p5'><body>Corrected: MH0012346</body><replace id='p1' xmlns='urn:xmpp:message-correct:0'/></message>`,
		// XHTML-IM: the plain body is shown.
		`<message type='chat' ` + to + ` id='p6'><body>bold text</body><html xmlns='http://jabber.org/protocol/xhtml-im'><body xmlns='http://www.w3.org/1999/xhtml'><p><b>bold</b> text</p></body></html></message>`,
		// Medihaven's prefix, not a Medihaven message.
		`<message type='chat' ` + to + ` id='p7'><body>mh1chat !!not base64!!</body></message>`,
		// A colleague's room message, captured in the room, sent on as one's own.
		`<message type='chat' ` + to + ` id='p8'><body>` + capturedRoom + `</body></message>`,
		// A headline (news, alerts): not chat.
		`<message type='headline' ` + to + ` id='p9'><body>Headline</body></message>`,
		`<message type='chat' ` + to + ` id='p10'><body>last from the phone</body></message>`,
	} {
		phone.send(x)
	}
	conv := plainPrefix + phone.addr
	waitChat(t, phys, conv, "last from the phone")
	// By the phone's stanza id: the text shown, and why it is not verified.
	type shown struct{ text, problem string }
	want := map[string]shown{
		"p1": {"From my phone: is MH0012345 ready?", problemPlain},
		"p2": {"A normal message, no type", problemPlain},
		"p4": {"I sent you an OMEMO encrypted message but your client doesn't seem to support that.", problemPlain},
		"p5": {"Corrected: MH0012346", problemPlain},
		"p6": {"bold text", problemPlain},
		"p7": {"", problemDamaged},
		// The colleague's words open, but they are no colleague's from
		// this address: the phone's, unverified.
		"p8":  {"Mrs Gallimaufry (MH0012345) waits for the Zyzzyva audit", problemStranger},
		"p10": {"last from the phone", problemPlain},
	}
	if capturedRoom == "" {
		delete(want, "p8")
	}
	for _, m := range history(t, phys, conv) {
		w, ok := want[m.ID]
		delete(want, m.ID)
		if !ok || m.Text != w.text || m.Verified || m.Mine || m.From != "" || m.FromName != phone.addr || m.Problem != w.problem {
			t.Errorf("the physician shows %+v from the phone; want unverified under %s: %+v", m, phone.addr, w)
		}
	}
	for id, w := range want {
		t.Errorf("the physician does not show %s (%q) from the phone", id, w.text)
	}
	for _, m := range history(t, phys, recep.Fingerprint()) {
		if m.Text != "Mr Pemberton is here" {
			t.Errorf("the receptionist's conversation at the physician holds %+v", m)
		}
	}
	var titled bool
	cs, err := New(phys.Core()).Conversations(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, cv := range cs {
		if cv.ID == conv {
			titled = cv.Title == phone.addr && cv.Role == ""
		}
	}
	if !titled {
		t.Errorf("the phone's conversation is not listed under its address: %+v", cs)
	}
	if _, err := New(phys.Core()).Send(t.Context(), conv, "a reply", ""); err == nil {
		t.Errorf("a workstation answers an address outside the directory")
	}
}

// chatRoomOf is the clinic room's address on c's server.
func chatRoomOf(c *netClinic) string { return "clinic@" + c.XMPP.MUC }

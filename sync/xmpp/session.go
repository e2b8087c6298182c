package xmpp

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"mellium.im/sasl"
	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/mux"
	"mellium.im/xmpp/ping"
	"mellium.im/xmpp/stanza"
)

var (
	// ErrAuth means the server refused the account name or password.
	ErrAuth = errors.New("xmpp: the chat server refused the account name or password")
	// ErrTLS means the server's certificate is not the one this workstation
	// trusts for the clinic.
	ErrTLS = errors.New("xmpp: the chat server's certificate is not the clinic's; check the server address and its certificate")
	// ErrUnavailable means the chat server could not be reached.
	ErrUnavailable = errors.New("xmpp: cannot reach the chat server; check the network and that the server is running")
	// ErrRegister means in-band account registration failed.
	ErrRegister = errors.New("xmpp: the chat server did not create the account")
	// ErrInvite means the chat server makes accounts only with a valid
	// invite, and the one given (if any) was refused: used already,
	// expired, or never made on this server.
	ErrInvite = errors.New("xmpp: the chat server refused the invite: it was used already, has expired, or is not from this server")
	// ErrBadAddress means a string is not a valid XMPP address (JID).
	ErrBadAddress = errors.New("xmpp: not a valid chat address")
	// ErrTooLarge means a message body is larger than MaxBody.
	ErrTooLarge = errors.New("xmpp: message too large to send")
	// ErrEmpty means a message body is empty.
	ErrEmpty = errors.New("xmpp: refusing to send an empty message")
	// ErrNickInUse means another occupant of the room has the nickname.
	ErrNickInUse = errors.New("xmpp: someone in the room already uses that name; choose another")
	// ErrNotInRoom means SendRoom was called for a room not joined.
	ErrNotInRoom = errors.New("xmpp: join the room before sending to it")
	// ErrClosed is what Err reports after Close.
	ErrClosed = errors.New("xmpp: session closed")
	// ErrDisconnected is what Err reports when the server ended the session
	// or the connection broke; the caller may reconnect.
	ErrDisconnected = errors.New("xmpp: disconnected from the chat server")
)

// MaxBody is the largest message body Send and SendRoom accept, in bytes.
// Prosody closes the whole stream on a stanza over its limit (256 KiB by
// default), and XML escaping can make a body up to five times longer on
// the wire. Sync announcements carry only ids and CIDs.
const MaxBody = 32 << 10

// closeWait bounds how long Close waits for the server to end its stream.
const closeWait = 2 * time.Second

// Config says how to reach and log in to the clinic's chat server.
type Config struct {
	// JID is the account's bare address, user@domain.
	JID string
	// Password is the account's password. It is used for SASL (SCRAM
	// preferred, PLAIN only inside TLS) and never logged.
	Password string
	// Addr is the server's client port, host:port.
	Addr string
	// TLS verifies the server; StartTLS is required. For a self-signed
	// server put its certificate alone in RootCAs (pinning). ServerName
	// defaults to the JID's domain.
	TLS *tls.Config
	// Register creates the account with in-band registration (XEP-0077)
	// before logging in; an account that already exists is logged in to.
	// For loopback tests only: a clinic's server registers with invites.
	Register bool
	// Invite is an account invite of the server (the token of its
	// xmpp:DOMAIN?register;preauth=TOKEN URI, XEP-0401): presented before
	// in-band registration, which it implies. Prosody refuses an account
	// without one when registration is by invite only (ErrInvite).
	Invite string
	// OnPresence, if not nil, is called with the presence of the other
	// occupants of joined rooms (and of contacts, if any), in arrival
	// order, from a goroutine of the session's own, like onMessage.
	OnPresence func(Presence)
	// Keep, if not nil, names the received messages that are never
	// dropped when more than MaxInbox messages (or MaxInboxBytes of
	// bodies) wait for onMessage (a sync room's announcements); the oldest
	// of the others are dropped then, and counted (Dropped).
	Keep func(Message) bool
}

// Message is one chat message received.
type Message struct {
	// From is the sender: a full or bare JID, or room@service/nick for a
	// room message.
	From string
	// To is the recipient as addressed by the server.
	To string
	// Body is the text (in Medihaven, ciphertext or a sync announcement).
	Body string
	// Type is "chat", "groupchat" or "normal".
	Type string
	// ID is the sender's stanza id, if any.
	ID string
	// Delay is when the server first received a message it delivers late
	// (offline storage, room history), or for an Archived one when the
	// archive took it; zero for live messages. On a message that is not
	// Archived it is a delay in the server's (or room's) name as the
	// stanza carries it: a server that does not remove such a delay from
	// what its clients send (the clinic's does) passes on any time the
	// sender wrote there.
	Delay time.Time
	// Archived reports a message read from an archive (Archive): its Delay
	// is the archive's own stamp, which no sender writes.
	Archived bool
	// Room reports a message from a multi-user chat room.
	Room bool
	// StanzaID is the id the server's archive (of this account, or of the
	// room) gave the message (XEP-0359), "" when it was not archived. It
	// is the same live and in Archive's results, so it tells duplicates.
	StanzaID string
	// Sender is the bare JID of the account that sent the message, as the
	// server says it, never as the sender claims: for a one-to-one
	// message the bare From (the server stamps it); for a room message the
	// occupant's real JID, from the room's presence of that occupant for a
	// live message, or from the room's own <x/> on a message read from
	// the room's archive (Archive). Empty on a message the room replays to
	// a joiner (Replayed): that history may come from the room's memory,
	// where Prosody keeps the <x/> the speaker wrote and not its own, so
	// an <x/> there proves nothing. Empty too when the room does not tell
	// real JIDs (an anonymous room) or tells it ambiguously. A nickname
	// says nothing about who speaks: anyone may take any free nickname.
	Sender string
	// Replayed reports a room message the room replays from its history
	// to this session as it joins (its delay is the room's): said before
	// this session was in the room, by nobody this session can name.
	Replayed bool

	archiveQuery string // the archive query this message answers, if any
	archiveFrom  string // who forwarded it: the archive's owner
}

// Session is one workstation's logged-in XMPP session. Its methods are safe
// for concurrent use.
type Session struct {
	xs   *xmpp.Session
	conn net.Conn

	roomsMu  sync.Mutex
	rooms    map[string]bool       // joined rooms, by bare JID
	occupant map[string]jid.JID    // this session's occupant JID in each joined room
	joining  map[string]chan error // joins awaiting the room's answer, by occupant JID
	// realJID maps the occupants present in joined rooms
	// (room@service/nick) to their real bare JIDs, as the rooms' presence
	// says ("" when a room does not tell). Updated in stream order, so a
	// message is attributed to whoever held the nickname when it was sent.
	realJID map[string]string

	mux      *mux.ServeMux
	inbox    *inbox[Message]
	presence *inbox[Presence]

	refusals refusals // messages the server did not take (refusal.go)

	queriesMu sync.Mutex
	queries   map[string]*archiveQuery // archive queries awaiting results, by query id

	presenceID string        // id of the initial presence
	online     chan struct{} // closed when the server reflects it
	onlineOnce sync.Once

	closeOnce sync.Once
	closing   chan struct{} // closed by Close
	done      chan struct{} // closed when the stream has ended
	err       error         // set before done is closed
}

// Dial connects to cfg.Addr, negotiates StartTLS, optionally registers,
// logs in with SASL, binds a resource and sends initial presence, so that
// messages stored while the account was offline are delivered. It then
// reads the stream until the session ends (see Done).
//
// onMessage, if not nil, is called for every chat, groupchat and normal
// message with a body, in arrival order, one at a time, from a goroutine of
// the session's own. The session keeps reading while onMessage runs, so a
// slow onMessage delays only itself; onMessage may call the session's
// methods. What waits for it is bounded (MaxInbox, MaxInboxBytes): beyond
// that the oldest messages Config.Keep does not claim are dropped.
func Dial(ctx context.Context, cfg Config, onMessage func(Message)) (*Session, error) {
	xs, conn, err := connect(ctx, cfg)
	if err != nil {
		return nil, err
	}
	s := &Session{
		xs:         xs,
		conn:       conn,
		rooms:      make(map[string]bool),
		occupant:   make(map[string]jid.JID),
		joining:    make(map[string]chan error),
		realJID:    make(map[string]string),
		inbox:      newMessageInbox(onMessage, cfg.Keep),
		presence:   newPresenceInbox(cfg.OnPresence),
		queries:    make(map[string]*archiveQuery),
		presenceID: rand.Text(),
		online:     make(chan struct{}),
		closing:    make(chan struct{}),
		done:       make(chan struct{}),
	}
	s.mux = mux.New(stanza.NSClient, ping.Handle())
	go s.serve()

	// Initial presence makes the server deliver what it stored while this
	// account was offline. Once the server reflects it, it routes messages
	// to this session live: wait for that, so that a message sent after
	// Dial returns is never stored as offline.
	presence := stanza.Presence{ID: s.presenceID}
	if err := s.write(ctx, presence.Wrap(nil)); err != nil {
		s.Close()
		return nil, fmt.Errorf("xmpp: send presence: %w", err)
	}
	select {
	case <-s.online:
		return s, nil
	case <-s.done:
		return nil, s.err
	case <-ctx.Done():
		s.Close()
		return nil, fmt.Errorf("%w: no answer to presence: %w", ErrUnavailable, ctx.Err())
	}
}

// connect dials cfg.Addr and negotiates StartTLS, registration if asked,
// SASL and resource binding.
func connect(ctx context.Context, cfg Config) (*xmpp.Session, net.Conn, error) {
	addr, err := jid.Parse(cfg.JID)
	if err != nil || addr.Localpart() == "" {
		return nil, nil, fmt.Errorf("%w: account %q", ErrBadAddress, cfg.JID)
	}
	addr = addr.Bare()
	if cfg.TLS == nil {
		return nil, nil, fmt.Errorf("%w: no TLS configuration given", ErrTLS)
	}
	tlsCfg := cfg.TLS.Clone()
	if tlsCfg.ServerName == "" {
		tlsCfg.ServerName = addr.Domainpart()
	}

	mctx, done := call(ctx)
	defer done()
	var dialer net.Dialer
	conn, err := dialer.DialContext(mctx, "tcp", cfg.Addr)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	features := []xmpp.StreamFeature{xmpp.StartTLS(tlsCfg)}
	var reg registration
	register := cfg.Register || cfg.Invite != ""
	if register {
		features = append(features, reg.feature(addr.Localpart(), cfg.Password, cfg.Invite))
	}
	features = append(features, login(cfg.Password, register, &reg), xmpp.BindResource())
	xs, err := xmpp.NewClientSession(mctx, addr, conn, features...)
	if err != nil {
		conn.Close()
		return nil, nil, setupError(ctx, cfg.Addr, err)
	}
	return xs, conn, nil
}

// handle is the stream's handler. Messages and presence are read here
// (a mux payload handler would run once per matching child, and mellium's
// muc client races with its own Join); pings and other IQs go to the mux.
func (s *Session) handle(r xmlstream.TokenReadEncoder, start *xml.StartElement) error {
	switch start.Name {
	case messageName:
		return s.receive(r, start)
	case presenceName:
		s.receivePresence(r, *start)
		return nil
	}
	return s.mux.HandleXMPP(r, start)
}

// receivePresence notes the server's reflection of the initial presence
// and the answers of rooms being joined, and hands every other presence to
// Config.OnPresence.
func (s *Session) receivePresence(r xml.TokenReader, start xml.StartElement) {
	var id, from, typ string
	for _, a := range start.Attr {
		switch a.Name {
		case xml.Name{Local: "id"}:
			id = a.Value
		case xml.Name{Local: "from"}:
			from = a.Value
		case xml.Name{Local: "type"}:
			typ = a.Value
		}
	}
	switch {
	case from == s.JID() && id == s.presenceID && typ == "":
		s.onlineOnce.Do(func() { close(s.online) })
		return
	case typ == "error":
		s.roomAnswer(r, start, from, typ)
		return
	case typ == "":
		s.roomAnswer(r, start, from, typ)
	}
	if p, ok := decodePresence(r, start, s.isRoom); ok {
		if p.Room {
			s.noteOccupant(p)
		}
		s.presence.push(p)
	}
}

// serve reads the stream until it ends, then records why.
func (s *Session) serve() {
	err := s.xs.Serve(xmpp.HandlerFunc(s.handle))
	s.conn.Close()
	select {
	case <-s.closing:
		s.err = ErrClosed
	default:
		if err == nil {
			s.err = ErrDisconnected
		} else {
			s.err = fmt.Errorf("%w: %w", ErrDisconnected, err)
		}
	}
	s.inbox.close()
	s.presence.close()
	close(s.done)
}

// Send sends a chat message with body to the bare or full JID to. The
// server stores it if the recipient is offline.
func (s *Session) Send(ctx context.Context, to, body string) error {
	addr, err := jid.Parse(to)
	if err != nil {
		return fmt.Errorf("%w: %q", ErrBadAddress, to)
	}
	return s.send(ctx, addr, stanza.ChatMessage, "", body, false)
}

// send writes a message stanza with body; sealed adds the XEP-0380
// element saying the body is Medihaven's encrypted text.
func (s *Session) send(ctx context.Context, to jid.JID, typ stanza.MessageType, id, body string, sealed bool) error {
	switch {
	case body == "":
		return ErrEmpty
	case len(body) > MaxBody:
		return fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(body), MaxBody)
	}
	select {
	case <-s.done:
		return s.err
	default:
	}
	msg := stanza.Message{To: to, Type: typ, ID: id}
	var payload xml.TokenReader = xmlstream.Wrap(xmlstream.Token(xml.CharData(body)), xml.StartElement{Name: xml.Name{Local: "body"}})
	if sealed {
		payload = xmlstream.MultiReader(emeElement(), payload)
	}
	if err := s.write(ctx, msg.Wrap(payload)); err != nil {
		return fmt.Errorf("xmpp: send to %s: %w", to, err)
	}
	return nil
}

// Ping waits for a round trip to the server. When it returns nil, the
// server has processed everything this session sent before, so a message
// to an offline account is stored. Use it also to check a quiet session.
func (s *Session) Ping(ctx context.Context) error {
	// Stop waiting for the answer when the stream ends.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-s.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	mctx, done := call(ctx)
	err := ping.Send(mctx, s.xs, s.xs.LocalAddr().Domain())
	done()
	select {
	case <-s.done:
		return s.err
	default:
	}
	if err != nil {
		return fmt.Errorf("xmpp: ping: %w", err)
	}
	s.ackNow()
	return nil
}

// ackNow writes a whitespace keepalive (RFC 6120 §4.6.1), so that this
// side's TCP acknowledges what it just read at once. A server with Nagle's
// algorithm on (Prosody's default) holds its next small write to us until
// the previous one is acknowledged, and a reader with nothing to send
// delays that acknowledgement by up to 40 ms: after a ping's answer, the
// next message to arrive would wait that long.
func (s *Session) ackNow() {
	w := s.xs.TokenWriter()
	defer w.Close()
	if err := w.EncodeToken(xml.CharData(" ")); err == nil {
		w.Flush() //nolint:errcheck // a broken stream shows in Done
	}
}

// JID returns the full JID the server bound for this session.
func (s *Session) JID() string {
	return s.xs.LocalAddr().String()
}

// Done is closed when the session has ended, by Close or because the
// server or the network ended it; then Err says why. Messages already
// received may still be handed to onMessage after Done is closed.
func (s *Session) Done() <-chan struct{} {
	return s.done
}

// Dropped reports how many received messages the session dropped
// because more than MaxInbox (or MaxInboxBytes of bodies) waited for
// onMessage. The server's archive still has those it archived.
func (s *Session) Dropped() int64 { return s.inbox.dropped.Load() }

// Err returns nil while the session runs; after Done is closed, ErrClosed
// if Close ended it, otherwise an error wrapping ErrDisconnected.
func (s *Session) Err() error {
	select {
	case <-s.done:
		return s.err
	default:
		return nil
	}
}

// Close ends the session: it closes the stream, waits briefly for the
// server to close its side, and closes the connection. It is safe to call
// more than once.
func (s *Session) Close() error {
	select {
	case <-s.done: // already ended; Err says why
		return nil
	default:
	}
	var err error
	s.closeOnce.Do(func() {
		close(s.closing)
		err = s.xs.Close()
		select {
		case <-s.done:
		case <-time.After(closeWait):
			s.conn.Close()
			<-s.done
		}
	})
	if err != nil && !errors.Is(err, net.ErrClosed) && !errors.Is(err, io.EOF) {
		return fmt.Errorf("xmpp: close: %w", err)
	}
	return nil
}

// login is SASL authentication that tells a refused password (ErrAuth)
// from a broken connection.
func login(password string, register bool, reg *registration) xmpp.StreamFeature {
	feature := xmpp.SASL("", password, sasl.ScramSha256, sasl.ScramSha1, sasl.Plain)
	negotiate := feature.Negotiate
	feature.Negotiate = func(ctx context.Context, s *xmpp.Session, data any) (xmpp.SessionState, io.ReadWriter, error) {
		if reg.err != nil {
			// mellium went on after the registration failed; trying the
			// password would only hide why.
			return 0, nil, reg.err
		}
		mask, rw, err := negotiate(ctx, s, data)
		switch {
		case err == nil || brokenConnection(ctx, err):
		case register && !reg.offered:
			err = fmt.Errorf("%w: the server does not offer in-band registration: %w", ErrRegister, err)
		default:
			err = fmt.Errorf("%w: %w", ErrAuth, err)
		}
		return mask, rw, err
	}
	return feature
}

// brokenConnection reports whether err is the connection failing rather
// than the server answering.
func brokenConnection(ctx context.Context, err error) bool {
	var netErr net.Error
	return ctx.Err() != nil || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &netErr)
}

// setupError maps a failed session set-up to this package's errors.
func setupError(ctx context.Context, addr string, err error) error {
	var (
		verify    *tls.CertificateVerificationError
		authority x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
	)
	switch {
	case errors.Is(err, ErrAuth), errors.Is(err, ErrRegister), errors.Is(err, ErrInvite):
		return err
	case errors.As(err, &verify), errors.As(err, &authority), errors.As(err, &hostname), errors.As(err, &invalid):
		return fmt.Errorf("%w: %w", ErrTLS, err)
	case ctx.Err() != nil:
		return fmt.Errorf("%w: %s: gave up: %w", ErrUnavailable, addr, ctx.Err())
	default:
		return fmt.Errorf("xmpp: setting up a session with %s: %w", addr, err)
	}
}

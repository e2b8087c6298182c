package app

import (
	"context"
	"errors"
	"fmt"
	"log"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/netsync"
	"github.com/medihaven/medihaven/sync/xmpp"
)

// Who may issue registration tokens on an invite-only clinic server.
//
// Every token carries an account invite that the administrator's
// workstation asks the clinic's XMPP server for (accountInvite), and
// Prosody makes one only for an account with its administrator role. The
// founder's account has it from the server's own invite; every other
// active administrator's workstation gets it from an administrator's
// workstation that is online, which keeps the server's role in step with
// the clinic's directory at its upkeep: the devices of active
// administrators have it, every other member's devices do not (revoked,
// or given another role). The server's module doing it
// (sync/server/mod_medihaven_admins.lua) obeys only accounts that have the
// role already, so a receptionist's workstation can neither make an
// invite nor give itself the right to.

// serverAdminsWait bounds one round of keepServerAdmins.
const serverAdminsWait = 8 * time.Second

// serverAdmins is what a session remembers of the role it last set on
// the server: the wanted roles, as text, once the server took them.
type serverAdmins struct {
	mu   sync.Mutex
	done string
}

func (a *serverAdmins) Forget() {
	a.mu.Lock()
	a.done = ""
	a.mu.Unlock()
}

// keepServerAdmins gives the server's administrator role to the devices of
// the clinic's active administrators and takes it from every other
// member's, when this is an administrator's workstation on an
// invite-only server and the directory changed since it last did.
func (s *Session) keepServerAdmins(ctx context.Context) error {
	prof := s.Profile() // a copy: the settings screen may change it meanwhile
	v := prof.Servers
	cfg, online := v.config()
	if !online || !v.InviteOnly {
		return nil
	}
	r, err := s.live()
	if err != nil {
		return err
	}
	// The directory's word, not the session's: a role changed since login
	// counts at once.
	if m, ok := r.Member(r.Fingerprint()); !ok || !m.Active() || m.Role != roles.Administrator {
		return nil
	}
	want := map[string]bool{}
	for _, m := range r.Members() {
		for _, d := range m.Devices {
			want[d] = want[d] || (m.Active() && m.Role == roles.Administrator)
		}
	}
	delete(want, prof.Device) // this workstation's own role is not its to change
	text := wantedText(want)
	part := Core{s}.Part("server-admins", func() Part { return &serverAdmins{} }).(*serverAdmins)
	part.mu.Lock()
	defer part.mu.Unlock()
	if part.done == text {
		return nil
	}
	pass, err := workstation{s}.XMPPPassword(ctx)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, joinTimeout)
	defer cancel()
	if err := netsync.SetServerAdmins(ctx, cfg, prof.Device, pass, want); err != nil {
		if errors.Is(err, xmpp.ErrNotServerAdmin) {
			// Not given the role yet: another administrator's workstation
			// does it at its next upkeep.
			return nil
		}
		return fmt.Errorf("app: give the clinic's administrators the right to invite on the chat server: %w", err)
	}
	part.done = text
	return nil
}

// wantedText is want in a canonical text form.
func wantedText(want map[string]bool) string {
	ds := make([]string, 0, len(want))
	for d, admin := range want {
		ds = append(ds, fmt.Sprintf("%s=%v", d, admin))
	}
	sort.Strings(ds)
	return strings.Join(ds, ",")
}

// logServerAdmins runs keepServerAdmins and logs what went wrong: it is
// upkeep, which the next round retries. A server that does not answer
// holds up a revocation at most serverAdminsWait.
func (s *Session) logServerAdmins(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, serverAdminsWait)
	defer cancel()
	if err := s.keepServerAdmins(ctx); err != nil && !errors.Is(err, ErrLocked) {
		log.Printf("medihaven: %v", err)
	}
}

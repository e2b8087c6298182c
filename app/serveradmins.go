package app

import (
	"context"
	"errors"
	"fmt"
	"log"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/netsync"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
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
//
// The same upkeep ends the server accounts of every device of every
// revoked member (not of a member given another role): the module deletes
// each account, and Prosody closes its live sessions at once, so the
// revoked member's workstations leave the sync and chat rooms, see no
// announcement and post no chat any more; their sync says
// netsync.AccessEnded. Only on invite-only servers: on a loopback demo's
// open registration a workstation would make its account again at its
// next connect, so nothing is ended there. Ending an account makes the
// server write a new Kubo API secret, which only the accounts left can ask
// for (sync/server's rotate.go); so the same upkeep ends the accounts of
// refused newcomers too (refusedDevices).

// serverAdminsWait bounds one round of keepServerAdmins.
const serverAdminsWait = 8 * time.Second

// serverAdmins is what a session remembers of what it last asked of the
// server: the wanted roles and the accounts to end, as text, once the
// server did it (or, for accounts, said it cannot: logged once).
type serverAdmins struct {
	mu   sync.Mutex
	done string
}

// Forget drops what was asked, so the next upkeep asks again.
func (a *serverAdmins) Forget() {
	a.mu.Lock()
	a.done = ""
	a.mu.Unlock()
}

// keepServerAdmins gives the server's administrator role to the devices of
// the clinic's active administrators and takes it from every other
// member's, then ends the accounts of revoked members' devices, when this
// is an administrator's workstation on an invite-only server and the
// directory changed since it last did.
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
			if replica.ValidDevice(d) {
				want[d] = want[d] || (m.Active() && m.Role == roles.Administrator)
			}
		}
	}
	delete(want, prof.Device) // this workstation's own role is not its to change
	ended := endedDevices(r.Members(), prof.Device, func(device string) string {
		fp, err := r.DeviceAuthor(ctx, device)
		if err != nil {
			return "?" // unknown: nobody's to end
		}
		return fp
	})
	refused, err := s.refusedDevices(ctx, r)
	if err != nil {
		return err
	}
	ended = mergeEnded(ended, refused, want)
	invites, done, err := s.spentInvites(ctx, r)
	if err != nil {
		return err
	}
	text := wantedText(want) + ";ended=" + strings.Join(ended, ",") + ";uninvite=" + strings.Join(done, ",")
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
	err = netsync.KeepServerAccounts(ctx, cfg, prof.Device, pass, want, ended, invites)
	switch {
	case errors.Is(err, xmpp.ErrNotServerAdmin):
		// Not given the role yet: another administrator's workstation
		// does it at its next upkeep.
		return nil
	case errors.Is(err, xmpp.ErrNoServerCommand):
		// The roles are set; the server runs an older module. Said once
		// per change, not at every upkeep: restarting the server with
		// this version's `medihaven server` (or a new change) asks again.
		part.done = text
		return fmt.Errorf("app: revoked members' workstations keep their chat accounts until the clinic's server runs a newer `medihaven server`: %w", err)
	case err != nil:
		return fmt.Errorf("app: keep the chat server's accounts in step with the staff directory (administrators may invite, revoked members are out): %w", err)
	}
	part.done = text
	s.forgetInvites(ctx, done)
	return nil
}

// endedDevices returns, sorted, the devices of revoked members whose
// server accounts are to end: those their directory entries name, and
// those their revocation stopped (RevokedHeads: an entry written before
// devices were named names none), never a device an active member names,
// nor one whose events here are another member's who is not revoked
// (authorOf: the chains' word, for entries that name no devices), nor own
// (this workstation's). A member given another role is not revoked. Only
// well-formed device ids count (replica.ValidDevice): entries are an
// administrator's word, and a name the server would read as another
// account (another case of an active member's device) or cannot read at
// all must neither end that account nor stop the upkeep.
func endedDevices(members []replica.Member, own string, authorOf func(device string) string) []string {
	active := map[string]bool{own: true}
	revoked := map[string]bool{}
	for _, m := range members {
		if m.Active() {
			for _, d := range m.Devices {
				active[d] = true
			}
		}
		if m.Revoked() {
			revoked[m.Fingerprint] = true
		}
	}
	var ended []string
	for _, m := range members {
		if !m.Revoked() {
			continue
		}
		devices := slices.Clone(m.Devices)
		for d := range m.RevokedHeads {
			devices = append(devices, d)
		}
		for _, d := range devices {
			if !replica.ValidDevice(d) || active[d] {
				continue
			}
			active[d] = true // once, if named twice
			if a := authorOf(d); a != "" && a != m.Fingerprint && !revoked[a] {
				continue // a fake entry naming a colleague's workstation (session 13 review, O2)
			}
			ended = append(ended, d)
		}
	}
	sort.Strings(ended)
	return ended
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

// refusedDevices are the devices of newcomers whose requests are refused
// for good (their token revoked, as Refuse does, used by another or
// expired) and who are not in the directory: each made a server account
// with her token's invite and holds the Kubo API secret it carried, and
// the server tells the current one to any account it has
// (urn:medihaven:kubo#secret), so her account ends like a revoked
// member's, and the server makes a new secret (h-sec20d,
// TestAttackS20dRefusedNewcomerKeepsTheKuboSecret). A request's device is
// its author's chain, never a member's.
func (s *Session) refusedDevices(ctx context.Context, r *replica.Replica) ([]string, error) {
	requests, err := s.requests(ctx, r)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range requests {
		if _, member := r.Member(e.Author); member || !replica.ValidDevice(e.Device) {
			continue
		}
		a, _, _ := s.judge(ctx, r, e)
		if errors.Is(a.Err, ErrTokenRevoked) || errors.Is(a.Err, ErrTokenUsed) || errors.Is(a.Err, ErrTokenExpired) {
			out = append(out, e.Device)
		}
	}
	return out, nil
}

// mergeEnded adds to ended, sorted and once each, the refused newcomers'
// devices no member's entry names (want holds every named device but
// this workstation's own, left out of refused by being a member's).
func mergeEnded(ended, refused []string, want map[string]bool) []string {
	for _, d := range refused {
		if _, named := want[d]; !named && !slices.Contains(ended, d) {
			ended = append(ended, d)
		}
	}
	sort.Strings(ended)
	return ended
}

// secretInvite prefixes the names of the account invites this
// workstation's tokens carry, kept sealed with the device key by token id.
const secretInvite = "invite/"

// keepInvite keeps the account invite of the token id, sealed.
func (s *Session) keepInvite(ctx context.Context, id, invite string) error {
	if err := s.keepSealed(ctx, secretInvite+id, []byte(invite)); err != nil {
		return fmt.Errorf("app: keep the token's account invite: %w", err)
	}
	return nil
}

// spentInvites are the account invites this workstation's tokens carry
// that the server is to forget (their tokens revoked or expired: whoever
// holds one could make an account with it for as long as the server's
// invite lasts, 7 days, which writes no request, so no upkeep would end it,
// and which reads the Kubo API secret: h-sec20d, S20d-2), and the ids of
// the tokens kept here for nothing more (those and the used ones).
func (s *Session) spentInvites(ctx context.Context, r *replica.Replica) (invites, done []string, err error) {
	var kept map[string][]byte
	if err := s.db.View(ctx, func(tx *store.Tx) error {
		kept, err = tx.SecretsWithPrefix(ctx, secretInvite)
		return err
	}); err != nil {
		return nil, nil, err
	}
	dk := s.deviceKey()
	for name, sealed := range kept {
		id := strings.TrimPrefix(name, secretInvite)
		t, err := s.token(ctx, r, id)
		if err != nil || t.Status == TokenActive {
			continue // not arrived, or still valid
		}
		if t.Status != TokenUsed {
			invite, err := dk.Open(sealed, []byte(name))
			if err != nil {
				continue
			}
			invites = append(invites, string(invite))
		}
		done = append(done, id)
	}
	sort.Strings(done)
	return invites, done, nil
}

// forgetInvites drops the invites of the tokens ids, which the server
// forgot (or which were used).
func (s *Session) forgetInvites(ctx context.Context, ids []string) {
	if len(ids) == 0 {
		return
	}
	_ = s.db.Update(ctx, func(tx *store.Tx) error { //nolint:errcheck // asked again at the next upkeep
		for _, id := range ids {
			if err := tx.DeleteSecret(ctx, secretInvite+id); err != nil {
				return err
			}
		}
		return nil
	})
}

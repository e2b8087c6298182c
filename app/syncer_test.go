package app

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/medihaven/medihaven/internal/testkit"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/netsync"
	"github.com/medihaven/medihaven/sync/synctest"
)

// netClinic is a clinic whose workstations sync over a real Kubo and a real
// Prosody on loopback.
type netClinic struct {
	env    Env
	clock  *clock
	dir    string
	kubo   *synctest.Kubo
	xmpp   *synctest.Prosody
	admin  *Session
	recep  *Session
	phys   *Session
	syncer map[*Session]*netsync.Syncer
}

func (c *netClinic) config() netsync.Config { return testkit.SyncConfig(c.kubo, c.xmpp) }

func (c *netClinic) start(t testing.TB, s *Session) {
	t.Helper()
	y, err := s.StartSync(context.Background(), c.config(), nil)
	if err != nil {
		t.Fatal(err)
	}
	c.syncer[s] = y
	t.Cleanup(y.Stop)
}

var waitFor = synctest.WaitFor

// newNetClinic creates an administrator, then a receptionist and a physician
// who redeem tokens on their own workstations; enrollment, admission and
// grants travel over IPFS and XMPP only.
func newNetClinic(t testing.TB) *netClinic {
	t.Helper()
	ctx := context.Background()
	env, clk := testEnv(t)
	c := &netClinic{env: env, clock: clk, dir: t.TempDir(), kubo: synctest.StartKubo(t), xmpp: synctest.StartProsody(t),
		syncer: map[*Session]*netsync.Syncer{}}
	c.env.Now = time.Now // the network has its own clocks
	var err error
	c.admin, err = CreateClinic(ctx, c.env, NewClinic{Dir: filepath.Join(c.dir, "admin"), Clinic: "Net Clinic", Admin: "Ada Admin",
		Passphrase: []byte(testPass), Servers: Servers{IPFS: c.kubo.API, XMPP: c.xmpp.Addr, Domain: c.xmpp.Domain}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.admin.Close() })
	c.start(t, c.admin)
	c.recep = c.join(t, "Rita Reception", roles.Receptionist)
	c.phys = c.join(t, "Dr Paul Physician", roles.Physician)
	c.confirm(t, c.recep, c.phys)
	for _, s := range []*Session{c.recep, c.phys} {
		s := s
		waitFor(t, s.StaffName()+" admitted and granted", 30*time.Second, func() bool {
			r, err := s.Replica()
			return err == nil && r.Holds(roles.FrontDesk) && len(r.Members()) == 3
		})
	}
	// The first physician makes the clinical key once her sync has caught
	// up (firstkey.go).
	waitFor(t, "the physician's clinical key", 30*time.Second, func() bool {
		r, err := c.phys.Replica()
		return err == nil && r.Holds(roles.Clinical)
	})
	return c
}

// join has a newcomer redeem a token of the administrator's on her own
// workstation, which syncs over c's servers.
func (c *netClinic) join(t testing.TB, name string, role roles.Role) *Session {
	t.Helper()
	s, tok := redeemToken(t, c.env, c.admin, filepath.Join(c.dir, name), name, role)
	if tok.IPFS != c.kubo.API || tok.XMPP != c.xmpp.Addr {
		t.Fatalf("token carries servers %q %q", tok.IPFS, tok.XMPP)
	}
	c.start(t, s)
	return s
}

// confirm waits until a's and b's workstations know both members and hold
// the directory key, then has them confirm each other in person
// (ConfirmEachOther): the front desk's key passes between them.
func (c *netClinic) confirm(t testing.TB, a, b *Session) {
	t.Helper()
	for _, s := range []*Session{a, b} {
		waitFor(t, s.StaffName()+" admitted", 30*time.Second, func() bool {
			r, err := s.Replica()
			if err != nil || !r.Holds(roles.Directory) {
				return false
			}
			ma, okA := r.Member(a.Fingerprint())
			mb, okB := r.Member(b.Fingerprint())
			return okA && okB && ma.Active() && mb.Active()
		})
	}
	if err := ConfirmEachOther(context.Background(), a, b); err != nil {
		t.Fatal(err)
	}
}

func TestNetworkEnrollmentAndBooking(t *testing.T) {
	ctx := context.Background()
	c := newNetClinic(t)
	rp, _ := c.phys.Replica()
	waitFor(t, "physician holds clinical", 10*time.Second, func() bool { return rp.Holds(roles.Clinical) })
	ra, _ := c.admin.Replica()
	if ra.Holds(roles.FrontDesk) || ra.Holds(roles.Clinical) {
		t.Fatal("the administrator holds patient keys")
	}
	p, err := c.recep.RegisterPatient(ctx, Patient{Family: "Networked", Given: "Nina", Birth: "1975-04-05", Phone: "555 123 456"})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	if _, err := book(ctx, c.recep, Appointment{Patient: p.ID, Physician: c.phys.Fingerprint(), Start: start, Minutes: 15, Reason: "check-up"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the booking in the physician's calendar", 20*time.Second, func() bool {
		cal, err := dayOf(ctx, c.phys, c.phys.Fingerprint(), start)
		return err == nil && len(cal) == 1 && cal[0].Patient == p.ID
	})
	for s, y := range c.syncer {
		if ps := y.Problems(); len(ps) > 0 {
			t.Errorf("%s: sync problems: %v", s.StaffName(), ps)
		}
	}
}

package recovery

// Attack tests of issue 13, finding 5: a revoked administrator keeps
// reading through recovery. The attackers here are administrators (or a
// receptionist) whose workstations sign whatever they like with their own
// keys, or that kept every byte they ever saw; every defence is checked on
// every honest workstation.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/internal/testkit"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// recoveryClinic is the test clinic with three administrators (Ada, Ben,
// Cleo), recovery set up two of three by Ada, a patient with a note, and
// every key escrowed.
func recoveryClinic(t *testing.T) (c *apptest.Clinic, ben, cleo *app.Session, everyone []*app.Session, patient string) {
	t.Helper()
	c, ben, cleo, everyone, patient = splitClinic(t, "Escrow")
	approveSplit(t, c.Phys, everyone...)
	return c, ben, cleo, everyone, patient
}

// splitClinic is recoveryClinic before the physician approves Ada's
// split: nothing escrowed yet. The patient's family name is family.
func splitClinic(t *testing.T, family string) (c *apptest.Clinic, ben, cleo *app.Session, everyone []*app.Session, patient string) {
	t.Helper()
	ctx := context.Background()
	c = newClinic(t)
	ben = c.Join(t, "Ben Admin", roles.Administrator)
	cleo = c.Join(t, "Cleo Admin", roles.Administrator)
	everyone = append(c.All(), ben, cleo)
	mustSync(t, everyone...)
	p, err := c.Recep.RegisterPatient(ctx, app.Patient{Family: family, Given: "Erin", Birth: "1961-02-03"})
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, everyone...)
	if _, err := chart.New(c.Phys.Core()).WriteNote(ctx, chart.Note{Patient: p.ID, Assessment: "words only a physician reads"}); err != nil {
		t.Fatal(err)
	}
	if _, err := New(c.Admin.Core()).Split(ctx, 2); err != nil {
		t.Fatal(err)
	}
	mustSync(t, everyone...)
	return c, ben, cleo, everyone, p.ID
}

// pooledKeys is what the holders of identities (fingerprint → identity)
// rebuild by pooling every share sealed to them, of every escrow in r's
// store (every byte the clinic published). Like an attacker, it ignores
// thresholds and commitments: whatever the shares combine to is tried.
func pooledKeys(t *testing.T, r *replica.Replica, holders map[string]*crypto.Identity) []crypto.ScopeKey {
	t.Helper()
	escrows, err := escrowsFor(context.Background(), r, "")
	if err != nil {
		t.Fatal(err)
	}
	var out []crypto.ScopeKey
	for _, e := range escrows {
		var parts []crypto.Share
		for fp, id := range holders {
			plain, err := shareOf(r, e, id, fp)
			if err != nil {
				continue
			}
			label := shareLabel(e.Policy, e.Scope, e.Epoch)
			if sh, err := crypto.ParseShare(plain[len(label):]); err == nil {
				parts = append(parts, sh)
			}
		}
		secret, err := crypto.CombineShares(parts)
		if err != nil || len(secret) != 32 {
			continue
		}
		k := crypto.ScopeKey{Scope: e.Scope, Epoch: e.Epoch}
		copy(k.Secret[:], secret)
		out = append(out, k)
	}
	return out
}

// recoveryForger is a member's modified software on a device of its own:
// it signs whatever it likes with the member's key, whatever the rules its
// own replica would enforce on an append.
type recoveryForger struct {
	s       *app.Session
	device  string
	seq     uint64
	prev    string
	lamport uint64
	envs    []*crypto.Envelope
}

// newRecoveryForger starts the device, which administrator admin adds to
// the member's directory entry (sent with the forger's events), with the
// member's public key as its first event as every device does.
func newRecoveryForger(t *testing.T, s, admin *app.Session) *recoveryForger {
	t.Helper()
	return newRecoveryForgerOn(t, s, admin, crypto.NewEventID())
}

// newRecoveryForgerOn is newRecoveryForger on a device id of its choosing.
func newRecoveryForgerOn(t *testing.T, s, admin *app.Session, device string) *recoveryForger {
	t.Helper()
	return startRecoveryForger(t, s, admin, device, true)
}

// newQuietRecoveryForger is newRecoveryForger whose new workstation's
// chain starts at clock 1, below everything the clinic wrote: a chain's
// clocks never go down (session 28), but a workstation her entry names
// late starts a chain at any clock (open, docs/ARCHITECTURE.md).
func newQuietRecoveryForger(t *testing.T, s, admin *app.Session) *recoveryForger {
	t.Helper()
	return startRecoveryForger(t, s, admin, crypto.NewEventID(), false)
}

// startRecoveryForger names device in s's entry and writes its public key
// as its chain's first event: above every head s holds when atHeads, else
// at clock 1.
func startRecoveryForger(t *testing.T, s, admin *app.Session, device string, atHeads bool) *recoveryForger {
	t.Helper()
	f := &recoveryForger{s: s, device: device}
	f.envs = append(f.envs, testkit.AddDevice(t, rep(t, admin), rep(t, s).Fingerprint(), f.device))
	if atHeads {
		heads, err := rep(t, s).Heads(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range heads {
			f.lamport = max(f.lamport, h.Lamport)
		}
	}
	id := rep(t, s).Identity()
	pub, _ := json.Marshal(map[string]string{"pub": base64.StdEncoding.EncodeToString(id.Public().Bytes())})
	f.sign(t, replica.KindKey, replica.ScopePublic, id.Fingerprint(), crypto.ScopeKey{}, pub)
	return f
}

// sign appends an event to the forger's chain: sealed with k, or raw when k
// is the zero key.
func (f *recoveryForger) sign(t *testing.T, kind, scope, entity string, k crypto.ScopeKey, payload []byte) {
	t.Helper()
	f.signID(t, crypto.NewEventID(), kind, scope, entity, k, payload)
}

// signID is sign with the event id the forger chooses (a copy of another's).
func (f *recoveryForger) signID(t *testing.T, eventID, kind, scope, entity string, k crypto.ScopeKey, payload []byte) {
	t.Helper()
	id := rep(t, f.s).Identity()
	f.seq++
	f.lamport++
	h := crypto.Header{ID: eventID, Entity: entity, Kind: kind, Scope: scope, Epoch: k.Epoch, Author: id.Fingerprint(),
		Device: f.device, Seq: f.seq, Lamport: f.lamport, Prev: f.prev, Time: f.s.Core().Now().UnixMilli()}
	var env *crypto.Envelope
	var err error
	if k.Scope == "" {
		env, err = crypto.SealRaw(h, payload, id)
	} else {
		env, err = crypto.Seal(h, payload, k, id)
	}
	if err != nil {
		t.Fatal(err)
	}
	f.prev = env.Hash()
	f.envs = append(f.envs, env)
}

// send hands the forger's events to each workstation, as the network would.
func (f *recoveryForger) send(t *testing.T, to ...*app.Session) {
	t.Helper()
	raws := make([][]byte, len(f.envs))
	for i, e := range f.envs {
		raws[i] = e.Raw
	}
	for _, s := range to {
		if _, err := rep(t, s).Apply(context.Background(), raws); err != nil {
			t.Fatal(err)
		}
	}
}

// forgeRecovery has s's modified software write a recovery record signed
// with s's own key, and hands it to every workstation of to (the first an
// administrator's).
func forgeRecovery(t *testing.T, s *app.Session, threshold int, admins []string, to ...*app.Session) {
	t.Helper()
	r := rep(t, s)
	slices.Sort(admins)
	p := recoveryPolicy{id: app.NewID(16), threshold: threshold, admins: admins, setBy: r.Fingerprint(),
		setAt: time.UnixMilli(s.Core().Now().UnixMilli())}
	sig, err := r.Identity().Sign(p.signed())
	if err != nil {
		t.Fatal(err)
	}
	fields, _ := json.Marshal(map[string]any{"id": p.id, "threshold": threshold, "admins": admins,
		"set_by": p.setBy, "set_at": p.setAt.UnixMilli(), "sig": base64.StdEncoding.EncodeToString(sig)})
	k, ok := r.Key(roles.Directory)
	if !ok {
		t.Fatal("no directory key")
	}
	f := newRecoveryForger(t, s, to[0])
	f.sign(t, records.KindRecovery, string(roles.Directory), entityRecovery, k, fields)
	f.send(t, to...)
}

func escrowCount(t *testing.T, s *app.Session) int {
	t.Helper()
	es, err := escrowsFor(context.Background(), rep(t, s), "")
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}

// Attack: 13.5. Cleo, an administrator, is revoked; her workstation kept
// her key and every byte of the clinic's log. Alone, her shares open no
// record at all; even pooled with an active administrator's shares they
// open only records written before her revocation (which started a new
// clinical epoch, escrowed only once the remaining administrators set up
// recovery again, among themselves). Her release, sent after revocation,
// counts on no workstation.
func TestAttackRevokedAdministratorCannotRecoverLaterRecords(t *testing.T) {
	ctx := context.Background()
	c, ben, cleo, everyone, patient := recoveryClinic(t)
	before := note(t, c.Phys, patient, "written while Cleo was an administrator")
	mustSync(t, everyone...)
	cleoR := rep(t, cleo)
	cleoID, cleoFP := cleoR.Identity(), cleoR.Fingerprint()
	if err := c.Admin.RevokeMember(ctx, cleoFP); err != nil {
		t.Fatal(err)
	}
	honest := without(everyone, cleo)
	mustSync(t, honest...)
	after := note(t, c.Phys, patient, "written after Cleo was revoked")
	mustSync(t, honest...)
	if after.Header.Epoch == before.Header.Epoch {
		t.Errorf("revoking an administrator started no new clinical epoch (%d)", after.Header.Epoch)
	}
	ar := rep(t, c.Admin)
	check := func(when string) {
		t.Helper()
		if alone := pooledKeys(t, ar, map[string]*crypto.Identity{cleoFP: cleoID}); opens(alone, before) || opens(alone, after) {
			t.Errorf("%s: Cleo's shares alone open a clinical record", when)
		}
		benR := rep(t, ben)
		pooled := pooledKeys(t, ar, map[string]*crypto.Identity{cleoFP: cleoID, benR.Fingerprint(): benR.Identity()})
		if !opens(pooled, before) {
			t.Fatalf("%s: two administrators' shares do not rebuild the old clinical key: the test proves nothing", when)
		}
		if opens(pooled, after) {
			t.Errorf("%s: Cleo's kept shares, with Ben's, open a record written after her revocation", when)
		}
	}
	check("before a new split")
	// The remaining administrators set up recovery again: the new epoch is
	// escrowed to them only, and still out of Cleo's reach.
	if _, err := New(c.Admin.Core()).Split(ctx, 2); err != nil {
		t.Fatal(err)
	}
	mustSync(t, honest...)
	approveSplit(t, c.Phys, honest...)
	check("after the new split")
	benR := rep(t, ben)
	if ok := pooledKeys(t, ar, map[string]*crypto.Identity{ar.Fingerprint(): ar.Identity(), benR.Fingerprint(): benR.Identity()}); !opens(ok, after) {
		t.Error("after the new split, Ada and Ben together cannot rebuild the new clinical key")
	}
	// Cleo's stale workstation releases her shares to Ada after her
	// revocation: no honest workstation counts them.
	if err := New(cleo.Core()).Release(ctx, c.Admin.Fingerprint()); err != nil {
		t.Fatal(err)
	}
	deliver(t, cleo, honest...)
	if st, err := New(c.Admin.Core()).Status(ctx); err != nil || st.Released != 1 {
		t.Errorf("Ada's shares at hand after Cleo's release: %+v %v, want 1", st, err)
	}
	newcomer := c.Join(t, "Dr Nadia New", roles.Physician)
	mustSync(t, append(honest, newcomer)...)
	if _, err := New(c.Admin.Core()).Recover(ctx, newcomer.Fingerprint()); !errors.Is(err, crypto.ErrTooFewShares) {
		t.Errorf("Ada recovers with a revoked administrator's release: %v, want ErrTooFewShares", err)
	}
}

// Attack: 13.5. Threshold one is refused: when setting up, and on every
// workstation when an administrator's modified software records it; a
// clinic with a single administrator is told to add a second one first.
func TestAttackRecoveryThresholdOneRefused(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	if _, err := New(c.Admin.Core()).Split(ctx, 1); !errors.Is(err, app.ErrInvalidInput) || !strings.Contains(err.Error(), "second administrator") {
		t.Errorf("recovery in a clinic of one administrator: %v", err)
	}
	if st, err := New(c.Admin.Core()).Status(ctx); err != nil || st.Admins != 1 || !strings.Contains(st.Reason, "add a second administrator") {
		t.Errorf("status with one administrator: %+v %v", st, err)
	}
	ben := c.Join(t, "Ben Admin", roles.Administrator)
	everyone := append(c.All(), ben)
	mustSync(t, everyone...)
	for _, k := range []int{-1, 0, 1} {
		if _, err := New(c.Admin.Core()).Split(ctx, k); !errors.Is(err, app.ErrInvalidInput) || !strings.Contains(err.Error(), "at least two") {
			t.Errorf("threshold %d: %v, want a refusal", k, err)
		}
	}
	// Ada's modified software signs a one-of-two record herself.
	forgeRecovery(t, c.Admin, 1, []string{c.Admin.Fingerprint(), ben.Fingerprint()}, everyone...)
	mustSync(t, everyone...)
	for _, s := range everyone {
		var u *untrusted
		if _, err := readRecovery(ctx, rep(t, s)); !errors.As(err, &u) {
			t.Errorf("%s trusts a one-of-two recovery: %v", s.StaffName(), err)
		}
		if n := escrowCount(t, s); n != 0 {
			t.Errorf("%s holds %d escrows to a one-of-two recovery", s.StaffName(), n)
		}
	}
	if st, _ := New(ben.Core()).Status(ctx); st.Set || !st.NeedsNewSplit {
		t.Errorf("Ben's status with a one-of-two record: %+v", st)
	}
}

// Attack: 13.5. No single administrator recovers, not even the one who set
// recovery up: her own shares rebuild nothing, a release she forges in
// another administrator's name is not counted, and a key of her own making
// handed to a physician as "recovered" is not taken (new records would be
// written under it).
func TestAttackSingleAdministratorCannotRecoverAlone(t *testing.T) {
	ctx := context.Background()
	c, ben, _, everyone, patient := recoveryClinic(t)
	env := note(t, c.Phys, patient, "only physicians read this")
	mustSync(t, everyone...)
	ar := rep(t, c.Admin)
	if keys := pooledKeys(t, ar, map[string]*crypto.Identity{ar.Fingerprint(): ar.Identity()}); opens(keys, env) {
		t.Error("Ada's own shares open a clinical record")
	}
	if _, err := New(c.Admin.Core()).Recover(ctx, c.Phys2.Fingerprint()); !errors.Is(err, crypto.ErrTooFewShares) {
		t.Errorf("Ada recovers alone: %v, want ErrTooFewShares", err)
	}
	// A release in Ben's name, sealed by Ada's key.
	escrows, err := escrowsFor(ctx, ar, ar.Fingerprint())
	if err != nil || len(escrows) == 0 {
		t.Fatalf("escrows to Ada: %d %v", len(escrows), err)
	}
	bundle := map[string]string{}
	for _, e := range escrows {
		if plain, err := ownShare(ar, e); err == nil {
			bundle[e.id] = base64.StdEncoding.EncodeToString(plain)
		}
	}
	raw, _ := json.Marshal(bundle)
	selfPub, _ := ar.PublicKey(ar.Fingerprint())
	sealed, err := selfPub.Encrypt(raw, ar.Identity())
	if err != nil {
		t.Fatal(err)
	}
	fields, _ := replica.F(map[string]any{"from": ben.Fingerprint(), "to": ar.Fingerprint(), "shares": base64.StdEncoding.EncodeToString(sealed)})
	if _, err := ar.Append(ctx, replica.Change{Entity: releaseEntity(ben.Fingerprint(), ar.Fingerprint()), Kind: records.KindRecoveryRelease, Scope: roles.Admin, Fields: fields}); err != nil {
		t.Fatal(err)
	}
	mustSync(t, everyone...)
	if st, _ := New(c.Admin.Core()).Status(ctx); st.Released != 1 {
		t.Errorf("a release forged in Ben's name counts: %d shares at hand", st.Released)
	}
	if _, err := New(c.Admin.Core()).Recover(ctx, c.Phys2.Fingerprint()); !errors.Is(err, crypto.ErrTooFewShares) {
		t.Errorf("Ada recovers with a forged release: %v, want ErrTooFewShares", err)
	}
	// A key of Ada's making, handed over against a genuine escrow.
	var clinicalEscrow string
	for _, e := range escrows {
		if e.Scope == string(roles.Clinical) {
			clinicalEscrow = e.id
		}
	}
	fake, err := crypto.NewScopeKey(string(roles.Clinical), 0xfff00001)
	if err != nil {
		t.Fatal(err)
	}
	physPub, _ := ar.PublicKey(c.Phys.Fingerprint())
	grant, err := crypto.SealGrant(fake, physPub, ar.Identity())
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(map[string]any{"grants": []handoverGrant{{Escrow: clinicalEscrow, Grant: base64.StdEncoding.EncodeToString(grant)}}})
	if _, err := ar.Batch().Raw(kindRecoveryHandover, scopeRecovery, handoverEntity(c.Phys.Fingerprint()), payload).Commit(ctx); err != nil {
		t.Fatal(err)
	}
	mustSync(t, everyone...)
	for _, k := range rep(t, c.Phys).Keys(roles.Clinical) {
		if k.Epoch == fake.Epoch {
			t.Fatal("the physician took a clinical key an administrator made up")
		}
	}
	if later := note(t, c.Phys, patient, "after the planted key"); later.Header.Epoch == fake.Epoch {
		t.Error("a new note is written under the administrator's key")
	}
}

// Attack: 13.5. Revoking an administrator who shares the recovery stops
// escrow to that split on every workstation at once (the rule rests on the
// directory), the remaining administrators' screens say to set recovery up
// again, and a new split escrows every key among them only.
func TestAttackAdminRevocationDemandsNewSplit(t *testing.T) {
	ctx := context.Background()
	c, ben, cleo, everyone, _ := recoveryClinic(t)
	old, err := readRecovery(ctx, rep(t, c.Admin))
	if err != nil {
		t.Fatal(err)
	}
	escrowed := escrowCount(t, c.Admin)
	if escrowed == 0 {
		t.Fatal("nothing was escrowed")
	}
	if err := c.Admin.RevokeMember(ctx, ben.Fingerprint()); err != nil {
		t.Fatal(err)
	}
	honest := without(everyone, ben)
	mustSync(t, honest...)
	for _, s := range honest {
		var u *untrusted
		if _, err := readRecovery(ctx, rep(t, s)); !errors.As(err, &u) || u.forged || !strings.Contains(u.reason, "Ben Admin") {
			t.Errorf("%s still trusts the split Ben shares: %v", s.StaffName(), err)
		}
	}
	for _, a := range []*app.Session{c.Admin, cleo} {
		st, err := New(a.Core()).Status(ctx)
		if err != nil || st.Set || !st.NeedsNewSplit || !strings.Contains(st.Reason, "Set up recovery again") {
			t.Errorf("%s's status after Ben's revocation: %+v %v", a.StaffName(), st, err)
		}
	}
	if n := escrowCount(t, c.Admin); n != escrowed {
		t.Errorf("%d escrows after the revocation, want the %d of before: keys went to a split a revoked administrator shares", n, escrowed)
	}
	if _, err := New(c.Admin.Core()).Split(ctx, 2); err != nil {
		t.Fatal(err)
	}
	mustSync(t, honest...)
	approveSplit(t, c.Phys, honest...)
	now, err := readRecovery(ctx, rep(t, c.Admin))
	if err != nil || slices.Contains(now.admins, ben.Fingerprint()) || len(now.admins) != 2 {
		t.Fatalf("the new split: %+v %v", now, err)
	}
	escrows, _ := escrowsFor(ctx, rep(t, c.Admin), "")
	for _, holder := range []*app.Session{c.Phys, c.Phys2, c.Recep} {
		for _, scope := range holder.Role().Scopes() {
			if !slices.Contains(recoverable, scope) {
				continue
			}
			for _, k := range rep(t, holder).Keys(scope) {
				found := false
				for _, e := range escrows {
					if e.author == holder.Fingerprint() && e.Scope == k.Scope && e.Epoch == k.Epoch && e.Policy == now.id {
						found = true
						if e.Shares[ben.Fingerprint()] != "" || len(e.Shares) != 2 {
							t.Errorf("%s's new escrow of %s goes to %d administrators, Ben among them", holder.StaffName(), k, len(e.Shares))
						}
					}
				}
				if !found {
					t.Errorf("%s did not escrow %s to the new split", holder.StaffName(), k)
				}
			}
		}
	}
	for _, e := range escrows {
		if e.Policy == old.id && e.Shares[ben.Fingerprint()] == "" {
			t.Errorf("an escrow to the old split misses Ben: %+v", e.escrowBody)
		}
	}
}

// Attack: 13.5. A recovery record signed by a receptionist, or by an
// administrator since revoked (also one his stale workstation writes after
// the revocation), is trusted by no workstation: no key is escrowed to it.
func TestAttackRecoveryRecordByNonAdminOrRevokedAdminIgnored(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	ben := c.Join(t, "Ben Admin", roles.Administrator)
	everyone := append(c.All(), ben)
	mustSync(t, everyone...)
	forgeRecovery(t, c.Recep, 2, []string{c.Admin.Fingerprint(), c.Recep.Fingerprint()}, everyone...)
	mustSync(t, everyone...)
	for _, s := range everyone {
		if p, err := readRecovery(ctx, rep(t, s)); err == nil {
			t.Errorf("%s trusts a receptionist's recovery record: %+v", s.StaffName(), p)
		}
		if n := escrowCount(t, s); n != 0 {
			t.Errorf("%s holds %d escrows to a receptionist's record", s.StaffName(), n)
		}
	}
	// Ben sets recovery up (a physician approves it), then is revoked.
	if _, err := New(ben.Core()).Split(ctx, 2); err != nil {
		t.Fatal(err)
	}
	mustSync(t, everyone...)
	approveSplit(t, c.Phys, everyone...)
	escrowed := escrowCount(t, c.Admin)
	if escrowed == 0 {
		t.Fatal("nothing escrowed to Ben's genuine split")
	}
	if err := c.Admin.RevokeMember(ctx, ben.Fingerprint()); err != nil {
		t.Fatal(err)
	}
	honest := without(everyone, ben)
	mustSync(t, honest...)
	// His stale workstation, unaware, sets recovery up once more.
	if _, err := New(ben.Core()).Split(ctx, 2); err != nil {
		t.Fatal(err)
	}
	deliver(t, ben, honest...)
	mustSync(t, honest...)
	for _, s := range honest {
		if p, err := readRecovery(ctx, rep(t, s)); !errors.Is(err, ErrUntrusted) {
			t.Errorf("%s trusts a record of a revoked administrator: %+v %v", s.StaffName(), p, err)
		}
		if n := escrowCount(t, s); n != escrowed {
			t.Errorf("%s holds %d escrows, want the %d from before Ben's revocation", s.StaffName(), n, escrowed)
		}
	}
	if st, _ := New(c.Admin.Core()).Status(ctx); st.Set || !st.NeedsNewSplit {
		t.Errorf("Ada's status: %+v", st)
	}
}

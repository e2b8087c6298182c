package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
)

// Upkeep is what Maintain did.
type Upkeep struct {
	Admitted []Admission // administrators only
	Granted  int         // grants written
	// Confirmed: colleagues this physician confirmed at the upgrade to
	// confirmations, and confirmations of an older version's form carried
	// over in the form that names the colleague's admission
	// (colleagues.go), once.
	Confirmed int
	Created   []roles.Scope
	Rotated   []roles.Scope
}

// Maintain does the key work that falls to this workstation after new
// events arrived: an administrator admits enrollment requests; every
// workstation grants the scope keys it holds to members entitled to them
// who lack them (the clinical key only to physicians confirmed in person:
// colleagues.go), creates the first key of a scope when the directory
// names this member to and the clinic has none (firstkey.go), and starts a
// new epoch of a scope after a member who held it was revoked. It is
// idempotent; run it after each sync.
func (s *Session) Maintain(ctx context.Context) (Upkeep, error) {
	var u Upkeep
	r, err := s.live()
	if err != nil {
		return u, err
	}
	// The store seal's generation into the keyring now and then, and the
	// audit of an altered store once it may write (storeseal.go).
	s.sealDue(ctx, r)
	s.auditAltered(ctx, r)
	if s.role.Can(roles.AdmitStaff) && r.Holds(roles.Admin) {
		if u.Admitted, err = s.Admit(ctx); err != nil {
			return u, err
		}
	}
	m, ok := r.Member(r.Fingerprint())
	if !ok || !m.Active() {
		return u, nil // not admitted (yet), or no longer: nothing to grant or create
	}
	// The directory's role, which an administrator may have changed since
	// this session began (ChangeRole): the keys follow it at once.
	role := m.Role
	if err := s.learnClinicName(ctx, r); err != nil {
		return u, err
	}
	// Before any key is judged exposed: a profile from before colleagues'
	// confirmations confirms those it shared the clinical key with.
	if u.Confirmed, err = s.confirmFormerColleagues(ctx, r, role); err != nil {
		return u, err
	}
	if m.HistoryForked() {
		// Administrators recorded changes of her role that disagree:
		// her grants and new epochs would be refused everywhere
		// (replica's rolecells.go). The keys held are still said.
		if _, err := r.AcknowledgeKeys(ctx); err != nil {
			return u, err
		}
		return u, fmt.Errorf("%w, so this workstation hands on and starts no key; ask an administrator to revoke this access and issue you a new token", ErrRoleDisputed)
	}
	var rotateErr error
	for _, scope := range role.Scopes() {
		created, err := s.createScope(ctx, r, role, scope)
		if err != nil {
			return u, err
		}
		if created {
			u.Created = append(u.Created, scope)
		}
		// A key that cannot be rotated (ErrNoEpoch) must not stop the
		// grant pass: colleagues still get the keys held.
		rotated, err := s.rotate(ctx, r, scope)
		if err != nil && rotateErr == nil {
			rotateErr = fmt.Errorf("app: new %s key: %w", scope, err)
		}
		if rotated {
			u.Rotated = append(u.Rotated, scope)
		}
	}
	// Tell the others which keys this workstation holds: they count a
	// member as granted only once it says so (replica.Granted).
	acked, err := r.AcknowledgeKeys(ctx)
	if err != nil {
		return u, err
	}
	u.Granted += acked
	// Tell the others which heads of their chains this workstation holds
	// (at most once per 10 minutes): the branch of a chain the clinic
	// witnessed stands if its member forks it later (replica's witness.go).
	if _, err := r.Witness(ctx); err != nil && !errors.Is(err, replica.ErrForked) {
		return u, fmt.Errorf("app: witness heads: %w", err)
	}
	b := r.Batch()
	for _, scope := range role.Scopes() {
		for _, m := range r.Members() {
			// Active, of a role holding scope and, for the clinical key,
			// confirmed in person by colleagues (replica.MayGrant).
			if m.Fingerprint == r.Fingerprint() || !r.MayGrant(scope, m.Fingerprint) {
				continue
			}
			if _, ok := r.PublicKey(m.Fingerprint); !ok {
				continue
			}
			for _, k := range r.Keys(scope) {
				// Only a key from a trusted source is handed on
				// (replica.Trusted): one an older version kept from a
				// stranger may not open what the epoch sealed.
				if !r.Granted(m.Fingerprint, scope, k.Epoch) && r.Trusted(scope, k.Epoch) {
					b.Grant(k, m.Fingerprint)
				}
			}
		}
	}
	u.Granted = b.Len()
	if _, err := b.Commit(ctx); err != nil {
		return u, fmt.Errorf("app: grant keys: %w", err)
	}
	// The domain packages' upkeep (app/recovery: escrow keys, take keys
	// administrators recovered for this member).
	for _, step := range s.env.Upkeep {
		n, err := step(ctx, s.Core(), r)
		u.Granted += n
		if err != nil {
			return u, errors.Join(rotateErr, err)
		}
	}
	return u, rotateErr
}

// createScope makes the first key of a scope this role creates, when this
// workstation holds none and the clinic has none yet as far as every
// workstation can tell (firstkey.go, mayMakeFirstKey): this member is the
// one the directory names to make it, and no trace of the scope exists in
// the clinic's log (no grant, no data) by a member it could take the key
// from (scopeTraced).
func (s *Session) createScope(ctx context.Context, r *replica.Replica, role roles.Role, scope roles.Scope) (bool, error) {
	if r.Holds(scope) || !role.Creates(scope) || !s.mayMakeFirstKey(r, scope) {
		return false, nil
	}
	seen, err := scopeTraced(ctx, r, scope)
	if err != nil || seen {
		return false, err
	}
	_, err = r.NewEpoch(ctx, scope)
	return err == nil, err
}

// scopeTraced reports whether the clinic's log holds an envelope of scope
// by a member whose key of it this workstation would wait for. For a scope
// that needs confirmation, once this workstation reaches a colleague by
// confirmations, a trace counts only when its author is a member it
// reaches (replica.Reaches, whatever her status now, as keysource takes
// grants) or one some member confirmed (vouched): an unconfirmed stand-in
// who wrote first holds a key nobody takes from her, and her trace must not
// stop the clinic's confirmed members from making the first key they share
// (session 12 review, finding 5), while newcomers who confirmed only each
// other still wait for the clinic's confirmed physicians rather than start
// a key line of their own. A workstation that reaches nobody yet counts
// anyone's trace: it waits for a colleague's confirmation. A physician who
// waits runs this at every sync, in a clinic of millions of envelopes: one
// query that stops at the first envelope of the scope, then one per counted
// member's device (store.AnyInScopeBy), not a read of them all.
func scopeTraced(ctx context.Context, r *replica.Replica, scope roles.Scope) (bool, error) {
	var seen bool
	err := r.DB().View(ctx, func(tx *store.Tx) (err error) {
		if seen, err = tx.AnyInScope(ctx, string(scope)); err != nil || !seen || !roles.NeedsConfirmation(scope) {
			return err
		}
		if len(r.Reaches(scope, r.Fingerprint())) <= 1 {
			return nil
		}
		seen, err = tx.AnyInScopeBy(ctx, string(scope), vouched(r, scope))
		return err
	})
	return seen, err
}

// vouched returns the members this workstation reaches by the
// confirmations that count for scope, and those any member reaches (some
// member confirmed them), with the devices their entries name.
func vouched(r *replica.Replica, scope roles.Scope) map[string][]string {
	by := map[string][]string{}
	add := func(fp string) {
		if _, ok := by[fp]; !ok {
			m, _ := r.Member(fp)
			by[fp] = m.Devices
		}
	}
	for fp := range r.Reaches(scope, r.Fingerprint()) {
		add(fp)
	}
	for fp := range r.Vouched(scope) {
		add(fp)
	}
	return by
}

// rotate starts a new epoch of scope when every key of it this
// workstation holds could be known to a member who may no longer read the
// scope: one revoked, or moved to a role without it (replica.RetireExposed
// decides from the grant headers, key-held records and directory every
// workstation has, not from epoch numbers a member could choose). The
// remaining members get it from Maintain's grant pass. (A revoked
// administrator's recovery shares leave no grant header: app/recovery's
// upkeep starts new epochs of the scopes it escrows for her.)
func (s *Session) rotate(ctx context.Context, r *replica.Replica, scope roles.Scope) (bool, error) {
	if !r.Holds(scope) {
		return false, nil
	}
	fresh, err := r.RetireExposed(ctx, scope)
	if err != nil || fresh {
		return false, err
	}
	if _, err := r.NewEpoch(ctx, scope); err != nil {
		return false, err
	}
	return true, nil
}

// learnClinicName keeps the clinic's name in a newcomer's profile once the
// directory can be read (a token does not carry it), for the login screen.
func (s *Session) learnClinicName(ctx context.Context, r *replica.Replica) error {
	s.mu.Lock()
	known := s.prof.Clinic != ""
	s.mu.Unlock()
	if known {
		return nil
	}
	kind, st, err := r.Entity(ctx, entityClinic)
	name := records.ClinicFromState(st).Name
	if err != nil || kind != records.KindClinic || name == "" {
		return nil // not arrived yet
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.prof
	p.Clinic = name
	if err := p.write(); err != nil {
		return err
	}
	s.prof = p
	return nil
}

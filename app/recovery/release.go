package recovery

// Release and recover: administrators hand their shares to one coordinator,
// whose workstation rebuilds the escrowed keys and hands them to an
// entitled member (see doc.go for the design).

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
)

func releaseEntity(from, to string) string {
	return roles.ReleasePrefix + from[:min(16, len(from))] + ":" + to[:min(16, len(to))]
}

// Release hands this administrator's shares of every escrowed
// key to the administrator to (fingerprint) who coordinates a recovery:
// they are sealed to that administrator's key, in one release that replaces
// an earlier one to them. Shares escrowed later need a new release. The
// release is audited.
func (s *Service) Release(ctx context.Context, to string) error {
	r, err := s.c.ReplicaFor(roles.SplitRecover)
	if err != nil {
		return err
	}
	m, ok := r.Member(to)
	pub, known := r.PublicKey(to)
	switch {
	case !ok || !known || !m.Active() || m.Role != roles.Administrator:
		return fmt.Errorf("%w: shares can only be released to an active administrator", app.ErrInvalidInput)
	case to == r.Fingerprint():
		return fmt.Errorf("%w: your own shares are used already; release them to the administrator who coordinates the recovery", app.ErrInvalidInput)
	}
	escrows, err := escrowsFor(ctx, r, r.Fingerprint())
	if err != nil {
		return err
	}
	shares := map[string]string{}
	released := 0
	for _, e := range escrows {
		plain, err := ownShare(r, e)
		if err != nil {
			continue
		}
		if sh, err := e.parseShare(plain); err == nil {
			clear(sh.Y)
			released++
			shares[e.shareName()] = base64.StdEncoding.EncodeToString(plain)
			// By event id too, for a coordinator's version from before
			// session 19 (the first escrow of the id: a copy comes later).
			if _, ok := shares[e.id]; !ok {
				shares[e.id] = shares[e.shareName()]
			}
		}
		clear(plain)
	}
	if released == 0 {
		return fmt.Errorf("%w: no key has been escrowed to you yet: the receptionists' and physicians' workstations escrow their keys at their next sync once a physician approved the recovery's administrators under Colleagues",
			crypto.ErrTooFewShares)
	}
	bundle, err := json.Marshal(shares)
	clear(shares)
	if err != nil {
		return err
	}
	sealed, err := pub.Encrypt(bundle, r.Identity())
	clear(bundle)
	if err != nil {
		return fmt.Errorf("recovery: seal the recovery shares: %w", err)
	}
	fields, err := records.RecoveryRelease{From: r.Fingerprint(), To: to, Shares: sealed}.Fields()
	if err != nil {
		return err
	}
	batch := r.Batch().Append(replica.Change{Entity: releaseEntity(r.Fingerprint(), to), Kind: records.KindRecoveryRelease, Scope: roles.Admin, Fields: fields})
	if err := s.c.AuditInBatch(r, batch, app.AuditRecord{Action: "recovery.release", Entity: entityRecovery,
		Detail: fmt.Sprintf("released recovery shares of %d escrowed keys to %s", released, m.Name)}); err != nil {
		return err
	}
	if _, err := batch.Commit(ctx); err != nil {
		return fmt.Errorf("recovery: release the recovery shares: %w", err)
	}
	return nil
}

// shareName names escrow e's share in a release: its event id and its
// author. The id alone is not the escrow's: a member can copy it into an
// escrow of her own (a key of her own making), whose share then took the
// real one's place in the release, and the real key was not rebuilt
// (session 19 review h-sec19b). Nobody but the author signs her escrows.
func (e escrow) shareName() string { return e.id + ":" + e.author }

// releasedToMe opens every release to this administrator from another
// active administrator: administrator → escrow (shareName; the event id
// in a release before session 19) → labelled share.
// A revoked administrator's release never counts.
func releasedToMe(ctx context.Context, r *replica.Replica) map[string]map[string][]byte {
	out := map[string]map[string][]byte{}
	rows, err := r.Entities(ctx, records.KindRecoveryRelease)
	if err != nil {
		return out
	}
	for _, e := range rows {
		rel := records.RecoveryReleaseFromState(e.ID, e.State)
		from := rel.From
		m, ok := r.Member(from)
		pub, known := r.PublicKey(from)
		if rel.To != r.Fingerprint() || from == r.Fingerprint() || !ok || !known ||
			!m.Active() || m.Role != roles.Administrator || e.ID != releaseEntity(from, r.Fingerprint()) || len(rel.Shares) == 0 {
			continue
		}
		plain, err := r.Identity().Decrypt(rel.Shares, pub) // signed by from, or refused
		if err != nil {
			continue
		}
		var b64 map[string]string
		err = json.Unmarshal(plain, &b64)
		clear(plain)
		if err != nil {
			continue
		}
		got := map[string][]byte{}
		for id, v := range b64 {
			if raw, err := base64.StdEncoding.DecodeString(v); err == nil {
				got[id] = raw
			}
		}
		out[from] = got
	}
	return out
}

// Handover is what Recover did.
type Handover struct {
	To     string        // the member's name who received the keys
	Scopes []roles.Scope // scopes recovered
	Epochs int           // epoch keys handed over
}

// recovered is one rebuilt key and the escrow that commits to it.
type recovered struct {
	key    crypto.ScopeKey
	escrow string
	// unconfirmed are the authors whose records it was chosen by, when
	// nobody the clinic's first key maker reaches wrote in its epoch
	// (chooseKey): nothing vouches for them but an administrator's word.
	unconfirmed []string
}

// Recover combines, for every escrowed key, this administrator's share
// with the shares other active administrators released to them, checks each
// rebuilt key against its escrow, and grants those the member to (a
// physician or a receptionist, fingerprint) is entitled to. Their
// workstation takes the keys at its next upkeep. The recovery is audited.
func (s *Service) Recover(ctx context.Context, to string) (Handover, error) {
	r, err := s.c.ReplicaFor(roles.SplitRecover)
	if err != nil {
		return Handover{}, err
	}
	m, ok := r.Member(to)
	toPub, known := r.PublicKey(to)
	if !ok || !known || !m.Active() || !(m.Role.Holds(roles.Clinical) || m.Role.Holds(roles.FrontDesk)) {
		return Handover{}, fmt.Errorf("%w: recovered keys can only go to an active physician or receptionist", app.ErrInvalidInput)
	}
	keys, admins, disputed, err := rebuildAll(ctx, r)
	defer func() {
		for i := range keys {
			clear(keys[i].key.Secret[:])
		}
	}()
	if err != nil {
		return Handover{}, err
	}
	out := Handover{To: m.Name}
	var grants []handoverGrant
	seen := map[roles.Scope]bool{}
	for _, k := range keys {
		scope := roles.Scope(k.key.Scope)
		if !m.Role.Holds(scope) {
			continue
		}
		sealed, err := crypto.SealGrant(k.key, toPub, r.Identity())
		if err != nil {
			return Handover{}, fmt.Errorf("recovery: hand over a recovered key: %w", err)
		}
		grants = append(grants, handoverGrant{Escrow: k.escrow, Grant: base64.StdEncoding.EncodeToString(sealed)})
		if !seen[scope] {
			seen[scope] = true
			out.Scopes = append(out.Scopes, scope)
		}
	}
	if len(grants) == 0 {
		return Handover{}, fmt.Errorf("recovery: no key of a %s was escrowed for recovery yet: nothing to recover", m.Role)
	}
	out.Epochs = len(grants)
	payload, err := json.Marshal(map[string]any{"grants": grants})
	if err != nil {
		return Handover{}, err
	}
	b := r.Batch().Raw(kindRecoveryHandover, scopeRecovery, handoverEntity(to), payload)
	names := make([]string, len(out.Scopes))
	for i, sc := range out.Scopes {
		names[i] = string(sc)
	}
	if err := s.c.AuditInBatch(r, b, app.AuditRecord{Action: "recovery.recover", Entity: entityRecovery,
		Detail: fmt.Sprintf("recovered the %s keys (%d epochs) with %d administrators and handed them to %s",
			strings.Join(names, " and "), out.Epochs, admins, m.Name)}); err != nil {
		return Handover{}, err
	}
	if _, err := b.Commit(ctx); err != nil {
		return Handover{}, fmt.Errorf("recovery: record the recovery: %w", err)
	}
	// An epoch of a scope she is entitled to that was not recovered is
	// said, beside what was (h-sec19b: the screen said the recovery was
	// done, and nobody learned of the false key until no chart opened).
	disputed = slices.DeleteFunc(disputed, func(epoch string) bool {
		scope, _, _ := strings.Cut(epoch, "/")
		return !m.Role.Holds(roles.Scope(scope))
	})
	if len(disputed) > 0 {
		return out, fmt.Errorf("recovered the %s keys (%d epochs) for %s, but not all: %w",
			strings.Join(names, " and "), out.Epochs, m.Name, disputedErr(disputed))
	}
	// An epoch chosen on the word of authors nobody vouches for is said
	// too: they may be the clinic's (a physician who joined after the
	// last one left, whom nobody could confirm) or an administrator's
	// puppets (h-sec20b).
	var unconfirmed []string
	by := map[string]bool{}
	for _, k := range keys {
		if len(k.unconfirmed) > 0 && m.Role.Holds(roles.Scope(k.key.Scope)) {
			unconfirmed = append(unconfirmed, k.key.String())
			for _, a := range k.unconfirmed {
				by[nameOf(r, a)] = true
			}
		}
	}
	if len(unconfirmed) > 0 {
		return out, fmt.Errorf("recovered the %s keys (%d epochs) for %s, but the records of %s were written only by %s, whom no confirmation links to the member who made the clinic's key: "+
			"check in person that they are the clinic's (the audit log shows who escrowed what): %w",
			strings.Join(names, " and "), out.Epochs, m.Name, strings.Join(unconfirmed, ", "), strings.Join(slices.Sorted(maps.Keys(by)), ", "), ErrUnconfirmed)
	}
	return out, nil
}

// disputedErr says which epochs the escrows rebuild no key for that opens
// the records written with it, or several that open as many.
func disputedErr(epochs []string) error {
	slices.Sort(epochs)
	return fmt.Errorf("%w: the escrows of %s rebuild no key that opens the records written with it, or several that open as many: "+
		"a member escrowed a false key (the audit log shows who escrowed what): tell the clinic's security contact",
		ErrDisputed, strings.Join(epochs, ", "))
}

// rebuildKeys rebuilds every escrowed key for which this administrator holds
// enough shares (own and released), one per key, and says how many
// administrators' shares were at hand.
func rebuildKeys(ctx context.Context, r *replica.Replica) ([]recovered, int, error) {
	out, admins, _, err := rebuildAll(ctx, r)
	return out, admins, err
}

// rebuildAll is rebuildKeys, and the epochs whose escrows rebuild keys of
// which none was chosen (chooseKey).
func rebuildAll(ctx context.Context, r *replica.Replica) ([]recovered, int, []string, error) {
	escrows, err := escrowsFor(ctx, r, "")
	if err != nil {
		return nil, 0, nil, err
	}
	released := releasedToMe(ctx, r)
	defer func() {
		for _, got := range released {
			for _, b := range got {
				clear(b)
			}
		}
	}()
	me := r.Fingerprint()
	admins := len(released)
	own := false
	reach, err := clinicReach(ctx, r)
	if err != nil {
		return nil, 0, nil, err
	}
	samples, err := keySamples(ctx, r, reach)
	if err != nil {
		return nil, 0, nil, err
	}
	// Every escrow of an epoch that rebuilds is a candidate: its author
	// wrote its commitment too, so one of a key of her own making rebuilds
	// as well as the real one's (h-sec18c). The real key opens what the
	// clinic wrote in that epoch.
	cands := map[string][]candidate{}
	best, need := 0, 0
	for _, e := range escrows {
		var parts []crypto.Share
		add := func(plain []byte) {
			if sh, err := e.parseShare(plain); err == nil {
				parts = append(parts, sh)
			}
		}
		if e.Shares[me] != "" {
			if plain, err := ownShare(r, e); err == nil {
				own = true
				add(plain)
				clear(plain)
			}
		}
		for from, got := range released {
			// A release before session 19 names its shares by event id alone.
			sh, ok := got[e.shareName()]
			if !ok {
				sh = got[e.id]
			}
			if e.Shares[from] != "" && sh != nil {
				add(sh)
			}
		}
		k, ok := combine(e, parts)
		for _, p := range parts {
			clear(p.Y)
		}
		if ok {
			cands[k.String()] = addCandidate(cands[k.String()], recovered{key: k, escrow: e.id}, samples[k.String()])
		} else if len(parts) > 0 && (len(parts) > best || need == 0) {
			best, need = len(parts), int(parts[0].Threshold)
		}
	}
	var out []recovered
	var disputed []string
	for epoch, cs := range cands {
		k, ok := chooseKey(cs, samples[epoch], reach[roles.Scope(cs[0].key.Scope)])
		if !ok {
			disputed = append(disputed, epoch)
			continue
		}
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b recovered) int { return strings.Compare(a.key.String(), b.key.String()) })
	if own {
		admins++
	}
	if len(out) == 0 {
		if len(disputed) > 0 {
			return nil, admins, disputed, fmt.Errorf("%w: %w", crypto.ErrTooFewShares, disputedErr(disputed))
		}
		if need == 0 {
			return nil, admins, nil, fmt.Errorf("%w: no key escrowed for recovery holds a share of yours or released to you yet", crypto.ErrTooFewShares)
		}
		return nil, admins, nil, fmt.Errorf("%w: %d of the %d administrators' shares needed are here; ask %d more administrators to release their shares to you",
			crypto.ErrTooFewShares, best, need, need-best)
	}
	return out, admins, disputed, nil
}

// candidate is one key an epoch's escrows rebuild, and the authors some
// of whose sampled records of its epoch it opens.
type candidate struct {
	recovered
	authors map[string]bool
}

// addCandidate adds key k to cs unless it is there already (the escrows of
// several members hold the same key), trying it on samples.
func addCandidate(cs []candidate, k recovered, samples []*crypto.Envelope) []candidate {
	for _, c := range cs {
		if subtle.ConstantTimeCompare(c.key.Secret[:], k.key.Secret[:]) == 1 {
			clear(k.key.Secret[:])
			return cs
		}
	}
	authors := map[string]bool{}
	for _, env := range samples {
		if plain, err := env.Open(k.key); err == nil {
			clear(plain)
			authors[env.Header.Author] = true
		}
	}
	return append(cs, candidate{recovered: k, authors: authors})
}

// chooseKey picks an epoch's key among its candidates: the one that opens
// the records of the most authors, when one does more than every other;
// when none is stored (no samples), the only candidate. An author two
// candidates open records of wrote with a key of her own making beside
// the clinic's, which honest software never does: she counts for neither
// (session 19 review h-sec19b: her one record sealed with her key tied
// her key with the clinic's).
//
// For a scope that needs confirmation, only the authors the clinic's key
// maker reaches count (clinicReach; reaches holds one set for each
// reading of who she is): physicians an administrator admits and nobody
// confirms (puppets) outvoted the clinic's key with records sealed with
// one key of hers (h-sec19b R3, session 20). Each set some of whose
// members wrote in the epoch must choose, and choose the same key. When
// none of them wrote in it, nothing tells the clinic's authors from
// puppets: a key is chosen only if no other candidate opens anyone's
// records, and recovered.unconfirmed says whose word it was; else the
// epoch is disputed. A nil reaches counts every author (a scope without
// confirmations).
func chooseKey(cs []candidate, samples []*crypto.Envelope, reaches []map[string]bool) (recovered, bool) {
	seen := map[string]int{}
	for _, c := range cs {
		for a := range c.authors {
			seen[a]++
		}
	}
	// pick is the candidate that opens the records of more authors counts
	// takes than every other, -1 if none; with only, the one candidate
	// that opens any.
	pick := func(counts func(string) bool, only bool) int {
		chosen, top, tied := -1, 0, false
		for i, c := range cs {
			n := 0
			for a := range c.authors {
				if seen[a] == 1 && counts(a) {
					n++
				}
			}
			switch {
			case n > 0 && only && chosen >= 0:
				return -1
			case n > top:
				chosen, top, tied = i, n, false
			case n == top && n > 0:
				tied = true
			}
		}
		if tied {
			return -1
		}
		return chosen
	}
	everyone := func(string) bool { return true }
	chosen, unconfirmed := -1, false
	switch {
	case len(samples) == 0:
		if len(cs) == 1 {
			chosen = 0
		}
	case reaches == nil:
		chosen = pick(everyone, false)
	default:
		voted := false
		for _, reached := range reaches {
			if !slices.ContainsFunc(samples, func(e *crypto.Envelope) bool { return reached[e.Header.Author] }) {
				continue
			}
			i := pick(func(a string) bool { return reached[a] }, false)
			if voted && i != chosen {
				i = -1
			}
			chosen, voted = i, true
			if i < 0 {
				break
			}
		}
		if !voted {
			chosen, unconfirmed = pick(everyone, true), true
		}
	}
	for i, c := range cs {
		if i != chosen {
			clear(c.key.Secret[:])
		}
	}
	if chosen < 0 {
		return recovered{}, false
	}
	k := cs[chosen].recovered
	if unconfirmed {
		for a := range cs[chosen].authors {
			if seen[a] == 1 {
				k.unconfirmed = append(k.unconfirmed, a)
			}
		}
		slices.Sort(k.unconfirmed)
	}
	return k, true
}

// The records of one epoch a recovery tries its candidate keys on: of at
// most maxSampledAuthors authors, up to samplesPerAuthor of each, drawn
// at random from all she wrote in it (the first of each, in the log's
// order, was hers to choose: h-sec19b).
const (
	maxSampledAuthors = 64
	samplesPerAuthor  = 8
)

// keySamples reads, for each epoch of the recoverable scopes, records the
// clinic wrote with its key (applied or sealed here, not raw kinds: those
// are not sealed with it): samplesPerAuthor of each author's at most,
// maxSampledAuthors authors at most of those reach counts for the scope
// (clinicReach) and as many of the others, so that authors nobody
// confirmed, first in the log's order, leave room for those who count.
func keySamples(ctx context.Context, r *replica.Replica, reach map[roles.Scope][]map[string]bool) (map[string][]*crypto.Envelope, error) {
	type pool struct {
		raws [][]byte
		n    int
	}
	pools := map[string]map[string]*pool{} // epoch → author → her sample
	others := map[string]int{}             // epoch → authors in pools reach does not count
	err := r.DB().View(ctx, func(tx *store.Tx) error {
		return tx.EachEnvelope(ctx, func(e store.Envelope) error {
			if e.State != store.Applied && e.State != store.Sealed || !slices.Contains(recoverable, roles.Scope(e.Scope)) {
				return nil
			}
			if k, ok := roles.KindOf(e.Kind); !ok || k.Raw {
				return nil
			}
			epoch := crypto.ScopeKey{Scope: e.Scope, Epoch: e.Epoch}.String()
			if pools[epoch] == nil {
				pools[epoch] = map[string]*pool{}
			}
			p := pools[epoch][e.Author]
			if p == nil {
				reached, ok := reach[roles.Scope(e.Scope)]
				counts := !ok || slices.ContainsFunc(reached, func(in map[string]bool) bool { return in[e.Author] })
				if !counts && others[epoch] >= maxSampledAuthors || counts && len(pools[epoch])-others[epoch] >= maxSampledAuthors {
					return nil
				}
				if !counts {
					others[epoch]++
				}
				p = &pool{}
				pools[epoch][e.Author] = p
			}
			// Reservoir sampling: each of her records is in it alike.
			p.n++
			switch i := rand.IntN(p.n); {
			case len(p.raws) < samplesPerAuthor:
				p.raws = append(p.raws, bytes.Clone(e.Raw))
			case i < samplesPerAuthor:
				p.raws[i] = bytes.Clone(e.Raw)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("recovery: read the records of the escrowed keys: %w", err)
	}
	out := map[string][]*crypto.Envelope{}
	for epoch, authors := range pools {
		for _, p := range authors {
			for _, raw := range p.raws {
				if env, err := crypto.ParseEnvelope(raw); err == nil {
					out[epoch] = append(out[epoch], env)
				}
			}
		}
	}
	return out, nil
}

// clinicReach returns, for each recoverable scope that needs confirmation,
// the members the clinic's key maker reaches by confirmations
// (replica.Reaches): the authors whose records say which key is the
// clinic's (chooseKey). Who made the clinic's key is read three ways, and a
// set is returned for each member they name (one when they agree), all
// ordering admissions by replica.AdmissionClocks, not by the clocks the
// admissions claim (an administrator's modified software set a puppet's
// token again at Lamport 1 and made her the maker: h-sec20b S20b-5,
// session 21):
//
//   - by FirstKeyMaker's rule (replica.FirstKeyMakerAmong: the vouched
//     ones first, the one admitted first) over the active members whose
//     role creates the scope and the members, revoked or not, who wrote in
//     it under a role that creates it, now or before (createdBy, so that
//     making the clinic's lost physicians receptionists takes none of them
//     out of line): a member revoked before she made the key hands the turn on,
//     as for making it, but one who made it stays its maker when she
//     leaves (her confirmations stand), or puppets vouching for each
//     other, active once the clinic's physicians are all revoked, would
//     take the turn;
//   - the first admitted of the members, active or revoked, who wrote in
//     it under such a role: two puppets who confirm each other
//     are vouched for and a lone physician, whom nobody was there to
//     confirm, is not, so the first reading alone puts them first
//     (h-sec20b);
//   - the first vouched for among the first reading's (replica.FirstVouched:
//     by the later of her admission and the earliest of her confirmers'):
//     a stand-in admitted at the founding, before the clinic's physicians,
//     who writes in the scope and is vouched for by a puppet admitted after
//     them is first by the two others (h-sec21a).
//
// A clinic's physician is in each where no puppet stands before her; where
// the readings differ, all must agree on a key (chooseKey). No set
// when nobody is named. The same on every workstation that read the same
// directory and log.
func clinicReach(ctx context.Context, r *replica.Replica) (map[roles.Scope][]map[string]bool, error) {
	out := map[roles.Scope][]map[string]bool{}
	clocks, err := r.AdmissionClocks(ctx)
	if err != nil {
		return nil, fmt.Errorf("recovery: read who made the clinic's keys: %w", err)
	}
	for _, scope := range recoverable {
		if !roles.NeedsConfirmation(scope) {
			continue
		}
		wrote := map[string]bool{} // wrote in the scope, under a role that creates it now or did
		err := r.DB().View(ctx, func(tx *store.Tx) error {
			for _, m := range r.Members() {
				// Active or revoked, not an entry another took the token of
				// (its events are all refused) nor one a refused revocation
				// holds.
				if !m.Active() && (!m.Revoked() || m.TokenTakenBy != "") || !createdBy(m, scope) {
					continue
				}
				w, err := tx.AnyInScopeBy(ctx, string(scope), map[string][]string{m.Fingerprint: m.Devices})
				if err != nil {
					return err
				}
				wrote[m.Fingerprint] = w
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("recovery: read who made the clinic's keys: %w", err)
		}
		out[scope] = []map[string]bool{}
		inLine := func(m replica.Member) bool { return m.Active() && m.Role.Creates(scope) || wrote[m.Fingerprint] }
		var makers []string
		add := func(fp string, ok bool) {
			if ok && !slices.Contains(makers, fp) {
				makers = append(makers, fp)
				out[scope] = append(out[scope], r.Reaches(scope, fp))
			}
		}
		add(r.FirstKeyMakerAmong(scope, inLine, clocks))
		add(r.FirstAdmitted(func(m replica.Member) bool { return wrote[m.Fingerprint] }, clocks))
		add(r.FirstVouched(scope, inLine, clocks))
	}
	return out, nil
}

// createdBy reports whether m's role creates scope's key, or did: her
// admission role or one her recorded changes name. An administrator's
// change of a clinic's lost physicians into receptionists would otherwise
// take them out of the line of those who made the clinic's key, and leave
// her puppets in it (h-sec20b).
func createdBy(m replica.Member, scope roles.Scope) bool {
	if m.Role.Creates(scope) || m.Admitted.Creates(scope) {
		return true
	}
	return slices.ContainsFunc(m.Changes, func(c replica.RoleChange) bool { return c.From.Creates(scope) || c.To.Creates(scope) })
}

// combine rebuilds escrow e's key from parts, if there are enough and the
// result matches the escrow's commitment.
func combine(e escrow, parts []crypto.Share) (crypto.ScopeKey, bool) {
	if len(parts) == 0 || len(parts) < int(parts[0].Threshold) {
		return crypto.ScopeKey{}, false
	}
	secret, err := crypto.CombineShares(parts)
	if err != nil {
		return crypto.ScopeKey{}, false
	}
	defer clear(secret)
	k := crypto.ScopeKey{Scope: e.Scope, Epoch: e.Epoch}
	if len(secret) != len(k.Secret) {
		return crypto.ScopeKey{}, false
	}
	copy(k.Secret[:], secret)
	if subtle.ConstantTimeCompare([]byte(escrowCommit(k)), []byte(e.Commit)) != 1 {
		clear(k.Secret[:])
		return crypto.ScopeKey{}, false
	}
	return k, true
}

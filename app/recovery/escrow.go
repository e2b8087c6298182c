package recovery

// Escrow: each holder of a recoverable key splits it among the
// administrators of the split in force and seals one share to each (see
// doc.go for the design).

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
)

// escrowBody is the payload of a "recovery-escrow" raw event: key scope and
// epoch split under split policy, one sealed share per administrator
// (fingerprint → base64), and a hash committing to the key.
type escrowBody struct {
	Policy string            `json:"policy"`
	Scope  string            `json:"scope"`
	Epoch  uint32            `json:"epoch"`
	Commit string            `json:"commit"`
	Shares map[string]string `json:"shares"`
}

// escrow is one escrow event as read back.
type escrow struct {
	id     string // event id
	author string
	escrowBody
}

// escrowCommit commits to a key without revealing it (the key is 256
// random bits): a rebuilt or handed-over key must match it.
func escrowCommit(k crypto.ScopeKey) string {
	h := sha256.New()
	fmt.Fprintf(h, "medihaven escrow commit v2|%s|%d|", k.Scope, k.Epoch)
	h.Write(k.Secret[:])
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// shareLabel binds a sealed share to its escrow, so a share cannot be
// passed off as one of another key.
func shareLabel(policy, scope string, epoch uint32) string {
	return "medihaven escrow share v2|" + policy + "|" + scope + "|" + strconv.FormatUint(uint64(epoch), 10) + "|"
}

// parseShare reads a labelled share and checks it belongs to escrow e and
// needs at least two administrators.
func (e escrow) parseShare(plain []byte) (crypto.Share, error) {
	label := shareLabel(e.Policy, e.Scope, e.Epoch)
	if !strings.HasPrefix(string(plain), label) {
		return crypto.Share{}, fmt.Errorf("recovery: a recovery share belongs to another key")
	}
	sh, err := crypto.ParseShare(plain[len(label):])
	if err != nil {
		return crypto.Share{}, err
	}
	if sh.Threshold < minRecoveryThreshold {
		clear(sh.Y)
		return crypto.Share{}, fmt.Errorf("recovery: a recovery share that one administrator could use alone is not trusted")
	}
	return sh, nil
}

// Upkeep is this workstation's share of the recovery work, an
// app.UpkeepStep that the clinic core's upkeep (Session.Maintain) runs
// with the session's replica r: start new epochs once an administrator
// who shares the recovery left (rotate.go), escrow the keys it holds to
// the split in force, and take keys administrators recovered for this
// member. It returns how many changes it made.
func Upkeep(ctx context.Context, c app.Core, r *replica.Replica) (int, error) {
	n, err := rotateForFormerShareholders(ctx, r)
	if err != nil {
		return n, err
	}
	m, err := escrowKeys(ctx, r)
	n += m
	if err != nil {
		return n, err
	}
	m, err = claimRecovered(ctx, c.Role(), r)
	return n + m, err
}

var _ app.UpkeepStep = Upkeep

// escrowKeys splits every epoch of the recoverable scopes this workstation
// holds among the administrators of the split in force, unless this member
// did already. A split that is not trusted gets nothing.
func escrowKeys(ctx context.Context, r *replica.Replica) (int, error) {
	var keys []crypto.ScopeKey
	for _, scope := range recoverable {
		keys = append(keys, r.Keys(scope)...)
	}
	if len(keys) == 0 {
		return 0, nil
	}
	if m, ok := r.Member(r.Fingerprint()); !ok || !m.Active() {
		return 0, nil
	}
	p, err := readRecovery(ctx, r)
	if err != nil {
		// None set up, or one no longer trusted: escrow nothing. The
		// administrators' security screen says which.
		return 0, nil
	}
	// The clinical and front-desk keys' shares go only to a split a
	// physician this workstation counts as confirmed approved: which
	// administrators exist is one administrator's word (she could admit a
	// second of her own making and split between the two). The approval
	// names the split's content, so a split re-signed under an approved
	// id is not approved (approve.go).
	approved := map[roles.Scope]bool{}
	for _, scope := range recoverable {
		approved[scope] = !roles.NeedsConfirmation(scope) || len(r.RecoveryApprovedBy(scope, p.approval())) > 0
	}
	keys = slices.DeleteFunc(keys, func(k crypto.ScopeKey) bool { return !approved[roles.Scope(k.Scope)] })
	if len(keys) == 0 {
		return 0, nil
	}
	// Its administrators may hold shares of this workstation's keys from
	// now on: once one of them leaves, new epochs start (rotate.go).
	if _, err := shareholders(ctx, r); err != nil {
		return 0, err
	}
	if err := addToSet(ctx, r, shareholdersMeta, p.admins...); err != nil {
		return 0, err
	}
	var todo []crypto.ScopeKey
	err = r.DB().View(ctx, func(tx *store.Tx) error {
		for _, k := range keys {
			rows, err := tx.EnvelopesForEntity(ctx, escrowEntity(p.id, k.Scope, k.Epoch))
			if err != nil {
				return err
			}
			mine := false
			for _, e := range rows {
				mine = mine || e.Author == r.Fingerprint() && e.Kind == kindRecoveryEscrow
			}
			if !mine {
				todo = append(todo, k)
			}
		}
		return nil
	})
	if err != nil || len(todo) == 0 {
		return 0, err
	}
	b := r.Batch()
	for _, k := range todo {
		payload, err := splitKey(r, p, k)
		if err != nil {
			return 0, err
		}
		b.Raw(kindRecoveryEscrow, scopeRecovery, escrowEntity(p.id, k.Scope, k.Epoch), payload)
	}
	if _, err := b.Commit(ctx); err != nil {
		return 0, fmt.Errorf("recovery: escrow keys for recovery: %w", err)
	}
	return len(todo), nil
}

// splitKey splits k among p's administrators and seals each share to one.
func splitKey(r *replica.Replica, p recoveryPolicy, k crypto.ScopeKey) ([]byte, error) {
	parts, err := crypto.SplitSecret(k.Secret[:], p.threshold, len(p.admins))
	if err != nil {
		return nil, fmt.Errorf("recovery: split a key for recovery: %w", err)
	}
	defer func() {
		for _, sh := range parts {
			clear(sh.Y)
		}
	}()
	body := escrowBody{Policy: p.id, Scope: k.Scope, Epoch: k.Epoch, Commit: escrowCommit(k), Shares: map[string]string{}}
	label := shareLabel(p.id, k.Scope, k.Epoch)
	for i, fp := range p.admins {
		pub, ok := r.PublicKey(fp)
		if !ok {
			return nil, fmt.Errorf("recovery: the key of an administrator who shares the recovery is unknown here: sync and try again")
		}
		raw, err := parts[i].MarshalBinary()
		if err != nil {
			return nil, err
		}
		plain := append([]byte(label), raw...)
		sealed, err := pub.Encrypt(plain, r.Identity())
		clear(raw)
		clear(plain)
		if err != nil {
			return nil, fmt.Errorf("recovery: seal a recovery share: %w", err)
		}
		body.Shares[fp] = base64.StdEncoding.EncodeToString(sealed)
	}
	return json.Marshal(body)
}

// readEscrow parses an escrow event and checks its author's role held the
// key's scope: nobody else can escrow a key worth anything.
func readEscrow(r *replica.Replica, e store.Envelope) (escrow, bool) {
	if e.Kind != kindRecoveryEscrow || e.State == store.Rejected || e.State == store.Pending {
		return escrow{}, false
	}
	author, ok := r.Member(e.Author)
	env, err := crypto.ParseEnvelope(e.Raw)
	if !ok || err != nil {
		return escrow{}, false
	}
	// Named by its header id, as every workstation knows it: its row id
	// is an alias where a copy of its id came first (store.PutEvent), and
	// a release or a handover naming the row id of one workstation missed
	// it on another (h-sec18a). Two escrows of one id are told apart by
	// their commitment (claimRecovered, combine).
	out := escrow{id: store.EventID(e.ID), author: e.Author}
	if json.Unmarshal(env.Ciphertext, &out.escrowBody) != nil || !author.Role.Holds(roles.Scope(out.Scope)) ||
		e.Entity != escrowEntity(out.Policy, out.Scope, out.Epoch) {
		return escrow{}, false
	}
	return out, true
}

// escrowsFor returns every escrow that sealed a share to administrator fp
// (every escrow, if fp is empty).
func escrowsFor(ctx context.Context, r *replica.Replica, fp string) ([]escrow, error) {
	var out []escrow
	err := r.DB().View(ctx, func(tx *store.Tx) error {
		return tx.EachEnvelope(ctx, func(e store.Envelope) error {
			if es, ok := readEscrow(r, e); ok && (fp == "" || es.Shares[fp] != "") {
				out = append(out, es)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("recovery: read escrowed keys: %w", err)
	}
	return out, nil
}

// ownShare opens this administrator's share of escrow e, labelled.
func ownShare(r *replica.Replica, e escrow) ([]byte, error) {
	return shareOf(r, e, r.Identity(), r.Fingerprint())
}

// shareOf opens the share of escrow e sealed to administrator fp, whose
// identity is me.
func shareOf(r *replica.Replica, e escrow, me *crypto.Identity, fp string) ([]byte, error) {
	sealed, err := base64.StdEncoding.DecodeString(e.Shares[fp])
	if err != nil || len(sealed) == 0 {
		return nil, fmt.Errorf("recovery: no recovery share of this key is sealed to you")
	}
	from, ok := r.PublicKey(e.author)
	if !ok {
		return nil, fmt.Errorf("recovery: the key of the member who escrowed a key is unknown here")
	}
	plain, err := me.Decrypt(sealed, from)
	if err != nil {
		return nil, fmt.Errorf("recovery: open a recovery share: %w", err)
	}
	return plain, nil
}

// handoverEntity names the handovers of recovered keys to member fp.
func handoverEntity(fp string) string { return "recovery-handover:" + fp }

// handoverGrant is one recovered key in a "recovery-handover": the grant to
// the receiving member and the escrow whose commitment it matches.
type handoverGrant struct {
	Escrow string `json:"escrow"`
	Grant  string `json:"grant"`
}

// handedOver is a key handed over to this member and who escrowed it.
type handedOver struct {
	key  crypto.ScopeKey
	from string
}

// escrowTrusted returns whether this workstation takes a recovered key of
// scope escrowed by author: for a scope that needs confirmation, only from
// a member it reaches by confirmations (whatever her status now), unless
// it reaches nobody but itself there (a newcomer after the clinic lost
// every holder's key, who has nobody's word but the administrators'). Such
// a newcomer's keys from an author she does not reach stay as any key
// from a stranger: read only, never written with (their source is not
// confirmed), never handed on.
func escrowTrusted(r *replica.Replica) func(scope roles.Scope, author string) bool {
	reached := map[roles.Scope]map[string]bool{}
	return func(scope roles.Scope, author string) bool {
		if !roles.NeedsConfirmation(scope) {
			return true
		}
		if reached[scope] == nil {
			reached[scope] = r.Reaches(scope, r.Fingerprint())
		}
		return reached[scope][author] || len(reached[scope]) <= 1
	}
}

// claimRecovered takes the keys an administrator recovered for this member
// and opens the records it kept sealed for lack of them. A key is taken
// only if an escrow written by a holder of its scope commits to it and, for
// a scope that needs confirmation, one whose author this workstation
// reaches by confirmations (escrowTrusted), as it takes granted keys
// (replica/keysource.go): an administrator's stand-in, whom nobody
// confirmed, can escrow a key of her own making, and the administrator
// could hand that over (session 12 review, finding 7). The key is kept
// with the escrow's author as its source, not granted to this member by
// herself, retired (the coordinating administrator saw it whole: new
// writes go under a new epoch, which the next upkeep makes) and never
// handed on (replica.KeepRecovered): a colleague would take it without
// knowing to retire it, and write with it.
func claimRecovered(ctx context.Context, role roles.Role, r *replica.Replica) (int, error) {
	var rows []store.Envelope
	err := r.DB().View(ctx, func(tx *store.Tx) error {
		all, err := tx.EnvelopesForEntity(ctx, handoverEntity(r.Fingerprint()))
		for _, e := range all {
			if e.Kind == kindRecoveryHandover && e.State != store.Rejected && e.State != store.Pending {
				rows = append(rows, e)
			}
		}
		return err
	})
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	held := map[string]bool{}
	for _, scope := range recoverable {
		for _, k := range r.Keys(scope) {
			held[k.String()] = true
		}
	}
	var found []handedOver
	trusted := escrowTrusted(r)
	err = r.DB().View(ctx, func(tx *store.Tx) error {
		for _, e := range rows {
			from, ok := r.Member(e.Author)
			pub, known := r.PublicKey(e.Author)
			env, err := crypto.ParseEnvelope(e.Raw)
			if !ok || !known || from.Role != roles.Administrator || err != nil {
				continue
			}
			var body struct{ Grants []handoverGrant }
			if json.Unmarshal(env.Ciphertext, &body) != nil {
				continue
			}
			for _, g := range body.Grants {
				sealed, err := base64.StdEncoding.DecodeString(g.Grant)
				if err != nil {
					continue
				}
				k, err := crypto.OpenGrant(sealed, r.Identity(), pub)
				if err != nil || held[k.String()] || !role.Holds(roles.Scope(k.Scope)) {
					continue
				}
				// Every envelope of the escrow's id: a member may copy it
				// into an event of her own (store.PutEvent keeps both).
				escs, err := tx.EnvelopesOfEvent(ctx, g.Escrow)
				if err != nil {
					return err
				}
				for _, esc := range escs {
					es, ok := readEscrow(r, esc)
					if !ok || es.Scope != k.Scope || es.Epoch != k.Epoch || !trusted(roles.Scope(k.Scope), es.author) ||
						subtle.ConstantTimeCompare([]byte(es.Commit), []byte(escrowCommit(k))) != 1 {
						continue
					}
					held[k.String()] = true
					found = append(found, handedOver{k, es.author})
					break
				}
			}
		}
		return nil
	})
	if err != nil || len(found) == 0 {
		return 0, err
	}
	scopes := map[string]bool{}
	for _, f := range found {
		scopes[f.key.Scope] = true
		if err := r.KeepRecovered(ctx, f.from, f.key); err != nil {
			return 0, fmt.Errorf("recovery: take the recovered keys: %w", err)
		}
	}
	n := len(found)
	// Records kept sealed for lack of these keys are opened now.
	err = r.DB().Update(ctx, func(tx *store.Tx) error {
		sealed, err := tx.EnvelopesInState(ctx, store.Sealed, -1)
		if err != nil {
			return err
		}
		for _, e := range sealed {
			if scopes[e.Scope] {
				if err := tx.SetEnvelopeState(ctx, e.ID, store.Pending, "key recovered"); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("recovery: open records with the recovered keys: %w", err)
	}
	if _, err := r.Apply(ctx, nil); err != nil {
		return n, fmt.Errorf("recovery: open records with the recovered keys: %w", err)
	}
	return n, nil
}

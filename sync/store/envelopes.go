package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// EnvelopeState says what this workstation made of an envelope.
type EnvelopeState int

const (
	// Pending: stored, not yet applied (its author is not in the directory
	// yet, or an envelope before it in its device's chain is missing).
	Pending EnvelopeState = iota
	// Applied: verified and applied to the current state.
	Applied
	// Sealed: verified, but this workstation holds no key for its scope,
	// so it is kept as ciphertext. This is never an error.
	Sealed
	// Rejected: failed verification or policy; kept for the audit, with
	// the reason.
	Rejected
)

var stateNames = [...]string{Pending: "pending", Applied: "applied", Sealed: "sealed", Rejected: "rejected"}

func (s EnvelopeState) valid() bool { return s >= Pending && s <= Rejected }

// String returns the state's name: "pending", "applied", "sealed" or
// "rejected".
func (s EnvelopeState) String() string {
	if !s.valid() {
		return fmt.Sprintf("EnvelopeState(%d)", int(s))
	}
	return stateNames[s]
}

// Envelope is one signed, encrypted change as stored: the header fields
// the store needs to find and order it, the exact bytes (Raw), and what
// this workstation made of it. Nothing in it is in clear except
// identifiers that name nobody.
type Envelope struct {
	ID      string
	Device  string // the device whose chain it belongs to
	Seq     uint64 // its place in that chain
	Lamport uint64
	Entity  string
	Kind    string
	Scope   string
	Epoch   uint32
	Author  string // the author's key fingerprint
	Prev    string // hash of the device's previous envelope
	Hash    string // hash of Raw
	Time    int64
	Raw     []byte
	State   EnvelopeState
	Reason  string // why Rejected or Pending, for people; never patient data
	// Rule names the rule of policy that refused a Rejected envelope
	// ("binding", "role", "revoked"...): it was chained correctly by its
	// device's owner, so the events after it are judged on their own. ""
	// for a rejection that breaks the chain (and for every other state).
	Rule string
}

// Head is the highest envelope of one device that this workstation vouches
// for: applied or sealed, never pending or rejected.
type Head struct {
	Device  string
	Seq     uint64
	Hash    string
	Lamport uint64
}

// envelopeColumns are what a query of envelopes selects for scanEnvelope:
// the row's columns, and the bytes (kept in envelope_bytes since store
// 0013, so that a change of state rewrites the header alone).
const envelopeColumns = `id, device, seq, lamport, entity, kind, scope, epoch, author, prev, hash, time,
	(SELECT raw FROM envelope_bytes WHERE n = body), state, reason, rule`

// envelopeRow are the columns an envelope's row is written with: body
// numbers its bytes' row in envelope_bytes; entity_n is its record's
// number when it is stored (0: none yet; store 0015, byEntity).
const envelopeRow = `id, device, seq, lamport, entity, kind, scope, epoch, author, prev, hash, time, body, entity_n, state, reason, rule`

// PutEnvelope stores e. It is idempotent: storing an envelope with the
// same ID and Hash again returns (false, nil). A different envelope at a
// (Device, Seq) already taken fails with ErrFork; a different Hash under
// an ID already taken fails with ErrConflict. Nothing is stored then.
func (tx *Tx) PutEnvelope(ctx context.Context, e Envelope) (inserted bool, err error) {
	if err := tx.writeAdded(ctx); err != nil {
		return false, err
	}
	args, err := envelopeArgs(nil, e)
	if err != nil {
		return false, err
	}
	op := "put envelope " + e.ID
	if err := tx.knowNumbers(ctx); err != nil {
		return false, wrap(op, err)
	}
	tx.unplaced.stored(e)
	body, err := tx.bodies(ctx, 1)
	if err != nil {
		return false, wrap(op, err)
	}
	args[bodyArg], args[numberArg] = body, tx.entities[e.Entity]
	res, err := tx.tx.ExecContext(ctx, putEnvelopeQuery, args...)
	if err != nil {
		return false, wrap(op, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		if err == nil {
			err = tx.putBytes(ctx, body, []Envelope{e})
		}
		if err == nil {
			err = tx.moveHeads(ctx, []Envelope{e})
		}
		return n == 1, wrap(op, err)
	}
	tx.body--                                   // not stored: the number is free again
	seq, _ := dbInt("put envelope: seq", e.Seq) // checked by envelopeArgs
	return false, tx.explainClash(ctx, e, seq)
}

// PutEvent stores e as PutEnvelope does, but keeps it when another
// envelope already holds its header id: an event's id is its writer's
// random choice, carried in the clear, so a member may copy a colleague's
// id into an event of her own (h-sec17a C); its place in its device's
// chain (Device, Seq), not its id, is what makes it one event. Such an
// envelope is stored under AliasID(e.ID, e.Hash), both are judged on their
// own, and row is the id it is stored under. A different envelope at its
// place still fails with ErrFork.
func (tx *Tx) PutEvent(ctx context.Context, e Envelope) (row string, inserted bool, err error) {
	inserted, err = tx.PutEnvelope(ctx, e)
	if !errors.Is(err, ErrConflict) {
		return e.ID, inserted, err
	}
	e.ID = AliasID(e.ID, e.Hash)
	inserted, err = tx.PutEnvelope(ctx, e)
	return e.ID, inserted, err
}

// aliasSep joins an alias's header id and hash: a character no header id
// holds (32 lowercase hex), and one a FHIR id may (the audit names events
// by their row id).
const aliasSep = "-"

// AliasID is the row id of an envelope whose header id another envelope
// held when it came (PutEvent): the id, then the first 31 hex digits of
// its hash (124 bits: no one finds an envelope of her own under another's
// alias; 64 characters, the most a FHIR id holds). It names the same
// envelope on every workstation that needs one; which of two envelopes of
// one id needs it depends on which came first.
func AliasID(id, hash string) string { return id + aliasSep + hash[:min(aliasHash, len(hash))] }

// aliasHash is how many hex digits of its hash an alias holds.
const aliasHash = 31

// EventID is the header id of the envelope stored under row: row itself,
// or the id its alias stands for.
func EventID(row string) string {
	id, _, _ := strings.Cut(row, aliasSep)
	return id
}

// RowOf reports whether row is where an envelope with this header id and
// hash may be stored: under its id, or its alias.
func RowOf(row, id, hash string) bool { return row == id || row == AliasID(id, hash) }

// EnvelopesOfEvent returns the envelopes stored with this header id: the
// one under the id and those under an alias of it (PutEvent), in row id
// order. A reference to an event by its id may name any of them: the
// caller tells them apart by what else it knows (author, kind).
func (tx *Tx) EnvelopesOfEvent(ctx context.Context, id string) ([]Envelope, error) {
	return tx.envelopeList(ctx, "envelopes of event "+id, `SELECT `+envelopeColumns+` FROM envelopes
		WHERE id = ? OR (id >= ? AND id < ?) ORDER BY id`, id, id+aliasSep, id+string(rune(aliasSep[0]+1)))
}

// addPages are how many envelopes writeAdded writes with one statement,
// the most first: each statement on the envelope table pays for a
// statement journal (SQLite copies every page the statement changes, in
// case a constraint makes it undo the rows it wrote), and moves the heads
// of its devices once (moveHeads), so a page of rows pays once. One
// statement for each size is prepared and kept.
var addPages = [...]int{64, 16, 4, 1}

var putEnvelopeQuery = insertEnvelopes(1) + ` ON CONFLICT DO NOTHING`

// pageOf is how many of n rows go into the next statement: the largest of
// addPages that n reaches.
func pageOf(n int) int {
	for _, size := range addPages {
		if size <= n {
			return size
		}
	}
	return 1
}

// inserts holds the INSERT of each of addPages' sizes.
var inserts = func() map[int]string {
	m := map[int]string{}
	for _, n := range addPages {
		m[n] = insertEnvelopes(n)
	}
	return m
}()

// AddEnvelope stores e, an envelope that is new: neither its ID nor its
// place in its device's chain is stored, nor held here (the caller asked
// Placed). It is written with the ones added after it, a page per
// statement; every other use of the envelopes in this transaction, and its
// commit, writes what is held first, so e reads as stored at once. An
// envelope that is not new fails when it is written: in this call, a later
// one of this transaction, or its commit.
func (tx *Tx) AddEnvelope(ctx context.Context, e Envelope) error {
	if _, _, err := checkEnvelope(e); err != nil {
		return err
	}
	tx.unplaced.stored(e)
	a := &tx.adding
	if a.ids == nil {
		a.ids, a.at = map[string]bool{}, map[place]bool{}
	}
	a.rows = append(a.rows, e)
	a.ids[e.ID], a.at[place{e.Device, e.Seq}] = true, true
	if len(a.rows) < addPages[0] {
		return nil
	}
	return tx.writeAdded(ctx)
}

// adding is what AddEnvelope holds of a transaction's new envelopes until
// they are written.
type adding struct {
	rows []Envelope
	ids  map[string]bool
	at   map[place]bool
	err  error // a write that failed: the transaction cannot commit
}

// place is an envelope's place in its device's chain.
type place struct {
	device string
	seq    uint64
}

// writeAdded writes the envelopes AddEnvelope holds, a page per statement.
// Once a write failed, it fails again, so the transaction never commits
// without them.
func (tx *Tx) writeAdded(ctx context.Context) error {
	a := &tx.adding
	es := a.rows
	if a.err != nil || len(es) == 0 {
		return a.err
	}
	a.rows = a.rows[:0]
	clear(a.ids)
	clear(a.at)
	if err := tx.knowNumbers(ctx); err != nil {
		a.err = wrap(fmt.Sprintf("add envelopes %s…", es[0].ID), err)
		return a.err
	}
	args := make([]any, 0, len(envelopeArgsOf)*addPages[0])
	for len(es) > 0 {
		n := pageOf(len(es))
		body, err := tx.bodies(ctx, n)
		if err != nil {
			a.err = wrap(fmt.Sprintf("add envelopes %s…", es[0].ID), err)
			return a.err
		}
		args = args[:0]
		for i, e := range es[:n] {
			if args, err = envelopeArgs(args, e); err != nil {
				a.err = err
				return err
			}
			row := args[len(args)-len(envelopeArgsOf):]
			row[bodyArg], row[numberArg] = body+int64(i), tx.entities[e.Entity]
		}
		if _, err := tx.tx.ExecContext(ctx, inserts[n], args...); err != nil {
			a.err = wrap(fmt.Sprintf("add envelopes %s…", es[0].ID), err)
			return a.err
		}
		if err := tx.putBytes(ctx, body, es[:n]); err != nil {
			a.err = wrap(fmt.Sprintf("add envelopes %s…", es[0].ID), err)
			return a.err
		}
		if err := tx.moveHeads(ctx, es[:n]); err != nil {
			a.err = wrap(fmt.Sprintf("add envelopes %s…", es[0].ID), err)
			return a.err
		}
		es = es[n:]
	}
	return nil
}

// moveHeads makes the highest of the envelopes just stored applied or
// sealed its device's head, when it is higher than the head (store 0011:
// once per device and statement, where a trigger did it once per
// envelope). Pending and rejected envelopes never move a head.
func (tx *Tx) moveHeads(ctx context.Context, stored []Envelope) error {
	var tops []*Envelope // the highest vouched envelope of each device, few
	for i := range stored {
		e := &stored[i]
		if e.State != Applied && e.State != Sealed {
			continue
		}
		j := slices.IndexFunc(tops, func(t *Envelope) bool { return t.Device == e.Device })
		switch {
		case j < 0:
			tops = append(tops, e)
		case e.Seq > tops[j].Seq:
			tops[j] = e
		}
	}
	for _, e := range tops {
		seq, lamport, err := checkEnvelope(*e)
		if err != nil {
			return err
		}
		if _, err := tx.tx.ExecContext(ctx, moveHeadQuery, e.Device, seq, e.Hash, lamport); err != nil {
			return fmt.Errorf("move the head of %s: %w", e.Device, err)
		}
	}
	return nil
}

const moveHeadQuery = `INSERT INTO heads (device, seq, hash, lamport) VALUES (?, ?, ?, ?)
	ON CONFLICT (device) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, lamport = excluded.lamport
	WHERE excluded.seq > heads.seq`

// envelopeArgsOf names the values envelopeArgs gives for each envelope,
// in envelopeRow's order; bodyArg is body's place among them, numberArg
// entity_n's.
var (
	envelopeArgsOf = strings.Split(envelopeRow, ", ")
	bodyArg        = slices.Index(envelopeArgsOf, "body")
	numberArg      = slices.Index(envelopeArgsOf, "entity_n")
)

// knowNumbers writes the bindings held, so that the records they number
// are numbered before es are written: an envelope keeps the number of
// its record that this transaction knows (tx.entities: the records it
// read the bindings of, bound, or gave a state or index terms), and 0
// otherwise, without a read of its own. Either is right (byEntity reads
// both); a catch-up knows the records it binds (ReadBindings, then
// numberHeld), so their envelopes are kept by number.
func (tx *Tx) knowNumbers(ctx context.Context) error {
	return tx.writeBindings(ctx)
}

// insertEnvelopes is the INSERT of n envelopes' rows.
func insertEnvelopes(n int) string {
	row := "(" + strings.Repeat("?, ", len(envelopeArgsOf)-1) + "?)"
	return `INSERT INTO envelopes (` + envelopeRow + `) VALUES ` + strings.Repeat(row+", ", n-1) + row
}

// bodies reserves n numbers of envelope_bytes' rows for the envelopes
// this transaction stores next, and returns the first: one more than the
// highest stored, read once a transaction.
func (tx *Tx) bodies(ctx context.Context, n int) (int64, error) {
	if tx.body == 0 {
		var top int64
		if err := tx.tx.QueryRowContext(ctx, `SELECT coalesce(max(n), 0) FROM envelope_bytes`).Scan(&top); err != nil {
			return 0, fmt.Errorf("number the envelopes' bytes: %w", err)
		}
		tx.body = top + 1
	}
	first := tx.body
	tx.body += int64(n)
	return first, nil
}

// putBytes writes the bytes of es (at most addPages[0] of them) under the
// numbers from body on, as bodies gave them.
func (tx *Tx) putBytes(ctx context.Context, body int64, es []Envelope) error {
	args := make([]any, 0, 2*len(es))
	for i, e := range es {
		args = append(args, body+int64(i), e.Raw)
	}
	for len(es) > 0 {
		n := pageOf(len(es))
		if _, err := tx.tx.ExecContext(ctx, insertBytes[n], args[:2*n]...); err != nil {
			return fmt.Errorf("store the envelopes' bytes: %w", err)
		}
		es, args = es[n:], args[2*n:]
	}
	return nil
}

// insertBytes holds the INSERT of envelope_bytes' rows for each of
// addPages' sizes.
var insertBytes = func() map[int]string {
	m := map[int]string{}
	for _, n := range addPages {
		m[n] = `INSERT INTO envelope_bytes (n, raw) VALUES ` + strings.Repeat("(?, ?), ", n-1) + "(?, ?)"
	}
	return m
}()

// checkEnvelope checks that e can be stored, and returns its seq and
// Lamport clock as the store keeps them.
func checkEnvelope(e Envelope) (seq, lamport int64, err error) {
	switch {
	case e.ID == "" || e.Device == "" || e.Hash == "":
		return 0, 0, invalid("put envelope: id, device and hash are required")
	case len(e.Raw) == 0:
		return 0, 0, invalid("put envelope %s: no bytes", e.ID)
	case !e.State.valid():
		return 0, 0, invalid("put envelope %s: unknown state %d", e.ID, int(e.State))
	}
	if seq, err = dbInt("put envelope: seq", e.Seq); err != nil {
		return 0, 0, err
	}
	lamport, err = dbInt("put envelope: lamport", e.Lamport)
	return seq, lamport, err
}

// envelopeArgs checks e and appends its row's values to args.
func envelopeArgs(args []any, e Envelope) ([]any, error) {
	seq, lamport, err := checkEnvelope(e)
	if err != nil {
		return nil, err
	}
	return append(args, e.ID, e.Device, seq, lamport, e.Entity, e.Kind, e.Scope, e.Epoch,
		e.Author, e.Prev, e.Hash, e.Time, int64(0), int64(0), e.State, e.Reason, ruleOf(e.State, e.Rule)), nil
}

// Placed reports whether an envelope with this id, or one at this place
// in device's chain, is stored (or held by AddEnvelope): an envelope that
// is neither can be judged before it is stored, and written once with its
// verdict.
func (tx *Tx) Placed(ctx context.Context, id, device string, seq uint64) (bool, error) {
	at, err := dbInt("placed: seq", seq)
	if err != nil {
		return false, err
	}
	if tx.adding.ids[id] || tx.adding.at[place{device, seq}] {
		return true, nil
	}
	if tx.unplaced.ids[id] && tx.unplaced.at[place{device, seq}] {
		return false, nil // ReadPlaced found neither, and neither was stored since
	}
	var placed bool
	err = tx.tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM envelopes WHERE id = ?)
		OR EXISTS (SELECT 1 FROM envelopes WHERE device = ? AND seq = ?)`, id, device, at).Scan(&placed)
	return placed, wrap("placed "+id, err)
}

// Spot names an envelope by its id and by its place in its device's
// chain: what Placed asks of it.
type Spot struct {
	ID     string
	Device string
	Seq    uint64
}

// ReadPlaced reads whether these envelopes are stored (by id, and by place
// in their device's chain), with a statement per 64 ids and one per device
// (issue 17: a catch-up asked Placed one envelope at a time, two index
// probes each, and found none); Placed then answers for those it found
// neither of without reading, until one of them is stored. Only the last
// read is kept (a page of arrivals at a time).
// A read that fails keeps nothing: Placed then reads for itself.
func (tx *Tx) ReadPlaced(ctx context.Context, spots []Spot) (err error) {
	if err := tx.writeAdded(ctx); err != nil {
		return err
	}
	u := &tx.unplaced
	if u.ids == nil {
		u.ids, u.at = map[string]bool{}, map[place]bool{}
	}
	clear(u.ids)
	clear(u.at)
	defer func() {
		if err != nil {
			clear(u.ids)
			clear(u.at)
		}
	}()
	ids := make([]string, 0, len(spots))
	seqs := map[string][2]int64{} // device -> the lowest and highest seq asked
	for _, s := range spots {
		seq, err := dbInt("read placed: seq", s.Seq)
		if err != nil {
			return err
		}
		ids = append(ids, s.ID)
		r, seen := seqs[s.Device]
		if !seen {
			r = [2]int64{seq, seq}
		}
		seqs[s.Device] = [2]int64{min(r[0], seq), max(r[1], seq)}
		u.ids[s.ID], u.at[place{s.Device, s.Seq}] = true, true
	}
	const op = "read placed envelopes"
	args := make([]any, 0, addPages[0])
	for len(ids) > 0 {
		n := pageOf(len(ids))
		args = args[:0]
		for _, id := range ids[:n] {
			args = append(args, id)
		}
		err := tx.eachRow(ctx, placedIn[n], args, func(rows *sql.Rows) error {
			var id string
			err := rows.Scan(&id)
			delete(u.ids, id)
			return err
		})
		if err != nil {
			return wrap(op, err)
		}
		ids = ids[n:]
	}
	for device, r := range seqs {
		err := tx.eachRow(ctx, placedAtQuery, []any{device, r[0], r[1]},
			func(rows *sql.Rows) error {
				var seq uint64
				err := rows.Scan(&seq)
				delete(u.at, place{device, seq})
				return err
			})
		if err != nil {
			return wrap(op, err)
		}
	}
	return nil
}

// unplaced is what ReadPlaced found not stored: ids and places in a
// device's chain. Storing an envelope takes its id and place out.
type unplaced struct {
	ids map[string]bool
	at  map[place]bool
}

// stored notes that e is stored (or held to be): Placed must read again.
func (u *unplaced) stored(e Envelope) {
	if u.ids != nil {
		delete(u.ids, e.ID)
		delete(u.at, place{e.Device, e.Seq})
	}
}

const placedAtQuery = `SELECT seq FROM envelopes WHERE device = ? AND seq BETWEEN ? AND ?`

// placedIn holds ReadPlaced's query of ids for each of addPages' sizes.
var placedIn = func() map[int]string {
	m := map[int]string{}
	for _, n := range addPages {
		m[n] = `SELECT id FROM envelopes WHERE id IN (` + strings.Repeat("?, ", n-1) + `?)`
	}
	return m
}()

// eachRow runs query and calls fn for each row it returns.
func (tx *Tx) eachRow(ctx context.Context, query string, args []any, fn func(*sql.Rows) error) error {
	rows, err := tx.tx.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// explainClash says why e was not inserted: it is already stored (nil),
// its ID is taken by other bytes (ErrConflict), or its place in its
// device's chain is taken by another envelope (ErrFork).
func (tx *Tx) explainClash(ctx context.Context, e Envelope, seq int64) error {
	op := "put envelope " + e.ID
	var byID, atSeq struct{ id, hash string }
	err := tx.tx.QueryRowContext(ctx, `SELECT id, hash FROM envelopes WHERE id = ?`, e.ID).
		Scan(&byID.id, &byID.hash)
	switch {
	case err == nil && byID.hash == e.Hash:
		return nil
	case err == nil:
		return fmt.Errorf("%w: envelope %s is stored with hash %s, not %s", ErrConflict, e.ID, byID.hash, e.Hash)
	case !errors.Is(err, sql.ErrNoRows):
		return wrap(op, err)
	}
	err = tx.tx.QueryRowContext(ctx, `SELECT id, hash FROM envelopes WHERE device = ? AND seq = ?`, e.Device, seq).
		Scan(&atSeq.id, &atSeq.hash)
	if err != nil {
		return wrap(op+": find the envelope in its place", err)
	}
	if atSeq.hash == e.Hash {
		return nil // stored under its alias (PutEvent)
	}
	return fmt.Errorf("%w: device %s seq %d holds envelope %s (hash %s), not %s (hash %s)",
		ErrFork, e.Device, e.Seq, atSeq.id, atSeq.hash, e.ID, e.Hash)
}

// SetEnvelopeState records what this workstation made of an envelope, and
// why (for people; never patient data). A rejection recorded here breaks
// the device's chain (no rule); Refuse records one of policy. It returns
// ErrNotFound for an unknown id.
func (tx *Tx) SetEnvelopeState(ctx context.Context, id string, s EnvelopeState, reason string) error {
	if err := tx.writeAdded(ctx); err != nil {
		return err
	}
	if !s.valid() {
		return invalid("set envelope %s state: unknown state %d", id, int(s))
	}
	res, err := tx.tx.ExecContext(ctx, `UPDATE envelopes SET state = ?, reason = ?, rule = '' WHERE id = ?`, s, reason, id)
	return wrap("set envelope "+id+" state", changedOne(res, err))
}

// SetStates records the same state and reason for the envelopes with
// these ids (each named once), as SetEnvelopeState does for one, a page
// per statement (each
// statement on the envelope table pays for a statement journal; see
// addPages). It returns ErrNotFound when an id is unknown: the
// transaction is then to be given up.
func (tx *Tx) SetStates(ctx context.Context, ids []string, s EnvelopeState, reason string) error {
	if !s.valid() {
		return invalid("set envelope states: unknown state %d", int(s))
	}
	if err := tx.writeAdded(ctx); err != nil {
		return err
	}
	args := make([]any, 0, 2+addPages[0])
	for len(ids) > 0 {
		n := pageOf(len(ids))
		args = append(args[:0], s, reason)
		for _, id := range ids[:n] {
			args = append(args, id)
		}
		op := fmt.Sprintf("set the state of envelopes %s…", ids[0])
		res, err := tx.tx.ExecContext(ctx, setStates[n], args...)
		if err != nil {
			return wrap(op, err)
		}
		if changed, err := res.RowsAffected(); err != nil || changed != int64(n) {
			return wrap(op, cmp.Or(err, sql.ErrNoRows))
		}
		ids = ids[n:]
	}
	return nil
}

// setStates holds SetStates' UPDATE for each of addPages' sizes.
var setStates = func() map[int]string {
	m := map[int]string{}
	for _, n := range addPages {
		m[n] = `UPDATE envelopes SET state = ?, reason = ?, rule = '' WHERE id IN (` + strings.Repeat("?, ", n-1) + `?)`
	}
	return m
}()

// Refuse rejects an envelope by a rule of policy (rule names it, reason
// says it for people): the envelope keeps its place in its device's chain.
// It returns ErrNotFound for an unknown id.
func (tx *Tx) Refuse(ctx context.Context, id, rule, reason string) error {
	if err := tx.writeAdded(ctx); err != nil {
		return err
	}
	if rule == "" {
		return invalid("refuse envelope %s: no rule named", id)
	}
	res, err := tx.tx.ExecContext(ctx, `UPDATE envelopes SET state = ?, reason = ?, rule = ? WHERE id = ?`, Rejected, reason, rule, id)
	return wrap("refuse envelope "+id, changedOne(res, err))
}

// ruleOf keeps a rule only on a rejected envelope.
func ruleOf(s EnvelopeState, rule string) string {
	if s != Rejected {
		return ""
	}
	return rule
}

// Envelope returns the envelope with this id, or ErrNotFound.
func (tx *Tx) Envelope(ctx context.Context, id string) (Envelope, error) {
	if err := tx.writeAdded(ctx); err != nil {
		return Envelope{}, err
	}
	row := tx.tx.QueryRowContext(ctx, `SELECT `+envelopeColumns+` FROM envelopes WHERE id = ?`, id)
	e, err := scanEnvelope(row)
	return e, wrap("envelope "+id, err)
}

// EnvelopeAt returns the envelope at seq in device's chain, or ErrNotFound.
func (tx *Tx) EnvelopeAt(ctx context.Context, device string, seq uint64) (Envelope, error) {
	if err := tx.writeAdded(ctx); err != nil {
		return Envelope{}, err
	}
	op := fmt.Sprintf("envelope at %s seq %d", device, seq)
	if seq > math.MaxInt64 {
		return Envelope{}, wrap(op, sql.ErrNoRows)
	}
	row := tx.tx.QueryRowContext(ctx,
		`SELECT `+envelopeColumns+` FROM envelopes WHERE device = ? AND seq = ?`, device, int64(seq))
	e, err := scanEnvelope(row)
	return e, wrap(op, err)
}

// EnvelopesInState returns envelopes in state s, in Lamport order (then
// device, then seq), at most limit of them (0 or less: all). Pending,
// sealed and rejected envelopes are found by their partial indexes
// (0003, 0009); applied ones, most of a profile, by reading every
// envelope.
func (tx *Tx) EnvelopesInState(ctx context.Context, s EnvelopeState, limit int) ([]Envelope, error) {
	if !s.valid() {
		return nil, invalid("envelopes in state: unknown state %d", int(s))
	}
	return tx.envelopeList(ctx, "envelopes "+s.String(), inStateQuery, s, sqlLimit(limit))
}

const inStateQuery = `SELECT ` + envelopeColumns + ` FROM envelopes WHERE state = ?
	ORDER BY lamport, device, seq LIMIT ?`

// RefusedOfKind returns the refused envelopes of one kind, in Lamport order
// (then device, then seq): found by the refused envelopes' own index, the
// others' bytes never read.
func (tx *Tx) RefusedOfKind(ctx context.Context, kind string) ([]Envelope, error) {
	return tx.envelopeList(ctx, "refused envelopes of kind "+kind, refusedOfKindQuery, Rejected, kind)
}

const refusedOfKindQuery = `SELECT ` + envelopeColumns + ` FROM envelopes WHERE state = ? AND kind = ?
	ORDER BY lamport, device, seq`

// EnvelopesAfter returns device's envelopes with a sequence number above
// seq, in order, at most limit of them (0 or less: all): what a peer that
// has everything up to seq lacks.
func (tx *Tx) EnvelopesAfter(ctx context.Context, device string, seq uint64, limit int) ([]Envelope, error) {
	if seq >= math.MaxInt64 {
		return nil, nil // nothing can be stored above it
	}
	return tx.envelopeList(ctx, fmt.Sprintf("envelopes of %s after %d", device, seq),
		`SELECT `+envelopeColumns+` FROM envelopes WHERE device = ? AND seq > ?
		ORDER BY seq LIMIT ?`, device, int64(seq), sqlLimit(limit))
}

// EnvelopesForEntity returns every envelope about one entity in Lamport
// order (then device, then seq): the order in which they are applied.
func (tx *Tx) EnvelopesForEntity(ctx context.Context, entity string) ([]Envelope, error) {
	return tx.envelopeList(ctx, "envelopes for "+entity, forEntityQuery, idKey(entity), entity)
}

var forEntityQuery = byEntity(envelopeColumns, "", "lamport, device, seq")

// byEntity is the query of cols of the envelopes about one record, where
// also more (conditions of ?3 on), in order (none: ""): those stored once the record
// had a number, through their number (envelopes_numbered), and the
// others through their entity (envelopes_entity; store 0015). Its
// arguments are the record's key in entity_numbers (idKey) and its id;
// a row is selected only with that id, whatever its number says.
func byEntity(cols, more, order string) string {
	q := `SELECT ` + cols + ` FROM envelopes
		WHERE entity_n = (SELECT n FROM entity_numbers WHERE id = ?1) AND entity_n != 0 AND entity = ?2` + more + `
	UNION ALL
	SELECT ` + cols + ` FROM envelopes WHERE entity_n = 0 AND entity = ?2` + more
	if order != "" {
		q += ` ORDER BY ` + order
	}
	return q
}

// EachEnvelope calls fn with every envelope, by device then seq, without
// holding them all in memory; it stops at fn's first error and returns it.
// fn may read through tx.
func (tx *Tx) EachEnvelope(ctx context.Context, fn func(Envelope) error) error {
	return tx.eachEnvelope(ctx, "each envelope", fn,
		`SELECT `+envelopeColumns+` FROM envelopes ORDER BY device, seq`)
}

// Heads returns, for each device, its highest applied or sealed envelope,
// by device: what this workstation would vouch for. Pending and rejected
// envelopes never count, so an unverified envelope far ahead is no head.
func (tx *Tx) Heads(ctx context.Context) ([]Head, error) {
	if err := tx.writeAdded(ctx); err != nil {
		return nil, err
	}
	rows, err := tx.tx.QueryContext(ctx, `SELECT device, seq, hash, lamport FROM heads ORDER BY device`)
	if err != nil {
		return nil, wrap("heads", err)
	}
	defer rows.Close()
	var heads []Head
	for rows.Next() {
		var h Head
		if err := rows.Scan(&h.Device, &h.Seq, &h.Hash, &h.Lamport); err != nil {
			return nil, wrap("heads", err)
		}
		heads = append(heads, h)
	}
	return heads, wrap("heads", rows.Err())
}

// MaxLamport returns the highest Lamport clock of any applied or sealed
// envelope, or 0 when there is none. Pending and rejected envelopes never
// count: an unverified clock must not move this workstation's. The
// Lamport index is read from the top down to the first applied or sealed
// envelope (only envelopes held back or refused lie above it).
func (tx *Tx) MaxLamport(ctx context.Context) (uint64, error) {
	if err := tx.writeAdded(ctx); err != nil {
		return 0, err
	}
	var max uint64
	err := tx.tx.QueryRowContext(ctx, maxLamportQuery, Applied, Sealed).Scan(&max)
	return max, wrap("max lamport", err)
}

const maxLamportQuery = `SELECT coalesce((SELECT lamport FROM envelopes INDEXED BY envelopes_lamport
	WHERE state IN (?, ?) ORDER BY lamport DESC LIMIT 1), 0)`

// MaxLamportThrough returns the highest Lamport clock of author's
// envelopes in device's chain up to seq (any state but pending: refused
// ones were signed too), or 0 when there is none: a clock an event at seq
// cannot claim to come before, whatever its own says, when its author's
// earlier events there showed a higher one (session 21, h-sec21a).
func (tx *Tx) MaxLamportThrough(ctx context.Context, device, author string, seq uint64) (uint64, error) {
	if err := tx.writeAdded(ctx); err != nil {
		return 0, err
	}
	var max uint64
	err := tx.tx.QueryRowContext(ctx, maxLamportThroughQuery, device, int64(min(seq, math.MaxInt64)), author, Pending).Scan(&max)
	return max, wrap("max lamport of "+device, err)
}

const maxLamportThroughQuery = `SELECT coalesce(max(lamport), 0) FROM envelopes WHERE device = ? AND seq <= ? AND author = ? AND state <> ?`

// CountEnvelopes returns how many envelopes are in each state; every state
// is in the map, with 0 when none is in it. Pending, sealed and rejected
// envelopes are counted in their partial indexes, applied ones as the rest
// of the whole.
func (tx *Tx) CountEnvelopes(ctx context.Context) (map[EnvelopeState]int, error) {
	if err := tx.writeAdded(ctx); err != nil {
		return nil, err
	}
	var all, pending, sealed, rejected int
	err := tx.tx.QueryRowContext(ctx, countEnvelopesQuery).Scan(&all, &pending, &sealed, &rejected)
	if err != nil {
		return nil, wrap("count envelopes", err)
	}
	return map[EnvelopeState]int{Pending: pending, Applied: all - pending - sealed - rejected, Sealed: sealed, Rejected: rejected}, nil
}

const countEnvelopesQuery = `SELECT
	(SELECT count(*) FROM envelopes),
	(SELECT count(*) FROM envelopes INDEXED BY envelopes_pending WHERE state = 0),
	(SELECT count(*) FROM envelopes INDEXED BY envelopes_sealed WHERE state = 2),
	(SELECT count(*) FROM envelopes INDEXED BY envelopes_rejected WHERE state = 3)`

func (tx *Tx) envelopeList(ctx context.Context, op, query string, args ...any) ([]Envelope, error) {
	var list []Envelope
	err := tx.eachEnvelope(ctx, op, func(e Envelope) error {
		list = append(list, e)
		return nil
	}, query, args...)
	if err != nil {
		return nil, err
	}
	return list, nil
}

func (tx *Tx) eachEnvelope(ctx context.Context, op string, fn func(Envelope) error, query string, args ...any) error {
	if err := tx.writeAdded(ctx); err != nil {
		return err
	}
	rows, err := tx.tx.QueryContext(ctx, query, args...)
	if err != nil {
		return wrap(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEnvelope(rows)
		if err != nil {
			return wrap(op, err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return wrap(op, rows.Err())
}

// scanEnvelope reads one row selected with envelopeColumns.
func scanEnvelope(row interface{ Scan(...any) error }) (Envelope, error) {
	var e Envelope
	err := row.Scan(&e.ID, &e.Device, &e.Seq, &e.Lamport, &e.Entity, &e.Kind, &e.Scope, &e.Epoch,
		&e.Author, &e.Prev, &e.Hash, &e.Time, &e.Raw, &e.State, &e.Reason, &e.Rule)
	return e, err
}

// DiscardPending removes an envelope that is still pending, to make room
// for a verified envelope that claims its id or its place in the chain.
// Any other envelope is kept: ErrInvalid.
func (tx *Tx) DiscardPending(ctx context.Context, id string) error {
	if err := tx.writeAdded(ctx); err != nil {
		return err
	}
	res, err := tx.tx.ExecContext(ctx, `DELETE FROM envelopes WHERE id = ? AND state = ?`, id, Pending)
	if err != nil {
		return wrap("discard pending envelope "+id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return invalid("discard envelope %s: only a pending envelope may be discarded", id)
	}
	return nil
}

// DropEnvelope removes an envelope this workstation kept that turned out
// not to belong in its place: an event of a device that the directory
// gives to another member (someone copied the device's id and wrote its
// first event). Its place in the chain is free again for the genuine
// event, and the device's head falls back to the highest envelope left.
// The caller undoes what the envelope changed.
func (tx *Tx) DropEnvelope(ctx context.Context, id string) error {
	if err := tx.writeAdded(ctx); err != nil {
		return err
	}
	op := "drop envelope " + id
	// Back to pending first: only a pending envelope may be deleted (the
	// envelopes_kept trigger), and leaving applied or sealed withdraws the
	// device's head (envelopes_head_withdrawn).
	res, err := tx.tx.ExecContext(ctx, `UPDATE envelopes SET state = ?, reason = 'dropped', rule = '' WHERE id = ?`, Pending, id)
	if err := changedOne(res, err); err != nil {
		return wrap(op, err)
	}
	_, err = tx.tx.ExecContext(ctx, `DELETE FROM envelopes WHERE id = ?`, id)
	return wrap(op, err)
}

// AnyInScopeBy reports whether the store holds any envelope of scope, in
// any state, written by one of the authors (fingerprint → the devices
// her directory entry names). An author's devices are read through the
// (device, seq) index, stopping at the first envelope of the scope; only
// an author whose entry names no device (written before entries named
// them) is looked for by author across the whole log.
func (tx *Tx) AnyInScopeBy(ctx context.Context, scope string, authors map[string][]string) (bool, error) {
	for author, devices := range authors {
		for _, d := range devices {
			var n int
			err := tx.tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM envelopes WHERE device = ? AND author = ? AND scope = ?)`,
				d, author, scope).Scan(&n)
			if err != nil || n == 1 {
				return n == 1, wrap("envelopes of scope "+scope, err)
			}
		}
		if len(devices) == 0 {
			var n int
			err := tx.tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM envelopes WHERE author = ? AND scope = ?)`,
				author, scope).Scan(&n)
			if err != nil || n == 1 {
				return n == 1, wrap("envelopes of scope "+scope, err)
			}
		}
	}
	return false, nil
}

// AnyInScope reports whether the store holds any envelope of scope, in
// any state: whether someone in the clinic has used the scope's key (its
// first grant, or data sealed with it). It stops at the first one.
func (tx *Tx) AnyInScope(ctx context.Context, scope string) (bool, error) {
	var n int
	err := tx.tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM envelopes WHERE scope = ?)`, scope).Scan(&n)
	return n == 1, wrap("envelopes of scope "+scope, err)
}

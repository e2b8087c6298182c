package replica

// The store's seal (session 21, h-mac21; sec-s15c H2–H5). Someone who
// can write the profile folder but holds neither the keyring's secrets
// nor the passphrase could put back an older medihaven.db, an older
// sealed row, or delete clear rows (the meta rows that retire keys, the
// blind index), and the workstation believed what it found. Every write
// transaction now also writes a MAC with a key derived from the device
// key over what decides trust:
//
//   - a generation, one more at each commit, whose latest durable value
//     the app also keeps in the keyring (Params.Seal.Floor): a store
//     whose generation is below it is an older copy put back;
//   - the tip of this workstation's own chain (deleted own events);
//   - the meta rows that mark keys retired, seen, whose source they came
//     from, the index keys' epochs and the restore mark;
//   - the rows of the directory's kinds (member, key, key-held,
//     confirms: an older sealed row put back);
//   - the blind index: the XOR of a keyed value of every posting, kept
//     up to date from what each transaction writes or removes and read
//     whole only at login.
//
// At Open the seal is checked. A mismatch is never trusted and never
// locks the workstation out: it is said (Altered), the workstation is
// marked restored (its writes wait for its first catch-up when it syncs,
// and it takes its chain's continuation from the clinic), and what the
// seal covers is rebuilt: the index from the records, the directory's
// rows from the signed events, and every key held is retired and marked
// seen (the meta rows that said which were lost; upkeep starts new
// epochs). A crash between a commit and the keyring's write leaves the
// store ahead of the keyring, which is fine; the keyring is written only
// after a durable commit (SealNow), so a power cut cannot put it ahead.

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/store"
)

// metaSeal is the store meta key of the seal.
const metaSeal = "store/seal"

// sealVersion is the seal's format: 2 (session 22) adds the rows of
// records, events, bindings and the rest (store.RowMarks); 3 (session 23)
// marks them with keyed BLAKE2b computed in C (store.MarkRow) instead of
// AES of SHA-256 computed in Go (the calls into Go cost a catch-up more
// than the rest of the seal), and adds the store's note of the chain it
// writes in (MetaChain) as a field of its own: OwnChain believes the
// sealed note over the row. A seal of version 1 is still read, and its
// rows are read whole once to seal them; one of version 2, its rows are
// read whole once at login, checked with its marks and sealed with the
// new ones (its meta digest is as in 3, and it holds no note). 4
// (session 24) adds the seal's home (SealCheck.Home) as a field of its
// own: a version-3 seal is read as 4 without one, and written again in 4
// at its first login.
const sealVersion = 4

// SealCheck is what the keyring says of the store's seal (Params.Seal).
type SealCheck struct {
	// Floor is the generation the keyring last kept (0: none).
	Floor uint64
	// Home is a random id of this copy of the profile on this computer,
	// kept beside the generation (session 24): each seal carries it ("":
	// the keyring could not be read; the store's own is kept). Two
	// copies of one profile (a backup restored on another computer, the
	// old disk) hold one device key, so each seals the other's store as
	// well as its own; only the home tells whose a store was.
	Home string
	// HomeKept says the keyring kept Home: a store sealed under another
	// home, or under none (a seal of before, or another copy's), was put
	// there from elsewhere. False on the first login that keeps a home
	// (an upgrade, a new or restored profile): nothing to compare.
	HomeKept bool
}

// sealedMeta are the meta keys (prefixes) the seal covers.
var sealedMeta = []string{"retired-epochs/", "seen-epochs/", "key-from/", "index-epoch/", MetaRestored,
	"recovery/", "colleagues-confirmed", "desk-colleagues-confirmed"}

// sealedKinds are the directory's kinds whose rows the seal covers.
var sealedKinds = []string{KindMember, KindKey, KindKeyHeld, KindConfirms}

// sealParts are the digests of what the seal covers.
type sealParts struct {
	device string
	tip    uint64
	hash   string
	meta   [32]byte
	dir    [32]byte
	index  [16]byte
	rows   store.RowMarks
	// chain: the store's note of the chain it writes in (version 3; ""
	// in a seal of before, or of a store noting none).
	chain string
	// home: the seal's home (SealCheck.Home; version 4, "" before).
	home    string
	version byte
}

// storeSeal seals the replica's store (store.Sealer).
type storeSeal struct {
	r     *Replica
	mac   [32]byte
	block cipher.Block
	rows  [32]byte // the rows' marks' key (store.MarkRow)

	mu    sync.Mutex // guards gen and parts (a commit's result)
	gen   uint64
	parts sealParts
}

func newStoreSeal(r *Replica) (*storeSeal, error) {
	dk := r.p.DeviceKey
	if dk.Wiped() {
		return nil, errors.New("replica: no device key to seal the store with")
	}
	s := &storeSeal{r: r, mac: sealKey(dk, "mac"), rows: sealKey(dk, "rows")}
	k := sealKey(dk, "index")
	b, err := aes.NewCipher(k[:])
	if err != nil {
		return nil, err
	}
	s.block = b
	return s, nil
}

// sealKey is the seal's key labelled label, derived from the device key.
func sealKey(dk crypto.DeviceKey, label string) [32]byte {
	h := hmac.New(sha256.New, dk[:])
	h.Write([]byte("medihaven/store-seal/" + label))
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

// wipe forgets the seal's keys (Replica.Wipe). The AES cipher's own
// expanded copy of the index key stays until it is collected: it seals
// nothing and opens nothing, and the device key cannot be had from it.
func (s *storeSeal) wipe() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.mac[:])
	clear(s.rows[:])
	s.block = nil
}

// Mark is a posting's keyed value (store.Sealer).
func (s *storeSeal) Mark(token, entity int64) [16]byte {
	s.mu.Lock()
	b := s.block
	s.mu.Unlock()
	return mark(b, token, entity)
}

// RowKey is the key of the rows' marks (store.Sealer); !ok once wiped.
func (s *storeSeal) RowKey() (key [32]byte, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rows, s.block != nil
}

// markRowV2 is a row's mark in a seal of version 2: the AES of the first
// half of the row's SHA-256 (read once, when such a seal is upgraded).
func markRowV2(b cipher.Block, row []byte) [16]byte {
	var out [16]byte
	if b == nil {
		return out // wiped: the store is closed
	}
	h := sha256.Sum256(row)
	b.Encrypt(out[:], h[:16])
	return out
}

func mark(b cipher.Block, token, entity int64) [16]byte {
	var in, out [16]byte
	if b == nil {
		return out // wiped: the store is closed
	}
	binary.BigEndian.PutUint64(in[:8], uint64(token))
	binary.BigEndian.PutUint64(in[8:], uint64(entity))
	b.Encrypt(out[:], in[:])
	return out
}

// macKey is a copy of the MAC's key (zero once wiped).
func (s *storeSeal) macKey() [32]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mac
}

// errSealWiped: a write was about to commit after the session locked.
var errSealWiped = errors.New("replica: this workstation was locked while a change was being saved: the change was not kept; unlock it to go on")

// Seal writes the seal of the state tx leaves (store.Sealer).
func (s *storeSeal) Seal(ctx context.Context, tx *store.Tx) (func(), error) {
	// A transaction that changed nothing leaves the seal as it was (and
	// costs no write).
	if wrote, err := tx.Wrote(ctx); err != nil || !wrote {
		return nil, err
	}
	s.mu.Lock()
	gen, parts, wiped := s.gen+1, s.parts, s.block == nil
	s.mu.Unlock()
	if wiped {
		// The session locked (Replica.Wipe) while this write ran: sealed
		// with the wiped key it would read as altered at the next login
		// (everything rebuilt, every key retired, the workstation moved;
		// seen once in the whole CI, TestMoveOverTheNetwork). It rolls
		// back: nothing half-written, done again after the next login.
		return nil, errSealWiped
	}
	index, cleared, meta, entities := tx.SealChanges(sealedKinds...)
	if cleared {
		parts.index = [16]byte{}
	}
	for i := range index {
		parts.index[i] ^= index[i]
	}
	rows := tx.RowChanges()
	for t := range rows {
		for i := range rows[t] {
			parts.rows[t][i] ^= rows[t][i]
		}
	}
	var err error
	if parts.device, parts.tip, parts.hash, err = s.tip(ctx, tx); err != nil {
		return nil, err
	}
	if meta {
		if parts.meta, err = metaDigest(ctx, tx); err != nil {
			return nil, err
		}
		if parts.chain, err = chainNote(ctx, tx); err != nil {
			return nil, err
		}
	}
	if entities {
		if parts.dir, err = dirDigest(ctx, tx); err != nil {
			return nil, err
		}
	}
	if err := tx.SetMeta(ctx, metaSeal, s.encode(gen, parts)); err != nil {
		return nil, fmt.Errorf("replica: seal the store: %w", err)
	}
	return func() {
		s.mu.Lock()
		s.gen, s.parts = gen, parts
		s.mu.Unlock()
	}, nil
}

// Gen is the generation of the last committed seal.
func (s *storeSeal) Gen() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gen
}

func (s *storeSeal) tip(ctx context.Context, tx *store.Tx) (string, uint64, string, error) {
	d := s.r.p.Device
	tip, ok, err := tx.ChainTip(ctx, d)
	if err != nil || !ok {
		return d, 0, "", err
	}
	return d, tip.Seq, tip.Hash, nil
}

func metaDigest(ctx context.Context, tx *store.Tx) ([32]byte, error) {
	h := sha256.New()
	for _, prefix := range sealedMeta {
		err := tx.MetaWithPrefix(ctx, prefix, func(k string, v []byte) {
			writeField(h, []byte(k))
			writeField(h, v)
		})
		if err != nil {
			return [32]byte{}, err
		}
	}
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out, nil
}

// chainNote is the store's note of the chain it writes in ("" for none).
func chainNote(ctx context.Context, tx *store.Tx) (string, error) {
	v, err := tx.Meta(ctx, MetaChain)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	return string(v), err
}

func dirDigest(ctx context.Context, tx *store.Tx) ([32]byte, error) {
	h := sha256.New()
	for _, kind := range sealedKinds {
		es, err := tx.EntitiesOfKind(ctx, kind, -1, 0)
		if err != nil {
			return [32]byte{}, err
		}
		writeField(h, []byte(kind))
		for _, e := range es {
			writeField(h, []byte(e.ID))
			writeField(h, []byte(e.Scope))
			writeField(h, e.State)
			var n [16]byte
			binary.BigEndian.PutUint64(n[:8], e.Lamport)
			binary.BigEndian.PutUint64(n[8:], uint64(e.Updated))
			h.Write(n[:])
		}
	}
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out, nil
}

func writeField(w interface{ Write([]byte) (int, error) }, b []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(b)))
	w.Write(n[:])
	w.Write(b)
}

// encode is the seal's row: the version, the generation, the parts, and
// the MAC over all of them.
func (s *storeSeal) encode(gen uint64, p sealParts) []byte {
	return s.encodeAs(sealVersion, gen, p)
}

// encodeAs is encode in version (2 or more: the rows are in it; 3 or
// more: the note of the chain too).
func (s *storeSeal) encodeAs(version byte, gen uint64, p sealParts) []byte {
	var b bytes.Buffer
	b.WriteByte(version)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], gen)
	b.Write(n[:])
	writeField(&b, []byte(p.device))
	binary.BigEndian.PutUint64(n[:], p.tip)
	b.Write(n[:])
	writeField(&b, []byte(p.hash))
	b.Write(p.meta[:])
	b.Write(p.dir[:])
	b.Write(p.index[:])
	for t := range p.rows {
		b.Write(p.rows[t][:])
	}
	if version >= 3 {
		writeField(&b, []byte(p.chain))
	}
	if version >= 4 {
		writeField(&b, []byte(p.home))
	}
	key := s.macKey()
	m := hmac.New(sha256.New, key[:])
	m.Write(b.Bytes())
	b.Write(m.Sum(nil))
	return b.Bytes()
}

// decode reads a seal's row, whether its MAC holds, and its version (1:
// it seals no rows; 2: its rows' marks are markRowV2's and it holds no
// note of the chain).
func (s *storeSeal) decode(row []byte) (gen uint64, p sealParts, ok bool, version byte) {
	if len(row) < 1+8+4+8+4+32+32+16+32 || row[0] < 1 || row[0] > sealVersion {
		return 0, p, false, 0
	}
	version = row[0]
	rows := version >= 2
	p.version = version
	body, tag := row[:len(row)-32], row[len(row)-32:]
	key := s.macKey()
	m := hmac.New(sha256.New, key[:])
	m.Write(body)
	if !hmac.Equal(m.Sum(nil), tag) {
		return 0, p, false, 0
	}
	rd := bytes.NewReader(body[1:])
	field := func() string {
		var n [4]byte
		rd.Read(n[:])
		l := binary.BigEndian.Uint32(n[:])
		if int(l) > rd.Len() {
			return ""
		}
		f := make([]byte, l)
		rd.Read(f)
		return string(f)
	}
	var n [8]byte
	rd.Read(n[:])
	gen = binary.BigEndian.Uint64(n[:])
	p.device = field()
	rd.Read(n[:])
	p.tip = binary.BigEndian.Uint64(n[:])
	p.hash = field()
	rd.Read(p.meta[:])
	rd.Read(p.dir[:])
	rd.Read(p.index[:])
	if rows {
		for t := range p.rows {
			rd.Read(p.rows[t][:])
		}
	}
	if p.version >= 3 {
		p.chain = field()
	}
	if p.version >= 4 {
		p.home = field()
	}
	return gen, p, rd.Len() == 0, version
}

// current reads the parts of the store as it is; the index whole only
// when scan, the rows whole only when scanRows (else they are left zero).
func (s *storeSeal) current(ctx context.Context, tx *store.Tx, scan, scanRows bool) (p sealParts, err error) {
	if p.device, p.tip, p.hash, err = s.tip(ctx, tx); err != nil {
		return p, err
	}
	if p.meta, err = metaDigest(ctx, tx); err != nil {
		return p, err
	}
	if p.dir, err = dirDigest(ctx, tx); err != nil {
		return p, err
	}
	if p.chain, err = chainNote(ctx, tx); err != nil {
		return p, err
	}
	if scan {
		if p.index, err = s.indexNow(ctx, tx); err != nil {
			return p, err
		}
	}
	if scanRows {
		p.rows, err = s.rowsNow(ctx, tx)
	}
	return p, err
}

// rowsNow is, per table, the XOR of the marks of every row the store
// holds.
func (s *storeSeal) rowsNow(ctx context.Context, tx *store.Tx) (store.RowMarks, error) {
	key, ok := s.RowKey()
	defer clear(key[:])
	return tx.RowMarksNow(ctx, func(row []byte) (m [16]byte) {
		if ok {
			m = store.MarkRow(&key, row)
		}
		return m // wiped: the store is closed
	})
}

// rowsNowV2 is rowsNow with the marks of a seal of version 2.
func (s *storeSeal) rowsNowV2(ctx context.Context, tx *store.Tx) (store.RowMarks, error) {
	s.mu.Lock()
	b := s.block
	s.mu.Unlock()
	return tx.RowMarksNow(ctx, func(row []byte) [16]byte { return markRowV2(b, row) })
}

// indexNow is the XOR of the marks of every posting the index holds.
func (s *storeSeal) indexNow(ctx context.Context, tx *store.Tx) (x [16]byte, err error) {
	s.mu.Lock()
	b := s.block
	s.mu.Unlock()
	err = tx.EachPosting(ctx, func(t, e int64) {
		m := mark(b, t, e)
		for i := range m {
			x[i] ^= m[i]
		}
	})
	return x, err
}

// What a check found altered.
const (
	alteredAll = 1 << iota
	alteredIndex
	alteredDir
	alteredMeta
	alteredTip
	alteredChain
	alteredRows
)

// checkSeal checks the store against its seal and the keyring's floor,
// installs the seal on the store, and repairs what was found altered.
// A store sealed for the first time (no seal yet, none known to the
// keyring) is sealed as it is.
func (r *Replica) checkSeal(ctx context.Context) error {
	s, err := newStoreSeal(r)
	if err != nil {
		return err
	}
	var row []byte
	var now sealParts
	var v2rows store.RowMarks // the rows' marks as a seal of version 2 made them
	err = r.p.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		if row, err = tx.Meta(ctx, metaSeal); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		// The index is read whole only to seal it the first time: a
		// sealed one is checked after login (CheckIndex), off the
		// login's path (a reception's 100,000 patients are some
		// 1,500,000 postings).
		first := row == nil && r.p.Seal.Floor == 0
		// The rows are read whole at login only to seal them: the first
		// time, after a seal of version 1 (which did not cover them), or
		// when the seal cannot be believed (they are rebuilt after
		// login, from what they are now). Else after login (CheckIndex).
		gen, _, ok, version := s.decode(row)
		// (A seal of version 3 marks rows as 4 does.)
		now, err = s.current(ctx, tx, first, first || !ok || version < 3 || gen < r.p.Seal.Floor)
		if err == nil && ok && version == 2 && gen >= r.p.Seal.Floor {
			// Checked now against the seal, on the same snapshot,
			// with the marks it was made with.
			v2rows, err = s.rowsNowV2(ctx, tx)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("replica: check the store's seal: %w", err)
	}
	floor := r.p.Seal.Floor
	var found int
	var why []string
	gen, was, ok, version := s.decode(row)
	switch {
	case row == nil && floor == 0:
		// Never sealed: a new store, or one from before session 21.
	case row == nil:
		found, why = alteredAll|alteredMeta, append(why, "its seal was deleted")
	case !ok:
		found, why = alteredAll|alteredMeta, append(why, "its seal does not match this workstation's key")
	case r.p.Seal.HomeKept && was.home != r.p.Seal.Home:
		// Sealed by another copy of this profile (one device key): the
		// other computer's store of a restored profile, or a profile
		// folder copied, put here. Judged as an older copy: whatever its
		// generation, its chain may have gone on elsewhere.
		found, why = alteredAll, append(why, "it was sealed by another copy of this profile (another computer's, or a copied folder's)")
		if was.meta != now.meta {
			found |= alteredMeta
		}
	case gen < floor:
		// An older copy, sealed as it was: its rows marking keys seen
		// are its own (a key recovered since is not in it at all),
		// unless they were edited as well.
		found, why = alteredAll, append(why, fmt.Sprintf("it is an older copy (generation %d, the keyring has seen %d)", gen, floor))
		if was.meta != now.meta {
			found |= alteredMeta
		}
	default:
		if was.device == now.device && (was.tip != now.tip || was.hash != now.hash) {
			found, why = found|alteredTip, append(why, fmt.Sprintf("its own chain ends at %d, sealed at %d", now.tip, was.tip))
		}
		if was.meta != now.meta {
			found, why = found|alteredMeta, append(why, "the rows marking keys retired or seen changed")
		}
		if was.dir != now.dir {
			found, why = found|alteredDir, append(why, "directory rows changed")
		}
		if was.chain != "" && was.chain != now.chain {
			// The app puts the sealed note back before it opens
			// (OwnChain): said here for a replica opened on the note.
			found, why = found|alteredChain, append(why, "its note of the chain it writes in changed")
		}
		now.index = was.index // checked by CheckIndex
		switch version {
		case 3, sealVersion:
			now.rows = was.rows // checked by CheckIndex
		case 2:
			var changed []string
			for t := range v2rows {
				if v2rows[t] != was.rows[t] {
					changed = append(changed, store.RowTableNames[t])
				}
			}
			if len(changed) > 0 {
				found, why = found|alteredRows, append(why, "its "+strings.Join(changed, ", ")+" changed")
			}
		}
	}
	if names := r.p.DB.TakeSchemaAltered(); len(names) > 0 {
		// Removed or written again at the store's Open, before any
		// write ran them (store/schemacheck.go); what they may have
		// been made to change is judged with the rows.
		found, why = found|alteredRows, append(why, "it held triggers Medihaven did not write as they were ("+strings.Join(names, ", ")+")")
	}
	now.home = r.p.Seal.Home
	if now.home == "" && ok {
		// The keyring's home is not known (it could not be read):
		// sealed under the store's, not under none.
		now.home = was.home
	}
	s.gen, s.parts = max(gen, floor), now
	r.p.DB.SetSealer(s)
	r.seal = s
	if found&(alteredAll|alteredRows) != 0 {
		r.rowsSuspect = true // rebuilt after login (CheckIndex)
	}
	// Its own chain may end short of what the clinic holds: the app moves
	// it onto a new chain, as a restore does (ChainSuspect).
	r.chainSuspect = found&(alteredAll|alteredTip) != 0
	if found != 0 {
		r.altered = alteredSay + ": " +
			strings.Join(why, "; ") + ". Nothing in it was trusted: it is being rebuilt from the clinic's signed records, " +
			"every key it held is retired (new ones follow), and it fetches what it is missing from the clinic's servers before it writes."
		if found&(alteredAll|alteredTip) != 0 {
			r.altered += " Changes made on this workstation that had not reached the clinic's servers before then may be missing: " +
				"check your latest work."
		}
		if err := r.repairAltered(ctx, found); err != nil {
			return fmt.Errorf("replica: rebuild the altered store: %w", err)
		}
	}
	if row != nil && found == 0 && version == sealVersion {
		// Its seal holds: nothing to write (a login that only reads, a
		// preview or a refused command, changes no file). One of an
		// older version is written again at once in this one, before
		// CheckIndex reads it.
		return nil
	}
	// Sealed now, as it is or as rebuilt (also a store never sealed
	// before).
	return r.p.DB.Update(ctx, func(tx *store.Tx) error { tx.Touch(); return nil })
}

// alteredSay opens what Altered says.
const alteredSay = "This workstation's records file was altered or put back while Medihaven was closed"

// CheckIndex checks the blind index, and the rows of records, events,
// bindings and the rest (store.RowMarks), against the seal, on one
// snapshot of the store (its seal row, postings and rows as one
// transaction left them). An index that differs is emptied and written
// again from the records; rows that differ are rebuilt from the log
// (rebuildRows); either is said (Altered). Run after Open, off the login's
// path: until it ends, a search or a chart may miss what was deleted.
func (r *Replica) CheckIndex(ctx context.Context) (altered bool, err error) {
	if r.seal == nil {
		return false, nil
	}
	var row []byte
	var x [16]byte
	var rows store.RowMarks
	var rowsErr error
	err = r.p.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		if row, err = tx.Meta(ctx, metaSeal); err != nil {
			return err
		}
		if x, err = r.seal.indexNow(ctx, tx); err != nil {
			return err
		}
		// A row that cannot be read as the store writes it (text in
		// a number's column) is an altered row, not a failed check.
		rows, rowsErr = r.seal.rowsNow(ctx, tx)
		return ctx.Err()
	})
	if err != nil {
		return false, fmt.Errorf("replica: check the index: %w", err)
	}
	if rowsErr != nil {
		rows = store.RowMarks{}
		rows[0][0] = 1 // differs from any seal's
	}
	_, was, ok, version := r.seal.decode(row)
	indexAltered := !ok || was.index != x
	var changed []string
	for t := range rows {
		if !ok || version != sealVersion || was.rows[t] != rows[t] {
			changed = append(changed, store.RowTableNames[t])
		}
	}
	r.alteredMu.Lock()
	suspect := r.rowsSuspect
	r.rowsSuspect = false
	r.alteredMu.Unlock()
	if suspect || len(changed) > 0 {
		if err := r.rebuildRows(ctx); err != nil {
			return true, fmt.Errorf("replica: rebuild the records from the log: %w", err)
		}
		indexAltered = true // written again from the rebuilt records
	}
	if !indexAltered {
		return false, nil
	}
	r.mu.Lock()
	err = r.p.DB.Update(ctx, func(tx *store.Tx) error {
		if err := tx.ClearIndex(ctx); err != nil {
			return err
		}
		return tx.SetMeta(ctx, store.MetaReindex, []byte{1})
	})
	r.mu.Unlock()
	if err == nil {
		err = r.indexAgain(ctx)
	}
	if err != nil {
		return true, fmt.Errorf("replica: index the records again: %w", err)
	}
	if suspect && len(changed) == 0 && was.index == x {
		return true, nil // said at Open
	}
	var say string
	switch {
	case len(changed) > 0:
		say = alteredSay + ": its " + strings.Join(changed, ", ") + " changed. They were rebuilt from the clinic's signed records " +
			"(refused events judged again), and it fetches what it is missing from the clinic's servers before it writes. " +
			"Events deleted from it may be missing until the clinic's servers send them again: check your latest work."
		if err := r.MarkRestored(ctx); err != nil {
			return true, err
		}
	default:
		say = alteredSay + ": its search index changed. It was written again from the records."
	}
	r.alteredMu.Lock()
	if r.altered != "" {
		r.altered += " "
	}
	r.altered += say
	r.alteredMu.Unlock()
	return true, nil
}

// rebuildRows rebuilds the store's rows from the log, whose events are
// signed. Their states in the file are not believed (a refused event set
// to applied, a revocation set back to refused): every event is judged
// again from the start, by Apply's own rules, as a workstation that
// received them all would judge them (session 23, h-rejudge23; session
// 22 sent back only the refused ones and kept the applied), in one
// transaction, so the store shows what it showed until the rebuilt
// records replace it. An event deleted from the file leaves the events
// above it in its device's chain waiting for it, and its device's head
// below it: the next catch-up fetches it (netsync's walk does not stop at
// a place held pending above a gap; PullFrom asks above the heads).
//
// The judging is done apart (apart): while it runs, readers of r (the
// staff directory, a chart's signer check, Verify) see what r knew before
// it, never a clinic half judged again (session 23's rebuild filled r's
// memory as it judged, so a revoked colleague was active again to this
// workstation until it ended: the whole CI's TestAttackS15cH3OlderMemberRow);
// r takes what was built once it is committed. Writers wait on r.mu.
func (r *Replica) rebuildRows(ctx context.Context) error {
	r.rebuilds.Add(1)
	defer r.rebuilds.Add(1)
	r.mu.Lock()
	a, held, err := r.apart(ctx)
	if err == nil {
		if _, err = a.apply(ctx, nil, true); err != nil {
			r.reload(ctx) // what the store holds: committed or not
		} else {
			r.takeRebuilt(a)
		}
	}
	r.mu.Unlock()
	held.call(r.p) // once r knows what changed
	return err
}

// heldHooks are the calls a replica built apart made to its Params'
// OnChange and OnAppend, held until the replica it is built for took it.
type heldHooks struct {
	mu       sync.Mutex
	changed  []Changed
	appended bool
}

func (h *heldHooks) call(p Params) {
	h.mu.Lock()
	changed, appended := h.changed, h.appended
	h.mu.Unlock()
	if len(changed) > 0 && p.OnChange != nil {
		p.OnChange(changed)
	}
	if appended && p.OnAppend != nil {
		p.OnAppend()
	}
}

// apart is a replica of r's store that shares none of r's memory, as r
// read it at Open (load), with what r holds of this session (a restored
// workstation's hold, the last witness): the seal's rebuild judges every
// event again in it. Its hooks are held. The caller holds r.mu.
func (r *Replica) apart(ctx context.Context) (*Replica, *heldHooks, error) {
	held := &heldHooks{}
	p := r.p
	p.OnChange = func(c []Changed) {
		held.mu.Lock()
		held.changed = append(held.changed, c...)
		held.mu.Unlock()
	}
	p.OnAppend = func() {
		held.mu.Lock()
		held.appended = true
		held.mu.Unlock()
	}
	a := newReplica(p)
	if err := p.DB.View(ctx, a.load); err != nil {
		return nil, held, fmt.Errorf("replica: rebuild the records: %w", err)
	}
	a.onChange = nil // nothing changed yet
	a.seal = r.seal
	r.mark.Lock()
	a.hold, a.witnessAt = r.hold, r.witnessAt
	r.mark.Unlock()
	return a, held, nil
}

// takeRebuilt has r take what the seal's rebuild built apart in a (take,
// and the rest of what an Apply judging every event again changes of
// memory). The caller holds r.mu; a is not used again.
func (r *Replica) takeRebuilt(a *Replica) {
	r.state.Lock()
	r.takeLocked(a)
	r.retired, r.seen, r.exposureChecked, r.holdRead = a.retired, a.seen, a.exposureChecked, a.holdRead
	r.account, r.ancestry, r.vanishedAdmins = a.account, a.ancestry, a.vanishedAdmins
	r.state.Unlock()
	r.takeMarks(a)
	r.roleLeft, r.moveDirty, r.looked = a.roleLeft, a.moveDirty, a.looked
	r.forkPairs, r.carryIn, r.carryN, r.carried = a.forkPairs, a.carryIn, a.carryN, a.carried
	r.chainLeft.Store(a.chainLeft.Load())
	r.chainNoted.Store(a.chainNoted.Load())
	r.grantsSeen.Add(a.grantsSeen.Load()) // RetireExposed reads the grant headers again
	r.rejudged.Add(a.rejudged.Load())
	r.mark.Lock()
	r.restoredMoved, r.witnessAt = a.restoredMoved, a.witnessAt
	r.mark.Unlock()
}

// judgeAllAgain sends every stored event back to be judged, removes the
// records, bindings, device owners and heads judging them made
// (store.JudgeAllAgain), and has the replica's memory read again from
// what is left, in tx: as a newcomer's before its first catch-up, with
// this workstation's keys, marks and chain.
func (r *Replica) judgeAllAgain(ctx context.Context, tx *store.Tx) error {
	if err := tx.JudgeAllAgain(ctx, "the store was altered: judged again"); err != nil {
		return fmt.Errorf("replica: judge every event again: %w", err)
	}
	fresh := newReplica(r.p)
	if err := fresh.load(tx); err != nil {
		return fmt.Errorf("replica: judge every event again: %w", err)
	}
	r.take(fresh)
	return nil
}

// sayJudgedAway tells OnChange of the records judging every event again
// did not write back (a chart open on a forged record is drawn again).
func (r *Replica) sayJudgedAway(ctx context.Context, tx *store.Tx) error {
	away, err := tx.JudgedAway(ctx)
	if err != nil {
		return fmt.Errorf("replica: judge every event again: %w", err)
	}
	r.state.Lock()
	for _, e := range away {
		r.onChange = append(r.onChange, Changed{ID: e.ID, Kind: e.Kind, Scope: e.Scope})
	}
	r.state.Unlock()
	return nil
}

// repairAltered rebuilds what a check found altered: every part for a
// store whose seal fails or that was put back.
func (r *Replica) repairAltered(ctx context.Context, found int) error {
	all := found&alteredAll != 0
	if all || found&alteredIndex != 0 {
		err := r.p.DB.Update(ctx, func(tx *store.Tx) error {
			if err := tx.ClearIndex(ctx); err != nil {
				return err
			}
			return tx.SetMeta(ctx, store.MetaReindex, []byte{1})
		})
		if err != nil {
			return err
		}
	}
	if all || found&alteredDir != 0 {
		if err := r.rebuildDirectory(ctx); err != nil {
			return err
		}
	}
	if all || found&alteredMeta != 0 {
		if err := r.retireAllHeld(ctx, found&alteredMeta != 0); err != nil {
			return err
		}
	}
	return r.MarkRestored(ctx)
}

// rebuildDirectory rebuilds every record of the directory's kinds from
// the events in the log, rows deleted included.
func (r *Replica) rebuildDirectory(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.p.DB.Update(ctx, func(tx *store.Tx) error {
		for _, kind := range sealedKinds {
			ids, err := tx.EntitiesInLog(ctx, kind)
			if err != nil {
				return err
			}
			for _, id := range ids {
				if err := r.rebuildEntity(ctx, tx, id); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// retireAllHeld retires every key this workstation holds (a revocation
// the store forgot may have exposed any), and when seen, marks each seen
// too: which were recovered (never to be handed on) was lost. That is
// costly where this workstation is the only holder of an old epoch: it
// no longer hands it to a newcomer.
func (r *Replica) retireAllHeld(ctx context.Context, seen bool) error {
	r.state.RLock()
	held := map[string][]uint32{}
	for scope, ks := range r.keys {
		for e := range ks {
			held[scope] = append(held[scope], e)
		}
	}
	r.state.RUnlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	for scope, epochs := range held {
		if seen {
			if err := r.addEpochsLocked(ctx, seenMeta(scope), r.seen, scope, epochs); err != nil {
				return err
			}
		}
		if err := r.addEpochsLocked(ctx, retiredMeta(scope), r.retired, scope, epochs); err != nil {
			return err
		}
	}
	return nil
}

// Altered says, in plain words, that the store was found altered or put
// back when it was opened, and what was done ("" when it was not).
func (r *Replica) Altered() string {
	r.alteredMu.Lock()
	defer r.alteredMu.Unlock()
	return r.altered
}

// SealGen is the generation of the store's last seal (0 when the store
// is not sealed), without writing.
func (r *Replica) SealGen() uint64 {
	if r.seal == nil {
		return 0
	}
	return r.seal.Gen()
}

// SealNow commits the store's seal durably and returns its generation:
// what the app may keep in the keyring (a power cut cannot take the store
// below it). 0 when the store is not sealed.
func (r *Replica) SealNow(ctx context.Context) (uint64, error) {
	if r.seal == nil {
		return 0, nil
	}
	if err := r.p.DB.Update(ctx, func(tx *store.Tx) error { tx.Touch(); return nil }); err != nil {
		return 0, err
	}
	return r.seal.Gen(), nil
}

// SealerForTest is the store's sealer of this replica (measurements put
// it back after taking it off).
func (r *Replica) SealerForTest() store.Sealer {
	if r.seal == nil {
		return nil
	}
	return r.seal
}

// SealAsVersion2ForTest rewrites the store's seal as the version before
// session 23 wrote it (no note of the chain, the rows marked as version 2
// marked them), under the same generation and other parts (version 3
// changed no other digest: the note is a field of its own): an upgrade's
// first login is tested from it.
func (r *Replica) SealAsVersion2ForTest(ctx context.Context) error {
	return r.sealAsForTest(ctx, 2)
}

// SealAsVersion3ForTest rewrites the store's seal as session 23 wrote it
// (no home), under the same generation and parts.
func (r *Replica) SealAsVersion3ForTest(ctx context.Context) error {
	return r.sealAsForTest(ctx, 3)
}

func (r *Replica) sealAsForTest(ctx context.Context, version byte) error {
	if r.seal == nil {
		return errors.New("replica: the store is not sealed")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	db := r.p.DB
	db.SetSealer(nil)
	defer db.SetSealer(r.seal)
	return db.Update(ctx, func(tx *store.Tx) error {
		row, err := tx.Meta(ctx, metaSeal)
		if err != nil {
			return err
		}
		gen, p, ok, _ := r.seal.decode(row)
		if !ok || p.version != sealVersion {
			return errors.New("replica: the store's seal does not hold")
		}
		if version == 2 {
			if p.rows, err = r.seal.rowsNowV2(ctx, tx); err != nil {
				return err // version 2 marked rows with AES (markRowV2)
			}
		}
		return tx.SetMeta(ctx, metaSeal, r.seal.encodeAs(version, gen, p))
	})
}

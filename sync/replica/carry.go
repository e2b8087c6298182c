package replica

// carry.go: a workstation that holds the outvoted branch of a fork gets
// the branch that stands (session 23, h-fork23; the F4 remainder).
//
// Only a device's own account announces and re-sends its chain (netsync),
// and a forker need never send the branch that stands to the workstations
// she served the other one: they kept neither branch (pending, waiting
// for it) for good. Honest chains, though, reach every workstation. So:
//
//   - Carrying. A workstation on which a branch of another member's forked
//     chain stands (witness.go: a majority of votes, its walk whole) writes
//     that branch, from the fork's place S up to the highest vote for it
//     (stand.reach), each envelope as a fork-seen event of its own chain
//     (fork.go's kind: its record id "fork:" then the device, its clear
//     payload the envelope's exact bytes), once per fork place and branch.
//     A version before it reads them as fork evidence only (one hash a
//     place proves nothing; the place S's is known already).
//   - Taking. A workstation applying such events notes what they carry of
//     each chain forked here (a reference to the fork-seen event; those
//     applied before the fork's proof are read again at it: scanCarried);
//     after the Apply, a run of them linked by Prev from the fork's place
//     S up is applied as though it arrived from the device, only when more
//     than half of the chain's counted votes (witness.go, votes) name an
//     event of that run: its hash at S is then the one that stands on
//     every workstation that places those votes, whoever carried it. It
//     takes a place that is empty here or held by an event that waits
//     (pending: replaceUnverified), never one applied or refused.
//
// Bounds: a workstation carries at most maxCarry envelopes a branch, and at
// most maxCarries branches a forked chain (a fork's place only falls, a
// branch flips only with the majority), and only as a member not revoked:
// a hostile member cannot have every workstation carry forever. A longer
// branch is not carried (the holder of the other waits for her account to
// send it, as before). A carried run is taken only with a majority on it,
// so a hostile carrier makes nobody take a branch the votes do not name.
// A workstation keeps at most maxCarryKept references between an Apply's
// settling and its end.
//
// One carrier suffices (session 24, h-d4carry24; before, every workstation
// on which the branch stood carried it, and every other fetched each copy:
// an amplification by the number of workstations). The workstations that
// voted for the branch carry it in turns (carryTurn): their pins' devices
// ordered by a hash of the branch's mark and the device, the first at
// once, the i-th carryGrace×i after the branch first stood on it. Before
// carrying, a workstation looks whether another chain carried the whole
// run already and every active member has either pinned that chain past
// the carrying or pinned the branch up to its highest vote
// (carriedElsewhere): then it does not carry, and looks again a
// carryGrace later. A hostile carrier who carries the branch and keeps her
// chain from the holder of the other one is thus seen (the holder never
// pins her chain there), and the next in turn carries; carrying a wrong
// branch first changes nothing (it is not the run). What the wait costs:
// when the first in turn is hostile or off line, the holder of the other
// branch waits for the next; while a member is off line, each in turn
// carries (the bound as before, spread over time). And a workstation
// carries at most maxCarryAuthor envelopes of one forker's chains.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/store"
)

const (
	// maxCarry bounds the envelopes of one branch a workstation carries,
	// and those it keeps of one forked chain to take.
	maxCarry = 512
	// maxCarries bounds the branches of one forked chain a workstation
	// carries.
	maxCarries = 4
	// maxCarryKept bounds the carried envelopes a workstation keeps (a
	// reference each) to take after an Apply.
	maxCarryKept = 4 * maxCarry
	// metaCarried, then device/author, lists the branches carried of that
	// chain ("S/hash at S").
	metaCarried = "replica/carried/"
	// maxCarryAuthor bounds the envelopes a workstation carries of one
	// forker's chains, all her devices together (session 24: before, each
	// device she forked could have every workstation carry 2,048).
	maxCarryAuthor = maxCarries * maxCarry
	// metaCarriedBy, then the author, counts the envelopes carried of her
	// chains here.
	metaCarriedBy = "replica/carried-by/"
	// carryGrace is the wait between two carriers' turns (carryTurn): long
	// enough for the first carrier's chain to reach the others and for
	// them to witness it (their upkeep witnesses every witnessEvery).
	carryGrace = 3 * witnessEvery
)

// carriedRef is an envelope a fork-seen event carried: its predecessor's
// hash, and the place of the fork-seen event holding it (its bytes are
// read from the store when taken: memory stays small).
type carriedRef struct {
	prev   string
	device string
	seq    uint64
}

// noteCarried keeps carried, an envelope of a forked chain (from its fork's
// place on) that the fork-seen event ev carried, verified by its author's
// key, to take after the Apply (r.mu held, or Open's). At most
// maxCarryKept are kept in all.
func (r *Replica) noteCarried(ev crypto.Header, carried *crypto.Envelope) {
	h := carried.Header
	if h.Device == r.p.Device {
		return
	}
	if from, ok := r.forkedFrom(h.Device, h.Author); !ok || h.Seq < from {
		return // taken at its fork's proof (scanCarried) if it comes
	}
	k := forkKey{h.Device, h.Author}
	if r.carryIn == nil {
		r.carryIn = map[forkKey]map[uint64]map[string]carriedRef{}
	}
	in := r.carryIn[k]
	if in == nil {
		in = map[uint64]map[string]carriedRef{}
		r.carryIn[k] = in
	}
	at := in[h.Seq]
	if at == nil {
		at = map[string]carriedRef{}
		in[h.Seq] = at
	}
	hash := carried.Hash()
	if _, ok := at[hash]; ok || len(at) >= 2 || r.carryN >= maxCarryKept {
		return
	}
	at[hash] = carriedRef{prev: h.Prev, device: ev.Device, seq: ev.Seq}
	r.carryN++
}

// scanCarried notes what the applied fork-seen events about k's device
// carried of its chain from seq on (setFork: a fork proven after they
// were applied).
func (r *Replica) scanCarried(ctx context.Context, tx *store.Tx, k forkKey, seq uint64) error {
	rows, err := tx.EnvelopesForEntity(ctx, ForkEntity(k.device))
	if err != nil {
		return fmt.Errorf("replica: fork evidence: %w", err)
	}
	for _, row := range rows {
		if row.Kind != KindForkSeen || row.State != store.Applied || row.Raw == nil {
			continue
		}
		ev, err := crypto.ParseEnvelope(row.Raw)
		if err != nil {
			continue
		}
		carried, err := parseForkSeen(ev.Header, ev.Ciphertext)
		if err != nil || carried.Header.Author != k.author || carried.Header.Seq < seq {
			continue
		}
		r.noteCarried(ev.Header, carried)
	}
	return nil
}

// carryForks (after an Apply, r.mu free) takes the standing branches
// fork-seen events carried here, then carries the branches that stand
// here to the others.
func (r *Replica) carryForks(ctx context.Context) {
	if !r.carrying.CompareAndSwap(false, true) {
		return // the Apply of what it takes
	}
	defer r.carrying.Store(false)
	r.takeCarried(ctx)
	r.carryStanding(ctx)
}

// takeCarried applies the runs carried of each forked chain that more
// than half of its votes name. What was carried of a chain whose standing
// branch this workstation lacks is read again when its votes change: a
// run carried before the votes naming it arrived (one carrier suffices
// since session 24, so its run may come first) is taken then.
func (r *Replica) takeCarried(ctx context.Context) {
	var again []forkKey
	r.state.RLock()
	for k, st := range r.stands {
		if !st.complete && st.pins != r.carryPins[k] {
			again = append(again, k)
			if r.carryPins == nil {
				r.carryPins = map[forkKey]string{}
			}
			r.carryPins[k] = st.pins
		}
	}
	r.state.RUnlock()
	slices.SortFunc(again, func(a, b forkKey) int { return strings.Compare(a.device+"/"+a.author, b.device+"/"+b.author) })
	for _, k := range again {
		if from, forked := r.forkedFrom(k.device, k.author); forked {
			r.mu.Lock()
			_ = r.p.DB.View(ctx, func(tx *store.Tx) error { return r.scanCarried(ctx, tx, k, from) })
			r.mu.Unlock()
		}
	}
	r.mu.Lock()
	in := r.carryIn
	r.carryIn, r.carryN = nil, 0
	r.mu.Unlock()
	var apply [][]byte
	for _, k := range slices.SortedFunc(maps.Keys(in), func(a, b forkKey) int {
		return strings.Compare(a.device+"/"+a.author, b.device+"/"+b.author)
	}) {
		from, forked := r.forkedFrom(k.device, k.author)
		if !forked {
			continue
		}
		err := r.p.DB.View(ctx, func(tx *store.Tx) error {
			raws, err := r.standingRun(ctx, tx, k, from, in[k])
			apply = append(apply, raws...)
			return err
		})
		if err != nil {
			continue
		}
	}
	if len(apply) > 0 {
		_, _ = r.Apply(ctx, apply) // its problems show as any arrival's
	}
}

// standingRun picks from what was carried of k's chain the run linked by
// Prev from its fork's place from on that more than half of its counted
// votes name, and returns its envelopes this workstation does not hold.
func (r *Replica) standingRun(ctx context.Context, tx *store.Tx, k forkKey, from uint64, in map[uint64]map[string]carriedRef) ([][]byte, error) {
	held, _, err := r.readPins(ctx, tx, k.device, k.author)
	if err != nil {
		return nil, err
	}
	counted := r.countedPins(held, k.author, from)
	if len(counted) == 0 {
		return nil, nil
	}
	for _, start := range slices.Sorted(maps.Keys(in[from])) {
		run := map[uint64]string{from: start}
		cur := start
		for s := from + 1; ; s++ {
			next := ""
			for _, h := range slices.Sorted(maps.Keys(in[s])) {
				if in[s][h].prev == cur {
					next = h
					break
				}
			}
			if next == "" {
				break
			}
			run[s], cur = next, next
		}
		on := 0
		for _, p := range counted {
			if run[p.Seq] == p.Hash {
				on++
			}
		}
		if 2*on <= len(counted) {
			continue
		}
		var fresh [][]byte
		for s := from; run[s] != ""; s++ {
			row, err := tx.EnvelopeAt(ctx, k.device, s)
			switch {
			case errors.Is(err, store.ErrNotFound):
			case err != nil:
				return nil, err
			case row.Hash == run[s] || row.State != store.Pending:
				continue // held, or a place it does not take
			}
			raw, err := carriedRaw(ctx, tx, in[s][run[s]], run[s])
			if err != nil {
				return nil, err
			}
			if raw != nil {
				fresh = append(fresh, raw)
			}
		}
		return fresh, nil
	}
	return nil, nil
}

// carriedRaw reads the envelope with hash that the fork-seen event at ref
// carries (nil: not there any more).
func carriedRaw(ctx context.Context, tx *store.Tx, ref carriedRef, hash string) ([]byte, error) {
	row, err := tx.EnvelopeAt(ctx, ref.device, ref.seq)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("replica: fork evidence: %w", err)
	}
	ev, err := crypto.ParseEnvelope(row.Raw)
	if err != nil {
		return nil, nil
	}
	carried, err := crypto.ParseEnvelope(ev.Ciphertext)
	if err != nil || carried.Hash() != hash {
		return nil, nil
	}
	return carried.Raw, nil
}

func carriedKey(k forkKey) string { return metaCarried + k.device + "/" + k.author }

// carriedMarks reads the branches of k's chain carried, here or by others.
func carriedMarks(ctx context.Context, tx *store.Tx, k forkKey) ([]string, error) {
	var done []string
	v, err := tx.Meta(ctx, carriedKey(k))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("replica: branches carried: %w", err)
	}
	if err := json.Unmarshal(v, &done); err != nil {
		return nil, fmt.Errorf("replica: branches carried: %w", err)
	}
	return done, nil
}

// markCarried notes that k's branch mark ("S/hash at S") was carried.
func markCarried(ctx context.Context, tx *store.Tx, k forkKey, mark string) error {
	done, err := carriedMarks(ctx, tx, k)
	if err != nil || slices.Contains(done, mark) || len(done) >= maxCarries {
		return err
	}
	return tx.SetMeta(ctx, carriedKey(k), mustJSON(append(done, mark)))
}

// carryLook is when a workstation looks again whether to carry a branch:
// at, or sooner when the votes (the stand's pins) change.
type carryLook struct {
	at   time.Time
	pins string
}

// carriedBy counts the envelopes of author's chains carried here.
func carriedBy(ctx context.Context, tx *store.Tx, author string) (int, error) {
	var n int
	v, err := tx.Meta(ctx, metaCarriedBy+author)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("replica: envelopes carried: %w", err)
	}
	if err := json.Unmarshal(v, &n); err != nil {
		return 0, fmt.Errorf("replica: envelopes carried: %w", err)
	}
	return n, nil
}

// carryTurn is this workstation's turn to carry k's branch run (seq ->
// hash, from its fork's place up): how many active members come before
// its own in an order drawn from a hash of the branch's mark and each
// member, less those whose highest pin of the chain is off the branch
// (another branch, or below the fork's place: they lack it); its own
// member last while her own pin is off the branch or unknown here (the
// others count her so: a holder of the other branch that took this one
// does not carry it at once beside the first in turn). The
// directory, not the votes known so far, makes the order: votes arrive at
// each workstation in its own order, and one that knew few of them would
// find itself first. The forker signs the hash at the fork's place, so
// she may grind the order: a colluder first in turn who never carries
// delays the next by carryGrace, and no more.
func (r *Replica) carryTurn(ctx context.Context, tx *store.Tx, k forkKey, mark string, run map[uint64]string) (int, error) {
	held, _, err := r.readPins(ctx, tx, k.device, k.author)
	if err != nil {
		return 0, err
	}
	order := func(fp string) string {
		sum := sha256.Sum256([]byte(mark + "/" + fp))
		return hex.EncodeToString(sum[:]) + fp
	}
	mine := order(r.fp)
	if p, ok := held[r.fp]; !ok || run[p.Seq] != p.Hash {
		mine = "~" // the others count her off the branch: her turn is after them all
	}
	turn := 0
	r.state.RLock()
	for fp, m := range r.members {
		if fp == r.fp || fp == k.author || !m.Active() || order(fp) > mine {
			continue
		}
		if p, ok := held[fp]; ok && run[p.Seq] != p.Hash {
			continue // her highest pin is off the branch: she lacks it
		}
		turn++
	}
	r.state.RUnlock()
	return turn, nil
}

// carriedElsewhere reports whether the applied fork-seen events of
// another workstation's chain carry the whole run of k's branch (seq ->
// hash, from its fork's place up to reach, its highest vote), and every
// active member but the forker, this one's and that chain's has pinned
// that chain at or above its last event carrying the run (she holds it),
// or k's chain at reach on the run (she holds the branch). A carrier who
// keeps her chain from one of them is not believed. mine: this
// workstation's own chain carries the whole run already (its events of
// evidence, or a carrying whose mark a crash lost: the batch and its mark
// are two transactions).
func (r *Replica) carriedElsewhere(ctx context.Context, tx *store.Tx, k forkKey, reach uint64, run map[uint64]string) (elsewhere, mine bool, err error) {
	rows, err := tx.EnvelopesForEntity(ctx, ForkEntity(k.device))
	if err != nil {
		return false, false, fmt.Errorf("replica: fork evidence: %w", err)
	}
	type carrier struct {
		has map[uint64]bool
		top uint64
	}
	by := map[forkKey]*carrier{}
	for _, row := range rows {
		if row.Kind != KindForkSeen || row.Raw == nil || row.Author == k.author ||
			row.State != store.Applied && !(row.Device == r.p.Device && row.State == store.Sealed) {
			continue
		}
		ev, err := crypto.ParseEnvelope(row.Raw)
		if err != nil {
			continue
		}
		carried, err := parseForkSeen(ev.Header, ev.Ciphertext)
		if err != nil || carried.Header.Author != k.author || run[carried.Header.Seq] != carried.Hash() {
			continue
		}
		ck := forkKey{row.Device, row.Author}
		c := by[ck]
		if c == nil {
			c = &carrier{has: map[uint64]bool{}}
			by[ck] = c
		}
		c.has[carried.Header.Seq] = true
		c.top = max(c.top, row.Seq)
	}
	if c := by[forkKey{r.p.Device, r.fp}]; c != nil && len(c.has) == len(run) {
		return false, true, nil
	}
	delete(by, forkKey{r.p.Device, r.fp})
	if len(by) == 0 {
		return false, false, nil
	}
	held, _, err := r.readPins(ctx, tx, k.device, k.author)
	if err != nil {
		return false, false, err
	}
	var members []string
	r.state.RLock()
	for fp, m := range r.members {
		if m.Active() && fp != k.author && fp != r.fp {
			members = append(members, fp)
		}
	}
	r.state.RUnlock()
	for _, ck := range slices.SortedFunc(maps.Keys(by), func(a, b forkKey) int {
		return strings.Compare(a.device+"/"+a.author, b.device+"/"+b.author)
	}) {
		c := by[ck]
		if len(c.has) != len(run) {
			continue
		}
		pins, _, err := r.readPins(ctx, tx, ck.device, ck.author)
		if err != nil {
			return false, false, err
		}
		all := true
		for _, fp := range members {
			if fp == ck.author {
				continue
			}
			if p, ok := held[fp]; ok && p.Seq == reach && p.Hash == run[reach] {
				continue
			}
			if p, ok := pins[fp]; ok && p.Seq >= c.top {
				continue
			}
			all = false
			break
		}
		if all {
			return true, false, nil
		}
	}
	return false, false, nil
}

// carryStanding writes, for each branch of another member's forked chain
// that stands here and was not carried yet, its envelopes from the fork's
// place up to its highest vote, each as a fork-seen event: when its turn
// comes (carryTurn), unless another chain carried it to everyone
// (carriedElsewhere), and within maxCarryAuthor of the forker's chains.
func (r *Replica) carryStanding(ctx context.Context) {
	if r.OwnForked() {
		return
	}
	r.state.RLock()
	me, ok := r.members[r.fp]
	type todo struct {
		k  forkKey
		st stand
	}
	var todos []todo
	for k, st := range r.stands {
		if k.author != r.fp && k.device != r.p.Device && st.top != "" && st.complete && st.reach >= st.from &&
			st.reach-st.from < maxCarry && st.hashes[st.from] != "" {
			todos = append(todos, todo{k, st})
		}
	}
	r.state.RUnlock()
	if !ok || me.Revoked() || len(todos) == 0 {
		// (Only a member's events apply elsewhere.)
		return
	}
	slices.SortFunc(todos, func(a, b todo) int {
		return strings.Compare(a.k.device+"/"+a.k.author, b.k.device+"/"+b.k.author)
	})
	now := r.now()
	if r.carried == nil {
		r.carried = map[string]bool{}
	}
	if r.carrySince == nil {
		r.carrySince, r.carryAt = map[string]time.Time{}, map[string]carryLook{}
	}
	for _, t := range todos {
		mark := fmt.Sprintf("%d/%s", t.st.from, t.st.hashes[t.st.from])
		seen := carriedKey(t.k) + "/" + mark
		if r.carried[seen] {
			continue // carried, or bounded: no read of its marks each Apply
		}
		if at, ok := r.carryAt[seen]; ok && now.Before(at.at) && at.pins == t.st.pins {
			continue // not its turn yet, or carried elsewhere and looked at lately
		}
		since, ok := r.carrySince[seen]
		if !ok {
			since = now
			r.carrySince[seen] = now
		}
		var raws [][]byte
		found := false // its own chain carries it: the mark only
		err := r.p.DB.View(ctx, func(tx *store.Tx) error {
			done, err := carriedMarks(ctx, tx, t.k)
			if err != nil {
				return err
			}
			if slices.Contains(done, mark) || len(done) >= maxCarries {
				r.carried[seen] = true
				return nil
			}
			rows, err := tx.EnvelopesAfter(ctx, t.k.device, t.st.from-1, int(t.st.reach-t.st.from+1))
			if err != nil {
				return err
			}
			// The stored chain through the highest vote, down to the
			// fork's place: what a holder of another branch lacks.
			want := t.st.reachHash
			for i := len(rows) - 1; i >= 0; i-- {
				row := rows[i]
				if row.Seq != t.st.from+uint64(i) || row.Hash != want || row.Author != t.k.author || row.Raw == nil {
					return nil
				}
				want = row.Prev
			}
			if uint64(len(rows)) != t.st.reach-t.st.from+1 {
				return nil
			}
			n, err := carriedBy(ctx, tx, t.k.author)
			if err != nil {
				return err
			}
			if n+len(rows) > maxCarryAuthor {
				r.carried[seen] = true // bounded: her chains carried enough from here
				return nil
			}
			run := make(map[uint64]string, len(rows))
			for _, row := range rows {
				run[row.Seq] = row.Hash
			}
			turn, err := r.carryTurn(ctx, tx, t.k, mark, run)
			if err != nil {
				return err
			}
			if due := since.Add(time.Duration(turn) * carryGrace); now.Before(due) {
				if soon := now.Add(witnessEvery); soon.Before(due) {
					due = soon // its turn may come sooner: a vote it counted before her may name another branch
				}
				r.carryAt[seen] = carryLook{due, t.st.pins}
				return nil
			}
			switch elsewhere, mine, err := r.carriedElsewhere(ctx, tx, t.k, t.st.reach, run); {
			case err != nil:
				return err
			case mine:
				found = true
				return nil
			case elsewhere:
				r.carryAt[seen] = carryLook{now.Add(carryGrace), t.st.pins}
				return nil
			}
			for _, row := range rows {
				raws = append(raws, row.Raw)
			}
			return nil
		})
		if err == nil && found {
			if r.p.DB.Update(ctx, func(tx *store.Tx) error { return markCarried(ctx, tx, t.k, mark) }) == nil {
				r.carried[seen] = true
			}
			continue
		}
		if err != nil || len(raws) == 0 {
			continue
		}
		batch := r.Batch()
		for _, raw := range raws {
			batch.add(KindForkSeen, ScopePublic, 0, ForkEntity(t.k.device), func(h crypto.Header) (*crypto.Envelope, error) {
				return crypto.SealRaw(h, raw, r.p.Identity)
			})
		}
		if _, err := batch.Commit(ctx); err != nil {
			continue // held (a restored workstation catching up): the next Apply
		}
		_ = r.p.DB.Update(ctx, func(tx *store.Tx) error {
			if err := markCarried(ctx, tx, t.k, mark); err != nil {
				return err
			}
			n, err := carriedBy(ctx, tx, t.k.author)
			if err != nil {
				return err
			}
			return tx.SetMeta(ctx, metaCarriedBy+t.k.author, mustJSON(n+len(raws)))
		})
	}
}

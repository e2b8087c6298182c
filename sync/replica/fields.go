package replica

// fields.go holds the fields rule (rules.go): a change of a record writes
// only field names its kind declares (roles/fields.go), and at most
// roles.MaxEventFields of them, so what one record holds is bounded by its
// kind and no member can make every workstation re-seal, and keep in
// memory, a record grown without bound; and a field its kind only ever
// sets (a confirmation: roles.Keyed.Set) is written true, so no member
// withdraws one (session 12 review, F4). Each event is judged alone, so the verdict
// does not depend on the order events arrive in. Judging needs the
// payload: a workstation that holds no key of the scope keeps the event
// sealed and judges it when the key comes (unseal.go), as it does for a
// payload that does not open (ruleContent).
//
// Workstations of an older version applied such events without the rule,
// or refused events for fields this version declares: mendFields judges
// again once, when the store is first opened by a version whose
// declarations differ (and mendIDs the ids rule's claims: mendids.go).

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// checkFields applies the fields rule to a change of kind (nil for kinds
// whose payload is not merged into a record: the kind rule judges those).
func checkFields(kind string, f Fields) error {
	k, ok := roles.KindOf(kind)
	if !ok || k.Raw {
		return nil
	}
	if err := k.CheckFields(maps.Keys(f)); err != nil {
		return err
	}
	return k.CheckValues(f)
}

// checkPin applies the pin rule to an event of a record (roles.Kind.Pin,
// CheckPin): under an id bound to a field's value when the record was
// made (a patient's MRN, an appointment's import), an event writes that
// field only as the id binds it, with the seal that proves it (session
// 26, h-mrn26). Judged alone, from the payload and the header's id, so
// where it opens (ruleContent), on every workstation and before writing.
// So is the value rule (roles.Kind.Values, session 28, h-secb28: an
// appointment's start within reach of the time the event states, a
// prescription's doses amounts), judged here with it so that it runs on
// every path the pin rule does: on apply, when a sealed event opens, at
// the upgrade's mend and before writing.
func checkPin(h crypto.Header, f Fields) error {
	k, ok := roles.KindOf(h.Kind)
	if !ok {
		return nil
	}
	if err := k.CheckPin(h.Entity, f); err != nil {
		return err
	}
	return k.CheckValuesAt(h.Time, f)
}

// metaFieldsRule is the store meta key that names the declarations
// (roles.FieldsVersion) this store's events were judged by (mendFields).
const metaFieldsRule = "replica/fields-rule"

// mendFields judges again, once per version of the declarations, what an
// older version decided. Records holding a name their kind does not
// declare, or more names than one event may write, may hold an event that
// version applied and this one refuses: their applied events are judged
// again, those refused are refused (ruleContent, as on every workstation
// of this version) and the records rebuilt. Events a version refused for
// their fields are judged again from the start (pending): this version may
// declare what they write.
func (r *Replica) mendFields(ctx context.Context) error {
	version := roles.FieldsVersion()
	done := false
	err := r.p.DB.View(ctx, func(tx *store.Tx) error {
		v, err := tx.Meta(ctx, metaFieldsRule)
		done = err == nil && string(v) == version
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	})
	if err != nil || done {
		return err
	}
	if err := r.p.DB.Update(ctx, func(tx *store.Tx) error { return r.retryFields(ctx, tx) }); err != nil {
		return err
	}
	if err := r.mendValueReasons(ctx); err != nil {
		return err
	}
	// Pins kept before fields revision 18 lack where they were written
	// (witness.go votes).
	if err := r.p.DB.Update(ctx, func(tx *store.Tx) error { return r.retakePins(ctx, tx) }); err != nil {
		return err
	}
	if err := r.p.DB.Update(ctx, func(tx *store.Tx) error { return r.mendIDs(ctx, tx) }); err != nil {
		return err
	}
	// The pin rule (fields revision 26; bound ids since 29) is judged
	// again once: every event a version of it applied since passed it.
	pinRule := 0
	if err := r.p.DB.View(ctx, func(tx *store.Tx) error {
		v, err := tx.Meta(ctx, metaPinRule)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		pinRule, _ = strconv.Atoi(string(v))
		return err
	}); err != nil {
		return err
	}
	suspects, err := r.overgrown(ctx, pinRule)
	if err != nil {
		return err
	}
	// Records made before ids were pinned keep their pinned field as
	// first written (roles.Kind.Once): those whose events may have
	// written it twice (a patient's MRN, an appointment's patient).
	again, err := r.changedAgain(ctx, pinRule)
	if err != nil {
		return err
	}
	suspects = append(suspects, again...)
	for _, id := range suspects {
		if err := r.judgeFieldsAgain(ctx, id); err != nil {
			return err
		}
	}
	if err := r.mendRoles(ctx); err != nil {
		return err
	}
	r.state.Lock()
	r.onChange = nil // nobody listens yet: this is how the store now is
	r.state.Unlock()
	return r.p.DB.Update(ctx, func(tx *store.Tx) error {
		if err := tx.SetMeta(ctx, metaPinRule, []byte(strconv.Itoa(pinRuleRevision))); err != nil {
			return err
		}
		return tx.SetMeta(ctx, metaFieldsRule, []byte(version))
	})
}

// metaPinRule marks a store whose events were judged by the pin rule
// (checkPin, fields revision 26; its revision, since 29 when bound ids
// began: pinRuleRevision) and whose records made before keep their
// pinned field as first written: the mend judges the pinned records and
// the records changed twice once, not at every later revision (a pinned
// record is every patient and appointment made since: at 100,000
// patients of two events each the mend took 28.9 s with them all judged
// again and 5.6 s without, under the exclusive bench lock at load 7–9;
// TestMendCostS26).
const metaPinRule = "replica/pin-rule"

// pinRuleRevision is the fields revision of the pin rule this version
// keeps in metaPinRule: 26, pinned ids (h-mrn26); 29, bound ids
// (roles.NewBoundID, h-secb27). From 26 to 29 the mend judges again every
// appointment changed since it was made (Once): 16.7 s over 100,000
// appointments of two events each, against 6.7 s for a later revision's
// mend (TestMendCostS27, exclusive bench lock, load 2–5).
const pinRuleRevision = 29

// onceKinds are the kinds whose records made before their ids bound a
// field keep it as first written (roles.Kind.Once), by the pin rule's
// revision that began it, and which of their ids bind it.
var onceKinds = []struct {
	kind  string
	since int
	binds func(kind, id string) bool
}{
	{"patient", 26, roles.IsPinned},
	{"appointment", 29, roles.IsBound},
}

// retryFields sends the events refused for their fields back to be judged
// again at the next Apply, and receptionists' confirmations, which a
// version from before they confirmed colleagues refused for the author's
// role (the same version change declared their "desk/" fields).
func (r *Replica) retryFields(ctx context.Context, tx *store.Tx) error {
	defer r.begin()()
	rows, err := tx.EnvelopesInState(ctx, store.Rejected, 0)
	if err != nil {
		return fmt.Errorf("replica: refused envelopes: %w", err)
	}
	for _, row := range rows {
		// (And, since session 19, what the rule "moved" refused: move.go;
		// since session 21, a fork's evidence an older version did not
		// know the kind of: fork.go; since session 22, a move from a
		// bound id an older version refused: move.go.)
		if row.Rule == ruleContent && strings.HasPrefix(row.Reason, fieldsPrefix) || row.Rule == ruleRole && row.Kind == KindConfirms ||
			row.Rule == ruleMoved || row.Rule == ruleKind && (row.Kind == KindForkSeen || row.Kind == KindWitness || row.Kind == KindMove) {
			if err := r.setState(ctx, tx, row, pending("the fields each kind may write changed: judged again")); err != nil {
				return err
			}
		}
	}
	return nil
}

// overgrown returns the records whose state could hold an event the
// fields rule refuses; the records whose ids are pinned or bound too,
// where the pin rule of pinRule (its revision, 0 for none) did not judge
// them.
func (r *Replica) overgrown(ctx context.Context, pinRule int) ([]string, error) {
	const page = 2000
	var out []string
	for after := ""; ; {
		var rows []store.Entity
		if err := r.p.DB.View(ctx, func(tx *store.Tx) error {
			var err error
			rows, err = tx.EntitiesAfter(ctx, after, page)
			return err
		}); err != nil {
			return nil, fmt.Errorf("replica: records to judge by the fields rule: %w", err)
		}
		if len(rows) == 0 {
			return out, nil
		}
		after = rows[len(rows)-1].ID
		for _, e := range rows {
			if !isRecordKind(e.Kind) {
				continue
			}
			st, err := r.openState(e)
			if err != nil {
				return nil, err
			}
			// More names than one event may write, or one no event may; or
			// a kind whose fields are only ever set, where a field written
			// otherwise may hide under a later event.
			// Or a directory entry, whose events the role content rule
			// judges (checkRoleFields). Or a record holding a field only
			// a role holding a scope writes (roles.Kind.Holders, fields
			// revision 25: checkRoleOfFields).
			// Or a record whose id is bound to a field's value (fields
			// revision 26: checkPin), or to several (revision 29).
			k, _ := roles.KindOf(e.Kind)
			pinned := k.Pin.Field != "" && (pinRule < 26 && roles.IsPinned(e.Kind, e.ID) || pinRule < 29 && roles.IsBound(e.Kind, e.ID))
			// Or a record of a kind with a value rule changed by an event
			// signed since the rules began (fields revision 31).
			valued := k.Values.Check != nil && e.Updated >= roles.ValuesSince
			if k.CheckFields(maps.Keys(st)) != nil || k.OnlyGrows() || e.Kind == KindMember || holdsHeld(k, st) || pinned || valued {
				out = append(out, e.ID)
			}
		}
	}
}

// changedAgain returns the records of onceKinds whose ids do not bind the
// fields they keep as first written, with more than one applied event,
// where the pin rule of pinRule did not keep them so: a version before
// read the fields' last writer.
func (r *Replica) changedAgain(ctx context.Context, pinRule int) ([]string, error) {
	var out []string
	err := r.p.DB.View(ctx, func(tx *store.Tx) error {
		for _, o := range onceKinds {
			if pinRule >= o.since {
				continue
			}
			ids, err := tx.EntitiesChangedAgain(ctx, o.kind)
			if err != nil {
				return err
			}
			for _, id := range ids {
				if !o.binds(o.kind, id) {
					out = append(out, id)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("replica: records to judge by the pin rule: %w", err)
	}
	return out, nil
}

// holdsHeld reports whether st holds a field of kind k only a role holding
// a scope writes (roles.Kind.Holders). Not one held under pinned ids only
// (Held.Pinned: an appointment's status "seen"): the records whose ids are
// pinned are judged once by the pin rule's revision (overgrown), and every
// version that applied an event under such an id since held it so; else
// every appointment with a status was judged again at every revision
// (session 27: 17.4 s over 100,000 appointments, 174 µs each, at load 2–5).
func holdsHeld(k roles.Kind, st State) bool {
	for _, h := range k.Holders {
		if _, ok := st[h.Field]; ok && !h.Pinned {
			return true
		}
	}
	return false
}

// judgeFieldsAgain refuses the applied events of record id that the
// fields rule refuses, and rebuilds the record from the rest.
func (r *Replica) judgeFieldsAgain(ctx context.Context, id string) error {
	return r.p.DB.Update(ctx, func(tx *store.Tx) error {
		defer r.begin()()
		rows, err := tx.EnvelopesForEntity(ctx, id)
		if err != nil {
			return fmt.Errorf("replica: events of %s: %w", id, err)
		}
		refused, once := false, onceValues{}
		for _, row := range rows {
			if row.State != store.Applied || !isRecordKind(row.Kind) {
				continue
			}
			env, f, err := r.storedFields(row)
			if err != nil {
				return err
			}
			v, bad := verdict{}, checkFields(row.Kind, f)
			if bad != nil {
				v = refusedFields(bad)
			} else if bad = checkRoleFields(env.Header, f); bad != nil {
				v = verdict{state: store.Rejected, rule: ruleContent, reason: bad.Error()}
			} else if bad = checkPin(env.Header, f); bad != nil {
				v = verdict{state: store.Rejected, rule: ruleContent, reason: bad.Error()}
			} else if roleOfFields(row.Kind) {
				// By the role its author held at the event, as on apply.
				if bad = checkRoleOfFields(row.Kind, row.Entity, r.rolesAt([]store.Envelope{row})[row.ID], f); bad != nil {
					v = contentVerdict(bad)
				}
			}
			if bad != nil {
				if err := r.setState(ctx, tx, row, v); err != nil {
					return err
				}
				refused = true
				continue
			}
			once.add(row.Kind, f)
		}
		if !refused && !once.disputed {
			return nil
		}
		if err := r.rebuildEntity(ctx, tx, id); err != nil {
			return err
		}
		return r.writeIndex(ctx, tx)
	})
}

// refusedFields is the verdict on a change the fields rule refuses: a
// payload that is no change of its kind (ruleContent, which a workstation
// without the key cannot see either, so the event still counts as a claim
// on its record: isClaim).
func refusedFields(bad error) verdict { return refused(ruleContent, "%s", fieldsReason(bad)) }

// fieldsReason is the reason a change the fields rule refuses is refused.
func fieldsReason(bad error) string { return fieldsPrefix + bad.Error() }

const fieldsPrefix = "payload is no change of its kind: "

// onceValues gathers the values a record's applied events write in the
// fields their kind keeps as first written (roles.Kind.Once): disputed
// once two differ, and a version that read the last writer may show
// another than this one (judgeFieldsAgain rebuilds the record).
type onceValues struct {
	seen     map[string]string
	disputed bool
}

func (o *onceValues) add(kind string, f Fields) {
	k, _ := roles.KindOf(kind)
	for _, name := range k.Once {
		v, ok := f[name]
		if !ok {
			continue
		}
		if o.seen == nil {
			o.seen = map[string]string{}
		}
		if was, ok := o.seen[name]; ok && was != string(v) {
			o.disputed = true
		}
		o.seen[name] = string(v)
	}
}

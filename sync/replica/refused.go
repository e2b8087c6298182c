package replica

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/internal/values"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// refused.go: what this workstation refused of what other workstations'
// software signed, told for people (the audit screen, a chart's note).
// Read only: the rules that refuse are in rules.go and the files it
// names; nothing here changes an envelope's state.

// Refusal is one refused event as people may see it: its header and the
// rule that refused it, never its payload (it may be sealed, and whoever
// reads the list may hold no key for it).
type Refusal struct {
	Event  string // the event's id as stored
	Device string // the workstation whose chain holds it
	Seq    uint64 // its place in that chain
	Kind   string // the kind of record it changes ("prescription", "member"...)
	Entity string // the record's id (random: it names nobody)
	Author string // the signer's key fingerprint
	Name   string // the signer's name in the directory, "" when unknown
	Time   time.Time
	Rule   string // the rule of policy that refused it, "" for a broken chain
	Why    string // the rule's reason in plain words (RefusalWords)
}

// Refused returns the events this workstation refused, newest first by the
// time they state, skipping offset of them and at most limit (0 or less:
// all), and how many are refused in all.
func (r *Replica) Refused(ctx context.Context, offset, limit int) ([]Refusal, int, error) {
	var page []store.Envelope
	var total int
	err := r.p.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		page, total, err = tx.RefusedPage(ctx, offset, limit)
		return err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("replica: refused events: %w", err)
	}
	out := make([]Refusal, len(page))
	for i, e := range page {
		out[i] = r.refusal(e)
	}
	return out, total, nil
}

// RefusedChange is a refused event with what it wrote, opened with a
// scope key this workstation holds: for the one reader entitled to it (a
// physician, of a prescription refused for her patient). Fields is nil
// when the payload does not open here.
type RefusedChange struct {
	Refusal
	Fields Fields
}

// RefusedOfKind returns the refused events of kind, newest first, each
// opened with the keys r holds of scope. What they wrote was refused:
// whoever shows it says so. The caller checks first that its member may
// read the kind.
func (r *Replica) RefusedOfKind(ctx context.Context, scope roles.Scope, kind string) ([]RefusedChange, error) {
	var list []store.Envelope
	err := r.p.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		list, err = tx.RefusedOfKind(ctx, kind)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("replica: refused %s events: %w", kind, err)
	}
	keys := map[uint32]crypto.ScopeKey{}
	for _, k := range r.Keys(scope) {
		keys[k.Epoch] = k
	}
	out := make([]RefusedChange, 0, len(list))
	for i := len(list) - 1; i >= 0; i-- {
		e := list[i]
		c := RefusedChange{Refusal: r.refusal(e)}
		if k, ok := keys[e.Epoch]; ok && e.Scope == string(scope) {
			if _, f, err := openStored(e.Raw, k); err == nil {
				c.Fields = f
			}
		}
		out = append(out, c)
	}
	return out, nil
}

func (r *Replica) refusal(e store.Envelope) Refusal {
	f := Refusal{Event: e.ID, Device: e.Device, Seq: e.Seq, Kind: e.Kind, Entity: e.Entity, Author: e.Author,
		Time: time.UnixMilli(e.Time), Rule: e.Rule, Why: RefusalWords(e.Rule, e.Reason)}
	if m, ok := r.Member(e.Author); ok {
		f.Name = m.Name
	}
	return f
}

// RefusalWords says in a few plain words why an envelope was refused, from
// the rule and the reason it was kept with ("dose is not an amount",
// "clock below its chain's", "written after the member was revoked"). It
// never repeats the reason itself: one kept by an older version may quote
// what the event wrote (session 29).
func RefusalWords(rule, reason string) string {
	has := func(s string) bool { return strings.Contains(reason, s) }
	switch rule {
	case "":
		return "its workstation's chain is broken here: an event altered, missing or out of order"
	case ruleRevoked:
		return "written after the member was revoked"
	case ruleHeld:
		return "written after a revocation that holds the member"
	case ruleToken:
		return "the member joined with a token another member used first"
	case ruleForked:
		return "the member signed two different events for one place of a chain (a fork)"
	case ruleMoved:
		return "written in a workstation's old chain after it moved"
	case ruleClock:
		if has("below") {
			return "clock below its chain's: a chain's clocks never go down"
		}
		return "clock past the highest any workstation accepts"
	case ruleBinding:
		return "the record it changes is of another kind"
	case ruleKind:
		switch {
		case has("no kind of record"):
			return "a kind of record this clinic does not know"
		case has("belongs in the"):
			return "a record in the wrong key's scope"
		case has("public key"):
			return "a public key not at the start of its chain"
		}
		return "a record id reserved for another kind of record"
	case ruleRole:
		switch {
		case has("disputed"):
			return "the member's role when it was written is disputed"
		case has("cannot grant"):
			return "the member's role may not hand out this key"
		}
		return "the member's role may not write this"
	case ruleContent:
		switch {
		case has(values.ErrNoAmount.Error()):
			return "dose is not an amount"
		case has("appointment's start"), has("appointment starts within"):
			return "appointment start out of reach (not a time, or more than ten years away)"
		case has("bound to its id"):
			return "changes what was fixed when the record was made"
		case has(fieldsPrefix):
			return "fields its kind of record does not have"
		case has("member's name"):
			return "a name that cannot stand in the directory"
		case has("names someone other"), has("does not name its author"):
			return "it names someone other than its signer"
		case has("cannot be opened"):
			return "its content does not open with its key"
		}
		return "its content is not a change of its kind"
	}
	return "refused by the rule " + rule
}

package replica

// names.go holds the name rule (rules.go): a directory entry's name holds
// no character that is not shown or that reorders the text around it
// (roles.CheckPersonName), so no administrator's workstation (an older
// version, or modified software) can make every screen show a newcomer
// under a name that looks like a colleague's. Each event is judged alone,
// from its payload, so where it opens (ruleContent), and the verdict does
// not depend on the order events arrive in.
//
// Duplicates are not judged here, only where a newcomer is admitted
// (app's admissibleName): two administrators may admit two newcomers of
// one name at the same time, and which entry to refuse would depend on
// which arrived first.
//
// Entries written before the rule existed are not judged (nameRuleSince,
// by the event's signed time), on any workstation: a newcomer replaying
// the log must build the directory the others hold, and refusing such an
// entry there would leave its member out, and every event of theirs
// waiting, on that one workstation. Screens show those names with their
// hidden runes written out (roles.VisibleName). Only an administrator
// can write an entry, and one who backdates hers escapes the rule, but
// not that display; she admits whom she likes anyway.

import (
	"encoding/json"
	"fmt"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
)

// nameRuleSince is when the name rule begins: 2026-12-04T00:00:00Z in
// unix milliseconds. Directory entries signed as written earlier are not
// judged by it.
const nameRuleSince = 1_796_342_400_000

// checkMemberName applies the name rule to the fields f of the event with
// header h: nil unless it is a directory entry, written since the rule
// began, whose "name" is no text or breaks roles.CheckPersonName.
func checkMemberName(h crypto.Header, f Fields) error {
	raw, ok := f["name"]
	if h.Kind != KindMember || h.Time < nameRuleSince || !ok {
		return nil
	}
	var name string
	if err := json.Unmarshal(raw, &name); err != nil {
		return fmt.Errorf("the member's name is not text")
	}
	// encoding/json reads bytes that are not UTF-8, and escaped lone
	// surrogates, as U+FFFD, which the rule refuses.
	if err := roles.CheckPersonName(name); err != nil {
		return fmt.Errorf("the member's name cannot stand in the directory: %w", err)
	}
	return nil
}

// checkAuthorFields applies the author rule: every event of a kind that
// declares fields naming its author (roles.Kind.Author: a vitals set's
// recorded_by) writes each of them, naming the event's own author, so
// modified software can neither put a colleague's name to what it
// recorded nor change values a colleague's name stands by (a change names
// who made it). Each event is judged alone, so the verdict does not
// depend on the order events arrive in, and whatever time it was signed
// at: the signed time is the signer's word (a date on the rule would let
// her backdate past it), and honest software always wrote its own
// fingerprint there, in the only event of a set it writes. Fields a kind
// names its author by only where they are written (roles.Kind.ByAuthor:
// an appointment's booked_by) are judged the same way when an event
// writes them: honest software has only ever written its own fingerprint
// there, at the booking.
func checkAuthorFields(h crypto.Header, f Fields) error {
	k, ok := roles.KindOf(h.Kind)
	if !ok {
		return nil
	}
	namesAuthor := func(name string) error {
		var who string
		if err := json.Unmarshal(f[name], &who); err != nil || who != h.Author {
			return fmt.Errorf("its %s names someone other than its author", name)
		}
		return nil
	}
	for _, name := range k.Author {
		if _, ok := f[name]; !ok {
			return fmt.Errorf("it does not name its author in %s", name)
		}
		if err := namesAuthor(name); err != nil {
			return err
		}
	}
	for _, name := range k.ByAuthor {
		if _, ok := f[name]; ok {
			if err := namesAuthor(name); err != nil {
				return err
			}
		}
	}
	return nil
}

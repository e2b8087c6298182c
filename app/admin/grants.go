package admin

import (
	"fmt"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/sync/replica"
)

// Key bookkeeping (the grants of new scope keys after a change of staff,
// and each member's acknowledgement of the keys it holds) is written as
// one event per member and scope: a revocation in a clinic of ten makes
// dozens. The audit log shows each burst as one line.

// ActionKeyBookkeeping is the action of a line that stands for a burst of
// key grants and acknowledgements.
const ActionKeyBookkeeping = "keys.bookkeeping"

// bookkeepingGap is the longest pause inside one burst.
const bookkeepingGap = 10 * time.Minute

func bookkeeping(e app.AuditEntry) bool {
	return e.Kind == replica.KindGrant || e.Kind == replica.KindKeyHeld
}

// GroupKeyBookkeeping folds each run of key grants and acknowledgements
// (entries newest first, no pause above ten minutes between them) into
// one line saying how many of each, dated by the run's newest entry; the
// other entries pass unchanged.
func GroupKeyBookkeeping(entries []app.AuditEntry) []app.AuditEntry {
	var out []app.AuditEntry
	for i := 0; i < len(entries); {
		if !bookkeeping(entries[i]) {
			out = append(out, entries[i])
			i++
			continue
		}
		j, grants, acks, people := i, 0, 0, map[string]bool{}
		for ; j < len(entries) && bookkeeping(entries[j]) && (j == i || entries[j-1].Time.Sub(entries[j].Time) <= bookkeepingGap); j++ {
			if entries[j].Kind == replica.KindGrant {
				grants++
			} else {
				acks++
			}
			people[entries[j].Author] = true
		}
		line := entries[i]
		line.Record = app.AuditRecord{Action: ActionKeyBookkeeping,
			Detail: fmt.Sprintf("key bookkeeping: %d key grant(s) and %d acknowledgement(s) by %d member(s), from %s", grants, acks,
				len(people), entries[j-1].Time.Format("15:04"))}
		if len(people) > 1 {
			line.Name = fmt.Sprintf("%s and %d other(s)", line.Name, len(people)-1)
		}
		out = append(out, line)
		i = j
	}
	return out
}

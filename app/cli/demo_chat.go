package cli

import (
	"context"
	"fmt"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/chat"
)

// The demo's staff chat: a few messages written on each workstation. They
// wait in each workstation's queue (the demo is built offline) and go out,
// encrypted, when that workstation first connects to the chat server.
func init() {
	demoSeeders = append(demoSeeders, func(ctx context.Context, dc DemoClinic) error {
		if len(dc.Physicians) == 0 {
			return nil
		}
		phys := dc.Physicians[0]
		mrn := ""
		for _, q := range []string{"a", "e", "m", "s"} {
			if ps, err := dc.Reception.SearchPatients(ctx, q, 1); err == nil && len(ps) > 0 {
				mrn = ps[0].MRN
				break
			}
		}
		msgs := []struct {
			from *app.Session
			to   string
			text string
			mrn  string
		}{
			{dc.Admin, chat.Room, "Good morning everyone. The fire drill is at 11:30; please finish or pause consultations by then.", ""},
			{dc.Reception, phys.Fingerprint(), "Your 9:30 has arrived and is in the waiting room.", mrn},
			{dc.Reception, phys.Fingerprint(), "The lab called: results for this patient will be ready after lunch.", ""},
			{phys, dc.Reception.Fingerprint(), "Thanks, I'll call them in after my current patient.", ""},
		}
		if len(dc.Physicians) > 1 {
			msgs = append(msgs, struct {
				from *app.Session
				to   string
				text string
				mrn  string
			}{dc.Physicians[1], chat.Room, "I can cover the 14:00 walk-ins today.", ""})
		}
		for _, m := range msgs {
			if _, err := chat.New(m.from.Core()).Send(ctx, m.to, m.text, m.mrn); err != nil {
				return fmt.Errorf("demo chat: %w", err)
			}
		}
		return nil
	})
}

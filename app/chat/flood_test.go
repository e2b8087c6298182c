package chat

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/sync/store"
)

// TestAttackChatFlood (sec-s9 finding 4) over a real Prosody: an account
// outside the directory (a revoked member keeps hers) floods the
// physician's workstation with plain messages while the receptionist
// writes to her. The physician keeps every message of the receptionist's
// and only the newest 200 of the flood, on disk as in memory, with a line
// saying how many more were not kept.
func TestAttackChatFlood(t *testing.T) {
	ctx := context.Background()
	c := newNetClinic(t)
	recep, phys := c.Recep, c.Phys
	waitOnline(t, recep, phys)
	r, err := phys.Replica()
	if err != nil {
		t.Fatal(err)
	}
	dctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	mallory, _ := outsider(dctx, t, c, "mallory")

	const n, colleague, kept = 1500, 30, 200
	body := strings.Repeat("x", 900) // ~1 kB a stanza: 1,000 a second under the server's limit
	start := time.Now()
	for i := range n {
		if err := mallory.Send(dctx, r.Device()+"@"+c.XMPP.Domain, fmt.Sprint("flood ", i, " ", body)); err != nil {
			t.Fatal(err)
		}
		if i%(n/colleague) == 0 {
			sendChat(t, recep, phys.Fingerprint(), fmt.Sprint("colleague ", i/(n/colleague)), "")
		}
	}
	if err := mallory.Send(dctx, r.Device()+"@"+c.XMPP.Domain, "flood last"); err != nil {
		t.Fatal(err)
	}
	stranger := plainPrefix + "mallory@" + c.XMPP.Domain
	waitFor(t, "the flood's last message at the physician", time.Minute, func() bool {
		h := history(t, phys, stranger)
		return len(h) > 0 && h[len(h)-1].Text == "flood last"
	})
	waitFor(t, "the receptionist's messages at the physician", time.Minute, func() bool {
		return len(history(t, phys, recep.Fingerprint())) == colleague
	})
	t.Logf("%d plain and %d verified messages received in %v (load %s)", n+1, colleague, time.Since(start), loadavg())
	for _, m := range history(t, phys, recep.Fingerprint()) {
		if !m.Verified {
			t.Errorf("the receptionist's message %q is not verified", m.Text)
		}
	}
	var flood, lines []string
	for _, m := range history(t, phys, stranger) {
		if strings.Contains(m.Text, "were not kept") {
			lines = append(lines, m.Text)
		} else {
			flood = append(flood, m.Text)
		}
	}
	if len(flood) != kept || len(lines) != 1 || !strings.Contains(lines[0], "more messages from this address were not kept") {
		t.Errorf("the stranger's conversation holds %d messages, and lines %q; want the newest %d and one line", len(flood), lines, kept)
	}
	// On disk too, once what waits is written (the session locks).
	phys.Lock()
	if err := phys.Unlock(ctx, []byte(apptest.Passphrase)); err != nil {
		t.Fatal(err)
	}
	if r, err = phys.Replica(); err != nil {
		t.Fatal(err)
	}
	err = r.DB().View(ctx, func(tx *store.Tx) error {
		rows, err := tx.SecretsWithPrefix(ctx, "chat/m/")
		if len(rows) != kept+colleague {
			t.Errorf("%d messages on disk, want %d", len(rows), kept+colleague)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

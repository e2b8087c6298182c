package physician

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"

	"github.com/medihaven/medihaven/app"
	appadmin "github.com/medihaven/medihaven/app/admin"
	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/app/recovery"
	"github.com/medihaven/medihaven/roles"
)

// TestRecoveryCardShowsKeys: the Key recovery card and its Approve…
// dialog name each administrator of the split with her key's short
// fingerprint (a name is the administrator's word); a physician whose
// approval named only the split's id is asked again in plain words, and
// approving again is what counts.
func TestRecoveryCardShowsKeys(t *testing.T) {
	test.NewTempApp(t)
	ctx := context.Background()
	c := apptest.NewClinicWith(t, recovery.Upkeep)
	bea := c.Join(t, "Bea Admin", roles.Administrator)
	all := append(c.All(), bea)
	if err := app.SyncLocal(ctx, all...); err != nil {
		t.Fatal(err)
	}
	st, err := recovery.New(c.Admin.Core()).Split(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := app.SyncLocal(ctx, all...); err != nil {
		t.Fatal(err)
	}
	r, err := c.Phys.Replica()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.ApproveRecovery(ctx, st.ID); err != nil { // an approval of the older form, by id
		t.Fatal(err)
	}
	taps := 0
	sc, w := newcomerScreen(t, c.Phys, c, &taps)
	rc := newRecoveryCard(sc, recovery.New(c.Phys.Core()))
	w.SetContent(container.NewVScroll(newColleagues(sc, rc)))
	content := w.Content()
	keys := []string{appadmin.ShortFingerprint(c.Admin.Fingerprint()), appadmin.ShortFingerprint(bea.Fingerprint())}
	for _, want := range append([]string{"Ada Admin (key ", "Bea Admin (key ", "Approve again", "no longer counts"}, keys...) {
		if !hasLabel(content, want) {
			t.Errorf("the key recovery card does not show %q", want)
		}
	}
	test.Tap(button(t, content, "Approve…"))
	if rc.asked == nil {
		t.Fatal("Approve… asks nothing")
	}
	for _, want := range keys {
		if !strings.Contains(rc.asked.Text, want) {
			t.Errorf("the approval dialog does not show the key %s: %q", want, rc.asked.Text)
		}
	}
	test.Tap(rc.asking)
	if !hasLabel(content, "You approved them.") || hasLabel(content, "Approve again") {
		t.Error("after approving again, the card does not say so")
	}
}

package physician

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/app/prescribing"
	"github.com/medihaven/medihaven/ui/kit"
)

// TestPrescribeSuggestsAndNeverSkipsSilently: drugs are offered while the
// name is typed (a brand finds its generic), and a current medication the
// formulary does not know shows as "not checked" in the panel; signing
// waits for the physician's confirmation, which is signed with the
// prescription.
func TestPrescribeSuggestsAndNeverSkipsSilently(t *testing.T) {
	test.NewTempApp(t)
	c := newTestClinic(t)
	p, _ := c.book(t, "Herbalist", c.now.Add(time.Hour))
	if _, err := chart.New(c.phys.Core()).AddMedication(context.Background(),
		chart.Medication{Patient: p.ID, Name: "Grandma's herbal tea", Dose: "a cup daily"}); err != nil {
		t.Fatal(err)
	}
	v, _, _ := openChart(t, c, p.ID)
	f := v.rx

	// Suggestions while typing, before any list is opened.
	f.drug.SetText("Nurofen")
	test.Tap(button(t, f.suggest, "ibuprofen 400 mg tablet (Nurofen)"))
	if f.chosen == nil || f.chosen.Generic != "ibuprofen" || len(f.suggest.Objects) != 0 {
		t.Fatalf("tapping the suggestion did not choose it: %+v", f.chosen)
	}
	if !f.preview.Visible() || !strings.Contains(f.preview.Text, "Grandma's herbal tea is not in the formulary") {
		t.Errorf("the preview does not say what was not checked: %q", f.preview.Text)
	}
	f.dose.SetText("1")
	f.freq.SetText("three times daily")
	f.days.SetText("5")
	test.Tap(f.add)
	if len(f.warnings) != 1 || f.warnings[0].Kind != prescribing.WarnNotChecked ||
		!hasLabel(f.warnBox, "Not checked: Grandma's herbal tea is not in the formulary") {
		t.Fatalf("warnings %+v", f.warnings)
	}
	test.Tap(f.sign)
	if len(v.chart.Prescriptions) != 0 || !strings.Contains(f.fb.Text, "confirmation") {
		t.Fatalf("signed without the confirmation: %q", f.fb.Text)
	}
	f.confirms[f.warnings[0].Key()].SetChecked(true)
	test.Tap(f.sign)
	if len(v.chart.Prescriptions) != 1 {
		t.Fatalf("not signed: %q", f.fb.Text)
	}
	if o := v.chart.Prescriptions[0].Overrides; len(o) != 1 || !strings.Contains(o[0].Reason, "confirmed they checked Grandma's herbal tea") {
		t.Errorf("signed overrides %+v", o)
	}
	if !hasLabel(v.rxList, "Grandma's herbal tea is not in the formulary") {
		t.Error("the signed prescription does not show what was confirmed")
	}
}

// saveIn is a save dialog that answers dir/name (or cancels, with dir
// ""); the names asked for are appended to asked.
func saveIn(dir string, asked *[]string) func(string, func(fyne.URIWriteCloser, error)) {
	return func(name string, done func(fyne.URIWriteCloser, error)) {
		*asked = append(*asked, name)
		if dir == "" {
			done(nil, nil)
			return
		}
		kit.Private(done)(storage.Writer(storage.NewFileURI(filepath.Join(dir, name))))
	}
}

// leftovers lists what is in dir (names; folders end in "/").
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if d.IsDir() {
			rel += "/"
		}
		out = append(out, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPrintKeepsNoCopy: Print hands lp a 0600 file in a 0700 folder of
// the user's runtime folder, and nothing is left there once lp returns,
// whether it printed, refused or was cancelled; a failed print offers
// Save as PDF…, which writes where the physician chose. Each print and
// save is in the administrator's audit log, and no file under HOME, the
// runtime folder or the temporary folder holds the prescription.
func TestPrintKeepsNoCopy(t *testing.T) {
	test.NewTempApp(t)
	home, runtime, tmp, chosen := t.TempDir(), t.TempDir(), t.TempDir(), t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_RUNTIME_DIR", runtime)
	t.Setenv("TMPDIR", tmp)
	c := newTestClinic(t)
	p, _ := c.book(t, "Quillfeather", c.now.Add(time.Hour))
	v, s, w := openChart(t, c, p.ID)
	var asked []string
	s.chooseSave = saveIn(chosen, &asked)
	f := v.rx
	f.drug.SetText("paracetamol 500 mg tablet")
	f.dose.SetText("1")
	f.freq.SetText("four times daily")
	f.days.SetText("3")
	test.Tap(f.sign)
	if len(v.chart.Prescriptions) != 1 {
		t.Fatalf("not signed: %q", f.fb.Text)
	}
	code := v.chart.Prescriptions[0].Code

	// A crash's leftovers: a stale folder of ours goes at the next print;
	// a fresh one (a print under way), another name, or another file stay.
	stale := filepath.Join(runtime, "medihaven-print-1")
	for _, d := range []string{stale, filepath.Join(runtime, "medihaven-print-2"), filepath.Join(runtime, "medihaven-print-3"), filepath.Join(runtime, "other")} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"medihaven-print-1/prescription.pdf", "medihaven-print-2/prescription.pdf", "medihaven-print-3/notes.txt", "other/prescription.pdf"} {
		if err := os.WriteFile(filepath.Join(runtime, f), []byte("%PDF-"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	long := c.now.Add(-time.Hour)
	for _, d := range []string{stale, filepath.Join(runtime, "medihaven-print-3"), filepath.Join(runtime, "other")} {
		if err := os.Chtimes(d, long, long); err != nil {
			t.Fatal(err)
		}
	}
	keep := []string{"medihaven-print-2/", "medihaven-print-2/prescription.pdf", "medihaven-print-3/", "medihaven-print-3/notes.txt", "other/", "other/prescription.pdf"}

	for _, tc := range []struct {
		name string
		fail error
		want widget.Importance
		says string
	}{
		{"printed", nil, widget.SuccessImportance, "No copy is kept on this computer."},
		{"refused", errors.New("the printer refused it (no paper): check the printer and try again"), widget.DangerImportance, "not printed: the printer refused it (no paper)"},
		{"cancelled", context.Canceled, widget.DangerImportance, "not printed"},
	} {
		var calls int
		s.print = func(ctx context.Context, path string) error {
			calls++
			if dir := filepath.Dir(filepath.Dir(path)); dir != runtime {
				t.Errorf("%s: printed from %s, want a folder in %s", tc.name, path, runtime)
			}
			for p, mode := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700 | os.ModeDir} {
				if fi, err := os.Lstat(p); err != nil || fi.Mode() != mode {
					t.Errorf("%s: %s while printing: %v %v, want %v", tc.name, p, fi.Mode(), err, mode)
				}
			}
			if b, err := os.ReadFile(path); err != nil || !strings.HasPrefix(string(b), "%PDF-") {
				t.Errorf("%s: lp was given no PDF: %v", tc.name, err)
			}
			return tc.fail
		}
		test.Tap(button(t, f.signed, "Print"))
		if calls != 1 || v.status.Importance != tc.want || !strings.Contains(v.status.Text, tc.says) {
			t.Errorf("%s: %d prints, status %q", tc.name, calls, v.status.Text)
		}
		if got := leftovers(t, runtime); strings.Join(got, " ") != strings.Join(keep, " ") {
			t.Errorf("%s: left in the runtime folder %q, want %q", tc.name, got, keep)
		}
		if tc.fail == nil {
			continue
		}
		// The offer to save instead, refused then taken.
		if !dialogSays(w, "Save it as a PDF instead?") {
			t.Fatalf("%s: no offer to save as a PDF", tc.name)
		}
		tapDialog(t, w, "Close")
		if len(asked) != 0 {
			t.Fatalf("%s: closing the offer asked where to save", tc.name)
		}
		test.Tap(button(t, f.signed, "Print"))
		tapDialog(t, w, "Save as PDF…")
		want := filepath.Join(chosen, "prescription-"+code+".pdf")
		if fi, err := os.Stat(want); err != nil || fi.Mode() != 0o600 {
			t.Errorf("%s: the saved file's mode is %v (%v), want 0600", tc.name, fi.Mode(), err)
		}
		if b, err := os.ReadFile(want); err != nil || !strings.HasPrefix(string(b), "%PDF-") || len(asked) != 1 || asked[0] != filepath.Base(want) {
			t.Fatalf("%s: not saved where chosen (asked %q): %v", tc.name, asked, err)
		}
		if !strings.Contains(v.status.Text, "saved as "+want) || !strings.Contains(v.status.Text, "not encrypted") || !dialogSays(w, "saved as "+want) {
			t.Errorf("%s: the save says %q", tc.name, v.status.Text)
		}
		tapDialog(t, w, "OK")
		os.Remove(want) //nolint:errcheck // the next case saves again
		asked = nil
	}

	// Save as PDF… on its own; a cancelled dialog saves and audits nothing.
	test.Tap(button(t, f.signed, "Save as PDF…"))
	if _, err := os.Stat(filepath.Join(chosen, "prescription-"+code+".pdf")); err != nil {
		t.Fatalf("Save as PDF… wrote nothing where chosen: %v (%q)", err, v.status.Text)
	}
	s.chooseSave = saveIn("", &asked)
	test.Tap(button(t, f.signed, "Save as PDF…"))

	// The audit trail: five prints (one printed, two refused, two
	// cancelled), three saves (two offered, one chosen).
	if err := app.SyncLocal(context.Background(), c.admin, c.phys); err != nil {
		t.Fatal(err)
	}
	log, err := c.admin.AuditLog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, e := range log {
		if strings.HasPrefix(e.Record.Action, "rx.") && e.Record.Entity == v.chart.Prescriptions[0].ID && e.Record.Patient == p.MRN && e.Author == c.phys.Fingerprint() {
			got[e.Describe()]++
		}
	}
	if want := map[string]int{"printed prescription " + code: 5, "saved prescription " + code + " as a PDF file (unencrypted)": 3}; !reflect.DeepEqual(got, want) {
		t.Errorf("audited %v, want %v", got, want)
	}

	// Nothing under HOME, the runtime or the temporary folder, nor in the
	// workstations' own folders, holds the prescription: no PDF, no file
	// naming the patient or the code (the folder the physician chose and
	// the test's own planted leftovers aside).
	planted := map[string]bool{}
	for _, k := range keep {
		planted[filepath.Join(runtime, k)] = true
	}
	root := filepath.Dir(home)                                                 // the test's folders, the clinic's among them
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error { //nolint:errcheck // errors are reported inside
		switch {
		case err != nil:
			t.Error(err)
			return nil
		case path == chosen:
			return filepath.SkipDir
		case d.IsDir() || planted[path]:
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Error(err)
			return nil
		}
		for _, word := range []string{"Quillfeather", code, "%PDF-"} {
			if bytes.Contains(b, []byte(word)) {
				t.Errorf("%s holds %q", path, word)
			}
		}
		return nil
	})

	// A save whose write fails says so and leaves no part of the file.
	s.chooseSave = func(name string, done func(fyne.URIWriteCloser, error)) {
		w, err := storage.Writer(storage.NewFileURI(filepath.Join(chosen, name)))
		done(failingWriter{w}, err)
	}
	test.Tap(button(t, f.signed, "Save as PDF…"))
	if v.status.Importance != widget.DangerImportance || !strings.Contains(v.status.Text, "not saved") {
		t.Errorf("a failed save says %q", v.status.Text)
	}
	if _, err := os.Stat(filepath.Join(chosen, "prescription-"+code+".pdf")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a failed save left its file: %v", err)
	}
}

// failingWriter is a chosen file whose writes fail (a full disk).
type failingWriter struct{ fyne.URIWriteCloser }

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

// TestDoseMustBeAnAmount: a drug is added to a prescription only with a
// dose that is an amount (1, 0.5, 1/2, 1-2, "500 mg"); "lots" was added
// and shown as "amoxicillin 500 mg capsule — lots capsule by mouth", to
// be signed (seen under Xvfb), and 0 or -1 likewise. The refusal says
// what to write, and the keyboard goes back to the dose.
func TestDoseMustBeAnAmount(t *testing.T) {
	test.NewTempApp(t)
	c := newTestClinic(t)
	p, _ := c.book(t, "Doser", c.now.Add(time.Hour))
	v, _, w := openChart(t, c, p.ID)
	v.tabs.SelectIndex(3) // Prescriptions
	f := v.rx
	for _, tc := range []struct {
		dose  string
		added bool
	}{
		{"lots", false}, {"0", false}, {"-1", false}, {"", false}, {"two", false},
		{"1", true}, {"0.5", true}, {"1/2", true}, {"1-2", true}, {"500 mg", true}, {"½", true}, {"1 or 2", true},
	} {
		f.drug.SetText("Nurofen")
		test.Tap(button(t, f.suggest, "ibuprofen 400 mg tablet (Nurofen)"))
		f.dose.SetText(tc.dose)
		f.freq.SetText("three times daily")
		f.days.SetText("5")
		before := len(f.items)
		test.Tap(f.add)
		if added := len(f.items) > before; added != tc.added {
			t.Errorf("dose %q: added %v, want %v (%q)", tc.dose, added, tc.added, f.fb.Text)
		}
		if !tc.added {
			if !f.doseErr.Visible() || !strings.Contains(f.doseErr.Text, "write an amount, e.g. 1, 0.5, 1/2 or 1-2") || w.Canvas().Focused() != f.dose {
				t.Errorf("dose %q: says %q beside the dose, the keyboard on %T", tc.dose, f.doseErr.Text, w.Canvas().Focused())
			}
		}
		f.items = nil
	}
	// Sign with the drug still being edited: its dose is checked too.
	f.drug.SetText("Nurofen")
	test.Tap(button(t, f.suggest, "ibuprofen 400 mg tablet (Nurofen)"))
	f.dose.SetText("lots")
	f.freq.SetText("three times daily")
	f.days.SetText("5")
	test.Tap(f.sign)
	if len(v.chart.Prescriptions) != 0 || !strings.Contains(f.doseErr.Text, "is not an amount") {
		t.Errorf("signing with the dose lots: %d signed, %q beside the dose", len(v.chart.Prescriptions), f.doseErr.Text)
	}
}

// TestRxErrorsBesideTheirFields: the form had one message line, under Add
// drug, for whatever field was wrong. Each message now shows under its
// own field (drug, dose, how often, days), the keyboard goes to the first
// wrong field, a message goes when its field is changed, and the form's
// own line stays for the rest.
func TestRxErrorsBesideTheirFields(t *testing.T) {
	test.NewTempApp(t)
	c := newTestClinic(t)
	p, _ := c.book(t, "Fields", c.now.Add(time.Hour))
	v, _, w := openChart(t, c, p.ID)
	v.tabs.SelectIndex(3) // Prescriptions
	f := v.rx
	shown := func() map[string]string {
		out := map[string]string{}
		for name, fb := range map[string]*fieldError{"drug": f.drugErr, "dose": f.doseErr, "how often": f.freqErr, "days": f.daysErr} {
			if fb.Visible() {
				out[name] = fb.Text
			}
		}
		return out
	}
	for _, tc := range []struct {
		name                   string
		drug, dose, freq, days string
		want                   []string // fields with a message
		focus                  fyne.Focusable
	}{
		{"nothing typed", "", "", "", "", []string{"drug", "dose", "how often", "days"}, f.drug},
		{"no drug", "", "1", "twice daily", "5", []string{"drug"}, f.drug},
		{"dose and days", "Nurofen", "lots", "twice daily", "0", []string{"dose", "days"}, f.dose},
		{"how often", "Nurofen", "1", "", "5", []string{"how often"}, f.freq},
		{"days", "Nurofen", "1", "twice daily", "five", []string{"days"}, f.days},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.drug.SetText(tc.drug)
			if tc.drug != "" {
				test.Tap(button(t, f.suggest, "ibuprofen 400 mg tablet (Nurofen)"))
			}
			f.dose.SetText(tc.dose)
			f.freq.SetText(tc.freq)
			f.days.SetText(tc.days)
			test.Tap(f.add)
			got := shown()
			var names []string
			for n := range got {
				names = append(names, n)
			}
			sort.Strings(names)
			want := append([]string(nil), tc.want...)
			sort.Strings(want)
			if strings.Join(names, ",") != strings.Join(want, ",") || len(f.items) != 0 || f.fb.Visible() {
				t.Errorf("messages beside %v (%v), want %v; %d added; the form's line %q shown %v", names, got, want, len(f.items), f.fb.Text, f.fb.Visible())
			}
			if w.Canvas().Focused() != tc.focus {
				t.Errorf("the keyboard is on %T, want the first wrong field %T", w.Canvas().Focused(), tc.focus)
			}
		})
	}
	// Typing in a field takes its message away; the others stay. A space
	// alone does not: under Xvfb Space on Add drug, which put the keyboard
	// on Dose, typed a space into it too, and its message went at once.
	f.dose.SetText("lots")
	f.days.SetText("0")
	test.Tap(f.add)
	test.Type(f.dose, " ")
	if !f.doseErr.Visible() {
		t.Errorf("a space typed after the dose %q took its message away", f.dose.Text)
	}
	f.dose.SetText("1")
	if f.doseErr.Visible() || !f.daysErr.Visible() {
		t.Errorf("after the dose was changed: dose message shown %v, days message shown %v", f.doseErr.Visible(), f.daysErr.Visible())
	}
	f.days.SetText("5")
	test.Tap(f.add)
	if len(f.items) != 1 || len(shown()) != 0 {
		t.Errorf("all right: %d added, messages %v", len(f.items), shown())
	}
}

package prescribing_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/app/prescribing"
)

// ps is the prescribing of a session.
func ps(s *app.Session) *prescribing.Service { return prescribing.New(s.Core()) }

func TestPrescriptionVerifyCancelRenewPrint(t *testing.T) {
	ctx := context.Background()
	c := apptest.NewClinic(t)
	p, _ := c.Visit(t)
	rx, err := ps(c.Phys).Prescribe(ctx, prescribing.Prescription{Patient: p.ID, Items: []prescribing.RxItem{
		{DrugID: "amlodipine|5_mg|tablet", Dose: "1", Frequency: "once daily", Days: 30, Quantity: "30 tablets", Refills: 2,
			Instructions: "Take in the morning."},
		{DrugID: "paracetamol|500_mg|tablet", Dose: "2", Frequency: "up to four times daily", Days: 5, Quantity: "40 tablets"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := app.SyncLocal(ctx, c.All()...); err != nil {
		t.Fatal(err)
	}
	// Another physician's workstation checks the printed code.
	got, err := ps(c.Phys2).VerifyPrescription(ctx, strings.ToLower(strings.ReplaceAll(rx.Code, "-", " ")))
	if err != nil || got.ID != rx.ID || got.Status != prescribing.RxActive || len(got.Items) != 2 {
		t.Fatalf("VerifyPrescription: %+v %v", got, err)
	}
	for _, bad := range []string{"", "AAAAA-AAAAA", "not a code"} {
		if _, err := ps(c.Phys2).VerifyPrescription(ctx, bad); err == nil {
			t.Errorf("code %q verified", bad)
		}
	}
	pdf, err := ps(c.Phys).PrescriptionPDF(ctx, rx.ID, prescribing.PDFPrint)
	if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("PDF: %v", err)
	}
	if tool, err := exec.LookPath("pdftoppm"); err == nil {
		dir := t.TempDir()
		in := filepath.Join(dir, "rx.pdf")
		os.WriteFile(in, pdf, 0o600) //nolint:errcheck // read back next
		if out, err := exec.Command(tool, "-png", "-r", "50", in, filepath.Join(dir, "rx")).CombinedOutput(); err != nil {
			t.Fatalf("pdftoppm: %v %s", err, out)
		}
		if m, _ := filepath.Glob(filepath.Join(dir, "rx*.png")); len(m) != 1 {
			t.Errorf("pdftoppm made %d pages, want 1", len(m))
		}
	}
	renewed, err := ps(c.Phys).RenewPrescription(ctx, rx.ID, nil)
	if err != nil || renewed.Renews != rx.ID || renewed.Code == rx.Code {
		t.Fatalf("renew: %+v %v", renewed, err)
	}
	if err := ps(c.Phys).CancelPrescription(ctx, rx.ID, ""); err == nil {
		t.Error("cancelled without a reason")
	}
	if err := ps(c.Phys).CancelPrescription(ctx, rx.ID, "Replaced by the renewal"); err != nil {
		t.Fatal(err)
	}
	if err := ps(c.Phys).CancelPrescription(ctx, rx.ID, "again"); err == nil {
		t.Error("cancelled twice")
	}
	got, err = ps(c.Phys).VerifyPrescription(ctx, rx.Code)
	if err != nil || got.Status != prescribing.RxCancelled || got.Cancellation.Reason != "Replaced by the renewal" {
		t.Errorf("verify a cancelled prescription: %+v %v", got, err)
	}
	if _, err := ps(c.Phys).PrescriptionPDF(ctx, rx.ID, prescribing.PDFPrint); err == nil {
		t.Error("printed a cancelled prescription")
	}
	if _, err := ps(c.Phys).RenewPrescription(ctx, rx.ID, nil); err == nil {
		t.Error("renewed a cancelled prescription")
	}
}

// TestNotCheckedNeedsConfirmation: a current medication the formulary
// does not know is never skipped in silence. Checking shows it as not
// checked, signing refuses until the prescriber confirms they checked it
// (an *OverrideError naming it), and the confirmation is signed with the
// prescription like an override.
func TestNotCheckedNeedsConfirmation(t *testing.T) {
	ctx := context.Background()
	c := apptest.NewClinic(t)
	p, _ := c.Visit(t)
	if _, err := chart.New(c.Phys.Core()).AddMedication(ctx, chart.Medication{Patient: p.ID, Name: "Grandma's herbal tea", Dose: "a cup daily"}); err != nil {
		t.Fatal(err)
	}
	rx := prescribing.Prescription{Patient: p.ID, Drug: "ibuprofen 400 mg", Dose: "1 tablet", Frequency: "three times daily", Days: 5}
	ws, err := ps(c.Phys).CheckPrescription(ctx, rx)
	if err != nil || len(ws) != 1 || ws[0].Kind != prescribing.WarnNotChecked ||
		!strings.Contains(ws[0].Message, "Grandma's herbal tea is not in the formulary") {
		t.Fatalf("CheckPrescription: %+v %v, want one not-checked warning", ws, err)
	}
	_, err = ps(c.Phys).Prescribe(ctx, rx)
	var oe *prescribing.OverrideError
	if !errors.As(err, &oe) || len(oe.Warnings) != 1 || oe.Warnings[0].Kind != prescribing.WarnNotChecked {
		t.Fatalf("Prescribe without the confirmation: %v", err)
	}
	ws[0].Reason = "Checked with the pharmacist: no interaction known."
	rx.Overrides = ws
	signed, err := ps(c.Phys).Prescribe(ctx, rx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ps(c.Phys).Prescription(ctx, signed.ID)
	if err != nil || !got.Verified || len(got.Overrides) != 1 || got.Overrides[0].Kind != prescribing.WarnNotChecked ||
		got.Overrides[0].Reason != ws[0].Reason {
		t.Errorf("signed prescription keeps %+v (%v), want the confirmation", got.Overrides, err)
	}
}

func TestQuantityInWords(t *testing.T) {
	for q, want := range map[string]string{
		"21 capsules": "21 (twenty-one) capsules", "1 inhaler": "1 (one) inhaler", "100 tablets": "100 (one hundred) tablets",
		"105 mL": "105 (one hundred and five) mL", "2000 units": "2000 (two thousand) units", "1250 mg": "1250 (one thousand two hundred and fifty) mg",
		"7 days' supply": "7 (seven) days' supply", "one box": "one box", "": "",
	} {
		if got := prescribing.QuantityInWords(q); got != want {
			t.Errorf("QuantityInWords(%q) = %q, want %q", q, got, want)
		}
	}
}

// TestPrescriptionPDFSaysWhatAPharmacistNeeds: the printed prescription
// carries the clinic's address and phone and the prescriber's licence
// number as an administrator set them, the patient, each drug with its
// directions and its quantity in words and figures, the verification code
// and a signature line.
func TestPrescriptionPDFSaysWhatAPharmacistNeeds(t *testing.T) {
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Skip("pdftotext (poppler-utils) is not installed")
	}
	ctx := context.Background()
	c := apptest.NewClinic(t)
	p, _ := c.Visit(t)
	if err := c.Admin.SetClinicContact(ctx, "12 Harbour Road, Portside PS1 4AB", "+44 20 7946 0000"); err != nil {
		t.Fatal(err)
	}
	if err := c.Admin.SetLicence(ctx, c.Phys.Fingerprint(), "GMC 7654321"); err != nil {
		t.Fatal(err)
	}
	if err := c.Recep.SetLicence(ctx, c.Phys.Fingerprint(), "forged"); err == nil {
		t.Error("a receptionist set a licence number")
	}
	if err := app.SyncLocal(ctx, c.All()...); err != nil {
		t.Fatal(err)
	}
	rx, err := ps(c.Phys).Prescribe(ctx, prescribing.Prescription{Patient: p.ID, Items: []prescribing.RxItem{{DrugID: "amoxicillin|500_mg|capsule",
		Dose: "1", Frequency: "three times daily", Days: 7, Quantity: "21 capsules"}}})
	if err != nil {
		t.Fatal(err)
	}
	data, err := ps(c.Phys).PrescriptionPDF(ctx, rx.ID, prescribing.PDFPrint)
	if err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(t.TempDir(), "rx.pdf")
	if err := os.WriteFile(in, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(pdftotext, "-layout", in, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(out)), " ")
	for _, want := range []string{"Test Clinic", "12 Harbour Road, Portside PS1 4AB", "Phone +44 20 7946 0000",
		"Dr Paul Physician, physician, licence no. GMC 7654321", "Chartwell", "14 Mar 1961", p.MRN,
		"amoxicillin 500 mg capsule", "1 capsule by mouth three times daily for 7 days", "Quantity: 21 (twenty-one) capsules",
		"Refills: 0 (zero)", rx.Code, "Signature of Dr Paul Physician"} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF does not say %q:\n%s", want, text)
		}
	}
}

// TestPrintAndSaveAreAudited: each PDF of a prescription is audited as
// what it is for (printed or saved), with who, which prescription and
// the patient's MRN, and the administrator's audit log lists both; a use
// that is neither gives no PDF and no record.
func TestPrintAndSaveAreAudited(t *testing.T) {
	ctx := context.Background()
	c := apptest.NewClinic(t)
	p, _ := c.Visit(t)
	rx, err := ps(c.Phys).Prescribe(ctx, prescribing.Prescription{Patient: p.ID, Items: []prescribing.RxItem{
		{DrugID: "paracetamol|500_mg|tablet", Dose: "1", Frequency: "four times daily", Days: 3, Quantity: "12 tablets"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		use     prescribing.PDFUse
		wantErr bool
	}{{prescribing.PDFPrint, false}, {prescribing.PDFSave, false}, {0, true}} {
		pdf, err := ps(c.Phys).PrescriptionPDF(ctx, rx.ID, tc.use)
		if tc.wantErr != (err != nil) || tc.wantErr != (pdf == nil) {
			t.Errorf("use %d: %d bytes, %v", tc.use, len(pdf), err)
		}
	}
	if err := app.SyncLocal(ctx, c.Admin, c.Phys); err != nil {
		t.Fatal(err)
	}
	log, err := c.Admin.AuditLog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]app.AuditEntry{}
	for _, e := range log {
		if strings.HasPrefix(e.Record.Action, "rx.") {
			if _, twice := got[e.Record.Action]; twice {
				t.Errorf("%s audited twice", e.Record.Action)
			}
			got[e.Record.Action] = e
		}
	}
	for action, says := range map[string]string{"rx.print": "printed prescription " + rx.Code,
		"rx.save": "saved prescription " + rx.Code + " as a PDF file (unencrypted)"} {
		e, ok := got[action]
		if !ok || e.Author != c.Phys.Fingerprint() || e.Record.Entity != rx.ID || e.Record.Patient != p.MRN || e.Describe() != says {
			t.Errorf("%s: %+v (found %v), want by the physician, of %s, MRN %s, saying %q", action, e, ok, rx.ID, p.MRN, says)
		}
	}
	if len(got) != 2 {
		t.Errorf("audited %d uses, want 2", len(got))
	}
}

// TestPrescribeRefusesADoseThatIsNoAmount: the prescription form checks
// the dose (CheckDose), and so does Prescribe itself, so no other caller
// of the app (a script, a future screen) signs "lots" or 0 either.
func TestPrescribeRefusesADoseThatIsNoAmount(t *testing.T) {
	ctx := context.Background()
	c := apptest.NewClinic(t)
	p, _ := c.Visit(t)
	for _, tc := range []struct {
		dose string
		ok   bool
	}{{"lots", false}, {"0", false}, {"-1", false}, {"", false}, {"1/2", true}, {"1-2", true}} {
		_, err := ps(c.Phys).Prescribe(ctx, prescribing.Prescription{Patient: p.ID, Items: []prescribing.RxItem{
			{DrugID: "paracetamol|500_mg|tablet", Dose: tc.dose, Frequency: "up to four times daily", Days: 3}}})
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, app.ErrInvalidInput)) {
			t.Errorf("dose %q: %v", tc.dose, err)
		}
		if err != nil && !strings.Contains(err.Error(), "paracetamol") {
			t.Errorf("dose %q: %q does not name the drug", tc.dose, err)
		}
	}
}

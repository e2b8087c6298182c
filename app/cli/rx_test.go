package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/prescribing"
)

func TestVerifyRx(t *testing.T) {
	dir := t.TempDir()
	if code, _, errs := run(t, dir, "", "demo", "--patients", "8"); code != 0 {
		t.Fatalf("demo: %d %s", code, errs)
	}
	phys := filepath.Join(dir, "physician")
	s, err := app.Login(context.Background(), app.Env{}, phys, "", []byte("test passphrase"))
	if err != nil {
		t.Fatal(err)
	}
	rxs, err := prescribing.New(s.Core()).RecentPrescriptions(context.Background(), 0)
	if err != nil || len(rxs) == 0 {
		s.Close()
		t.Fatalf("the demo physician signed no prescriptions: %v", err)
	}
	code := rxs[0].Code
	// A prescription of its own to cancel, so the valid one stays valid
	// however many the demo signed.
	rx := prescribing.Prescription{Patient: rxs[0].Patient, Drug: "paracetamol 500 mg", Dose: "2 tablets",
		Frequency: "up to four times daily", Days: 3}
	extra, err := prescribing.New(s.Core()).Prescribe(context.Background(), rx)
	var oe *prescribing.OverrideError
	if errors.As(err, &oe) {
		rx.Overrides = oe.Warnings
		for i := range rx.Overrides {
			rx.Overrides[i].Reason = "Checked with the patient."
		}
		extra, err = prescribing.New(s.Core()).Prescribe(context.Background(), rx)
	}
	if err != nil {
		s.Close()
		t.Fatal(err)
	}
	if err := prescribing.New(s.Core()).CancelPrescription(context.Background(), extra.ID, "Dose changed"); err != nil {
		s.Close()
		t.Fatal(err)
	}
	cancelled := extra.Code
	s.Close()

	tests := []struct {
		name, profile string
		args          []string
		exit          int
		out, err      string
	}{
		{"valid", phys, []string{"verify-rx", code}, 0, "OK   the prescriber's signature matches", ""},
		{"typed loosely", phys, []string{"verify-rx", strings.ToLower(strings.ReplaceAll(code, "-", ""))}, 0, "OK", ""},
		{"cancelled", phys, []string{"verify-rx", cancelled}, 1, "CANCELLED", "do not dispense"},
		{"unknown code", phys, []string{"verify-rx", "AAAAA-AAAAA"}, 1, "", "no prescription with this verification code"},
		{"malformed code", phys, []string{"verify-rx", "12"}, 1, "", "10 letters and digits"},
		{"no code", phys, []string{"verify-rx"}, 2, "", "verification code"},
		{"receptionist", filepath.Join(dir, "reception"), []string{"verify-rx", code}, 1, "", "receptionist cannot"},
	}
	pdf := filepath.Join(t.TempDir(), "rx.pdf")
	tests = append(tests, []struct {
		name, profile string
		args          []string
		exit          int
		out, err      string
	}{
		{"licence by the administrator", filepath.Join(dir, "admin"), []string{"rx", "licence", "--physician", "Okafor", "--number", "GMC 7654321"}, 0,
			"GMC 7654321", ""},
		{"licence by a physician", phys, []string{"rx", "licence", "--physician", "Okafor", "--number", "x"}, 1, "", "physician cannot"},
		{"clinic contact", filepath.Join(dir, "admin"), []string{"rx", "clinic-contact", "--address", "12 Harbour Road", "--phone", "+44 20 7946 0000"}, 0,
			"12 Harbour Road", ""},
		{"pdf", phys, []string{"rx", "pdf", code, "--out", pdf}, 0, "written to " + pdf, ""},
		{"pdf of a cancelled one", phys, []string{"rx", "pdf", cancelled, "--out", pdf + ".x"}, 1, "", "cancelled"},
		{"pdf without --out", phys, []string{"rx", "pdf", code}, 2, "", "--out FILE"},
		{"rx alone", phys, []string{"rx"}, 2, "", "pdf, licence or clinic-contact"},
	}...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exit, out, errs := run(t, tt.profile, "", tt.args...)
			if exit != tt.exit || !strings.Contains(out, tt.out) || !strings.Contains(errs, tt.err) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, %q, %q", exit, out, errs, tt.exit, tt.out, tt.err)
			}
		})
	}
	if b, err := os.ReadFile(pdf); err != nil || !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Errorf("rx pdf wrote no PDF: %v", err)
	}
	if _, err := os.Stat(pdf + ".x"); err == nil {
		t.Error("rx pdf wrote a cancelled prescription")
	}
}

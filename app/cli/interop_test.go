package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	ics "github.com/arran4/golang-ical"

	"github.com/medihaven/medihaven/sync/synctest"
)

// TestInteropCommands runs export ics, export keys and handout on a demo
// clinic as a person would, with a real Kubo for the handout.
func TestInteropCommands(t *testing.T) {
	dir := t.TempDir()
	if code, _, errs := run(t, dir, "", "demo", "--patients", "20"); code != 0 {
		t.Fatalf("demo: %s", errs)
	}
	reception, physician := filepath.Join(dir, "reception"), filepath.Join(dir, "physician")

	// The demo physician's calendar, with a weekly series, parsed back by the library.
	code, out, errs := run(t, reception, "", "export", "ics", "--physician", "Okafor", "--detail", "initials")
	if code != 0 || !strings.Contains(errs, "Exported") || !strings.Contains(errs, "Dr. Amara Okafor") {
		t.Fatalf("export ics: %d %q", code, errs)
	}
	cal, err := ics.ParseCalendar(strings.NewReader(out))
	if err != nil {
		t.Fatalf("the library does not parse the export: %v", err)
	}
	if len(cal.Events()) == 0 || len(cal.Timezones()) > 1 { // none when the clinic is in UTC
		t.Fatalf("%d events, %d time zones", len(cal.Events()), len(cal.Timezones()))
	}
	if !strings.Contains(out, "RRULE:FREQ=WEEKLY;INTERVAL=1;COUNT=") {
		t.Error("the demo's weekly series is not one event with a rule")
	}
	for i, line := range strings.Split(out, "\r\n") {
		if len(line) > 75 {
			t.Errorf("line %d is %d octets long", i+1, len(line))
		}
	}
	mrn := regexp.MustCompile(`MH\d{7}`).FindString(out)
	if mrn == "" {
		t.Fatalf("no MRN in the initials export:\n%.2000s", out)
	}
	// Busy by default: no names, no MRNs.
	code, _, _ = run(t, physician, "", "export", "ics", "--physician", "Dr. Amara Okafor", "--from", "2020-01-01", "--to", "2030-12-31")
	if code == 0 {
		t.Error("an 11-year span was accepted")
	}
	code, busy, errs := run(t, physician, "", "export", "ics", "--physician", "Dr. Amara Okafor")
	if code != 0 || strings.Contains(busy, "MH") || !strings.Contains(busy, "SUMMARY:Appointment\r\n") {
		t.Errorf("busy export: %d %q", code, errs)
	}

	code, keys, errs := run(t, reception, "", "export", "keys")
	if code != 0 || strings.Count(keys, "-----BEGIN PGP PUBLIC KEY BLOCK-----") != 4 || !strings.Contains(errs, "Exported 4") {
		t.Errorf("export keys: %d %q", code, errs)
	}
	code, keys, _ = run(t, reception, "", "export", "keys", "--name", "lindqvist")
	if code != 0 || strings.Count(keys, "-----BEGIN PGP PUBLIC KEY BLOCK-----") != 1 || !strings.Contains(keys, "Dr. Jonas Lindqvist (physician)") {
		t.Errorf("export keys --name: %d %q", code, keys)
	}

	// The handout, from the front desk, on a real Kubo.
	kubo := synctest.StartKubo(t)
	if code, _, errs := run(t, reception, "", "settings", "--ipfs", kubo.API); code != 0 {
		t.Fatalf("settings: %s", errs)
	}
	file := filepath.Join(t.TempDir(), "handout.pdf")
	code, out, errs = run(t, reception, "", "handout", "--patient", strings.ToLower(mrn), "--out", file)
	if code != 0 || !regexp.MustCompile(`on IPFS: bafy[a-z2-7]+\n`).MatchString(out) || !strings.Contains(out, file) {
		t.Fatalf("handout: %d %q %q", code, out, errs)
	}
	if b, err := os.ReadFile(file); err != nil || !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Fatalf("handout file: %v", err)
	}

	// Bad input: a clear error, a non-zero exit, nothing written.
	tests := []struct {
		name    string
		profile string
		args    []string
		code    int
		want    string
	}{
		{"no physician", reception, []string{"export", "ics"}, 2, "--physician"},
		{"unknown physician", reception, []string{"export", "ics", "--physician", "Dr. Nobody"}, 1, "no active physician"},
		{"not a physician", reception, []string{"export", "ics", "--physician", "Rosa Delgado"}, 1, "no active physician"},
		{"ambiguous", reception, []string{"export", "ics", "--physician", "Dr."}, 1, "more than one physician"},
		{"bad day", reception, []string{"export", "ics", "--physician", "Okafor", "--from", "02/11/2026"}, 2, "not a day"},
		{"bad detail", reception, []string{"export", "ics", "--physician", "Okafor", "--detail", "clinical"}, 2, "busy, initials or full"},
		{"administrator", filepath.Join(dir, "admin"), []string{"export", "ics", "--physician", "Okafor"}, 1, ""},
		{"unknown key", reception, []string{"export", "keys", "--name", "Nobody"}, 1, "no active staff member"},
		{"handout without MRN", reception, []string{"handout", "--out", file + "2"}, 2, "--patient"},
		{"handout unknown MRN", reception, []string{"handout", "--patient", "MH0000000", "--out", file + "2"}, 1, "no patient"},
		{"handout no folder", reception, []string{"handout", "--patient", mrn, "--out", filepath.Join(dir, "none", "h.pdf")}, 1, "no such folder"},
		{"handout without IPFS", physician, []string{"handout", "--patient", mrn, "--out", file + "2"}, 1, "settings --ipfs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := run(t, tt.profile, "", tt.args...)
			if code != tt.code || !strings.Contains(errs, tt.want) || out != "" {
				t.Errorf("%v: exit %d, stderr %q, stdout %q; want exit %d and %q", tt.args, code, errs, out, tt.code, tt.want)
			}
		})
	}
	if _, err := os.Stat(file + "2"); err == nil {
		t.Error("a failed handout wrote a file")
	}
}

package interop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/synctest"
)

// chartedVisit is a Visit with a chart worth copying: a note with an
// addendum, vital signs, a problem, an allergy, a medication and a
// prescription.
func chartedVisit(t *testing.T) (*clinic, app.Patient) {
	t.Helper()
	ctx := context.Background()
	c := newClinic(t)
	p, a := c.Visit(t)
	enc, err := c.phys.StartVisit(ctx, a.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	n, err := c.phys.WriteNote(ctx, chart.Note{Patient: p.ID, Encounter: enc.ID, Subjective: "Sore throat 3 days", Objective: "Tonsillar exudate",
		Assessment: "Streptococcal pharyngitis", Plan: "Antibiotic, fluids"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.phys.AddAddendum(ctx, n.ID, "Rapid strep test positive."); err != nil {
		t.Fatal(err)
	}
	if _, err := c.phys.RecordVitals(ctx, chart.Vitals{Patient: p.ID, Encounter: enc.ID, Systolic: 132, Diastolic: 84, Pulse: 88,
		TempC: 38.4, WeightKg: 70, HeightCm: 165}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.phys.AddProblem(ctx, chart.Problem{Patient: p.ID, Name: "Hypertension", Onset: "2019-04"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.phys.AddAllergy(ctx, chart.Allergy{Patient: p.ID, Substance: "Sulfonamides", Reaction: "hives", Severity: "moderate"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.phys.AddMedication(ctx, chart.Medication{Patient: p.ID, Name: "amlodipine 5 mg tablet", Dose: "1 tablet once daily"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.phys.Prescribe(ctx, chart.Prescription{Patient: p.ID, Encounter: enc.ID, Items: []chart.RxItem{{DrugID: "amoxicillin|500_mg|capsule",
		Dose: "1", Frequency: "three times daily", Days: 7, Quantity: "21 capsules"}}}); err != nil {
		t.Fatal(err)
	}
	if err := app.SyncLocal(ctx, c.All()...); err != nil {
		t.Fatal(err)
	}
	return c, p
}

// openCopy fetches a copy from Kubo with the ipfs command, as the handout
// tells the patient, and opens its files with GnuPG and the passphrase
// only: no Medihaven code.
func openCopy(t *testing.T, kubo *synctest.Kubo, g *gnupg, pc PatientCopy) (record, summary []byte, readme string) {
	t.Helper()
	bin, err := synctest.IPFSBinary()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "my-health-record")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "get", pc.CID, "-o", out)
	cmd.Env = append(os.Environ(), "IPFS_PATH="+kubo.Dir, "IPFS_TELEMETRY=off")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ipfs get %s: %v\n%s", pc.CID, err, b)
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "README.txt record.json.gpg summary.pdf.gpg" {
		t.Fatalf("the copy holds %v", names)
	}
	decrypt := func(name string) []byte {
		t.Helper()
		return g.run([]byte(pc.Passphrase), "--pinentry-mode", "loopback", "--passphrase-fd", "0", "--decrypt", filepath.Join(out, name))
	}
	rm, err := os.ReadFile(filepath.Join(out, CopyReadmeFile))
	if err != nil {
		t.Fatal(err)
	}
	return decrypt(CopyRecordFile), decrypt(CopySummaryFile), string(rm)
}

// pdfText extracts a PDF's text with pdftotext (poppler-utils).
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext is not installed (make deps installs poppler-utils)")
	}
	cmd := exec.Command("pdftotext", "-layout", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// kuboBlocks returns every block file of the node's repository.
func kuboBlocks(t *testing.T, kubo *synctest.Kubo) []byte {
	t.Helper()
	var all []byte
	err := filepath.WalkDir(filepath.Join(kubo.Dir, "blocks"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		all = append(all, b...)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// bundleTypes lists the resource types of a FHIR bundle's entries.
func bundleTypes(t *testing.T, raw []byte) map[string]int {
	t.Helper()
	var b struct {
		ResourceType string `json:"resourceType"`
		Entry        []struct {
			Resource struct {
				ResourceType string `json:"resourceType"`
			} `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(raw, &b); err != nil || b.ResourceType != "Bundle" {
		t.Fatalf("not a FHIR bundle (%v): %.200s", err, raw)
	}
	out := map[string]int{}
	for _, e := range b.Entry {
		out[e.Resource.ResourceType]++
	}
	return out
}

var rePassphrase = regexp.MustCompile(`^[2-9a-hjkmnp-z]{4}(-[2-9a-hjkmnp-z]{4}){5}$`)

// TestHandOutPatientCopy hands out a physician's and a receptionist's copy
// on a real Kubo node, fetches each back with `ipfs get`, opens it with
// GnuPG and the passphrase alone, and checks what it holds, that nothing
// readable reached IPFS and that the handouts are audited.
func TestHandOutPatientCopy(t *testing.T) {
	ctx := context.Background()
	c, p := chartedVisit(t)
	kubo := synctest.StartKubo(t)
	for _, s := range []staff{c.phys, c.recep} {
		if err := s.SetServers(app.Servers{IPFS: kubo.API}); err != nil {
			t.Fatal(err)
		}
	}
	g := newGnuPG(t)

	pc, err := c.phys.HandOutPatientCopy(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !rePassphrase.MatchString(pc.Passphrase) || pc.MRN != p.MRN || !pc.Clinical || !bytes.HasPrefix(pc.Handout, []byte("%PDF-")) {
		t.Fatalf("copy: passphrase %q, MRN %q, clinical %v, handout %.8q", pc.Passphrase, pc.MRN, pc.Clinical, pc.Handout)
	}
	record, summary, readme := openCopy(t, kubo, g, pc)
	want, err := c.phys.PatientBundle(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(record, want) {
		t.Errorf("GnuPG opened a record of %d bytes that differs from the patient's bundle (%d bytes)", len(record), len(want))
	}
	types := bundleTypes(t, record)
	for _, typ := range []string{"Patient", "Condition", "AllergyIntolerance", "Observation", "MedicationRequest"} {
		if types[typ] == 0 {
			t.Errorf("the physician's copy has no %s: %v", typ, types)
		}
	}
	if !bytes.HasPrefix(summary, []byte("%PDF-")) {
		t.Fatalf("summary.pdf starts with %.8q", summary)
	}
	text := pdfText(t, summary)
	for _, w := range []string{"Cora Chartwell", p.MRN, "Hypertension", "Sulfonamides", "amlodipine", "132/84", "Streptococcal pharyngitis",
		"Rapid strep test positive", "amoxicillin", "Sore throat"} {
		if !strings.Contains(text, w) {
			t.Errorf("the summary lacks %q", w)
		}
	}
	handout := pdfText(t, pc.Handout)
	for _, w := range []string{pc.CID, pc.Passphrase, "Cora Chartwell", p.MRN, "ipfs get " + pc.CID + " -o my-record", "https://ipfs.io/ipfs/" + pc.CID,
		"gpg --decrypt summary.pdf.gpg > summary.pdf", "Whoever holds this paper can read your health record"} {
		if !strings.Contains(handout, w) {
			t.Errorf("the handout lacks %q:\n%s", w, handout)
		}
	}
	for _, leak := range []string{"Chartwell", "Cora", p.MRN, "1961"} {
		if strings.Contains(readme, leak) {
			t.Errorf("README.txt names the patient (%q)", leak)
		}
	}
	if d := os.Getenv("MEDIHAVEN_SHOTS"); d != "" {
		// For looking at: MEDIHAVEN_SHOTS=/tmp/x go test -run TestHandOutPatientCopy
		os.WriteFile(filepath.Join(d, "handout.pdf"), pc.Handout, 0o600) //nolint:errcheck
		os.WriteFile(filepath.Join(d, "summary.pdf"), summary, 0o600)    //nolint:errcheck
	}

	// A receptionist's copy: demographics and appointments, nothing clinical.
	rc, err := c.recep.HandOutPatientCopy(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rc.Clinical || rc.Passphrase == pc.Passphrase || rc.CID == pc.CID {
		t.Fatalf("receptionist's copy: clinical %v, same passphrase %v, same CID %v", rc.Clinical, rc.Passphrase == pc.Passphrase, rc.CID == pc.CID)
	}
	record, summary, _ = openCopy(t, kubo, g, rc)
	for typ := range bundleTypes(t, record) {
		if typ != "Patient" && typ != "Practitioner" && typ != "Appointment" {
			t.Errorf("the receptionist's copy holds a %s", typ)
		}
	}
	text = pdfText(t, summary)
	for _, leak := range []string{"Hypertension", "Sulfonamides", "amlodipine", "Streptococcal", "amoxicillin", "Vital signs"} {
		if strings.Contains(text, leak) {
			t.Errorf("the receptionist's summary shows %q", leak)
		}
	}
	if !strings.Contains(text, "details and appointments only") || !strings.Contains(pdfText(t, rc.Handout), "front desk") {
		t.Error("the receptionist's copy does not say it is a front-desk copy")
	}
	// The wrong passphrase opens nothing.
	if _, err := g.try([]byte(pc.Passphrase), "--pinentry-mode", "loopback", "--passphrase-fd", "0", "--decrypt",
		filepath.Join(t.TempDir(), "none")); err == nil {
		t.Error("gpg decrypted a missing file")
	}

	// Nothing readable of the patient reached IPFS: grep every block.
	blocks := kuboBlocks(t, kubo)
	for _, leak := range []string{"Chartwell", p.MRN, "Hypertension", "Sulfonamides", "resourceType", "%PDF", pc.Passphrase, rc.Passphrase} {
		if bytes.Contains(blocks, []byte(leak)) {
			t.Errorf("an IPFS block holds %q in clear", leak)
		}
	}
	if !bytes.Contains(blocks, []byte("This folder is a person's own copy")) {
		t.Error("the README is not among the blocks: the grep looked at the wrong place")
	}

	// Both handouts are audited, with the patient's MRN and the CID.
	if err := app.SyncLocal(ctx, c.All()...); err != nil {
		t.Fatal(err)
	}
	log, err := c.admin.AuditLog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, e := range log {
		if e.Record.Action == "hand-out-copy" && e.Record.Patient == p.MRN {
			found[e.Name] = strings.Contains(e.Record.Detail, pc.CID) || strings.Contains(e.Record.Detail, rc.CID)
		}
	}
	if !found[c.phys.StaffName()] || !found[c.recep.StaffName()] {
		t.Errorf("hand-out audit records by %v", found)
	}

	// An administrator may not; a workstation without IPFS says so.
	if _, err := c.admin.HandOutPatientCopy(ctx, p.ID); !errors.Is(err, roles.ErrForbidden) {
		t.Errorf("administrator: %v", err)
	}
	if _, err := c.phys2.HandOutPatientCopy(ctx, p.ID); !errors.Is(err, ErrNoIPFS) || !strings.Contains(err.Error(), "settings --ipfs") {
		t.Errorf("no IPFS: %v", err)
	}
	if _, err := c.phys.HandOutPatientCopy(ctx, "no-such-patient"); err == nil {
		t.Error("a copy of nobody")
	}
}

// TestHandOutNodeDown: an unreachable node gives a clear error and no audit.
func TestHandOutNodeDown(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	p, _ := c.Visit(t)
	if err := c.recep.SetServers(app.Servers{IPFS: "/ip4/127.0.0.1/tcp/" + strings.Split(synctest.UnusedAddr(t), ":")[1]}); err != nil {
		t.Fatal(err)
	}
	_, err := c.recep.HandOutPatientCopy(ctx, p.ID)
	if err == nil || !strings.Contains(err.Error(), "not reachable") {
		t.Fatalf("node down: %v", err)
	}
}

func TestCopyPassphrase(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		p, err := newCopyPassphrase()
		if err != nil {
			t.Fatal(err)
		}
		if !rePassphrase.MatchString(p) || seen[p] {
			t.Fatalf("passphrase %q (seen %v)", p, seen[p])
		}
		seen[p] = true
	}
}

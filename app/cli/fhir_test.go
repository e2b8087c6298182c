package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFHIRCommands exports a demo clinic with `export fhir`, imports it into
// another (empty) clinic with `import fhir`, exports one patient by MRN,
// and sees a broken file refused with a clear error and nothing changed.
func TestFHIRCommands(t *testing.T) {
	dir := t.TempDir()
	from, to := filepath.Join(dir, "riverside"), filepath.Join(dir, "hillside")
	if code, _, errs := run(t, from, "", "demo", "--patients", "20"); code != 0 {
		t.Fatalf("demo: %s", errs)
	}
	if code, _, errs := run(t, to, "", "demo", "--patients", "0"); code != 0 {
		t.Fatalf("empty demo: %s", errs)
	}
	code, bundle, errs := run(t, filepath.Join(from, "physician"), "", "export", "fhir")
	if code != 0 || !strings.Contains(errs, "Exported") || !strings.Contains(errs, "Composition") {
		t.Fatalf("export fhir: %d %q", code, errs)
	}
	var b struct {
		ResourceType string
		Entry        []struct {
			Resource struct {
				ResourceType string
				Identifier   []struct{ Value string }
			}
		}
	}
	if err := json.Unmarshal([]byte(bundle), &b); err != nil || b.ResourceType != "Bundle" {
		t.Fatalf("stdout is not a bundle: %v", err)
	}
	file := filepath.Join(dir, "bundle.json")
	if err := os.WriteFile(file, []byte(bundle), 0o600); err != nil {
		t.Fatal(err)
	}
	// First what it holds, writing nothing.
	unchanged := listing(t, to)
	code, out, errs := run(t, filepath.Join(to, "physician"), "", "import", "fhir", "--preview", file)
	if code != 0 || !strings.Contains(out, "This bundle holds 20 patients, ") || !strings.Contains(out, "Nothing was imported (--preview).") {
		t.Fatalf("import fhir --preview: %d %q %q", code, out, errs)
	}
	if after := listing(t, to); after != unchanged {
		t.Errorf("the preview changed the profile:\n%s\n%s", unchanged, after)
	}
	code, out, errs = run(t, filepath.Join(to, "physician"), "", "import", "fhir", file)
	if code != 0 || !strings.Contains(out, "Imported") || !strings.Contains(out, "Patient 20") || !strings.Contains(out, "registered as MH") {
		t.Fatalf("import fhir: %d %q %q", code, out, errs)
	}
	// One patient by MRN (the new clinic's), from the workstation that imported.
	mrn := out[strings.Index(out, "registered as ")+len("registered as "):]
	mrn = mrn[:9]
	code, one, errs := run(t, filepath.Join(to, "physician"), "", "export", "fhir", "--patient", mrn)
	if code != 0 || !strings.Contains(one, mrn) || !strings.Contains(errs, " Patient 1") {
		t.Fatalf("export fhir --patient %s: %d %q", mrn, code, errs)
	}
	// A broken file: exit 1, the entry and element named, nothing changed.
	broken := filepath.Join(dir, "broken.json")
	os.WriteFile(broken, []byte(strings.Replace(bundle, `"birthDate"`, `"birthdate"`, 1)), 0o600) //nolint:errcheck
	before := listing(t, to)
	code, _, errs = run(t, filepath.Join(to, "physician"), "", "import", "fhir", broken)
	if code != 1 || !strings.Contains(errs, `(Patient): unknown element "birthdate"; nothing was imported`) {
		t.Errorf("broken import: %d %q", code, errs)
	}
	code, _, errs = run(t, filepath.Join(to, "physician"), "", "import", "fhir", file)
	if code != 1 || !strings.Contains(errs, "registered here as MH") {
		t.Errorf("second import of the same bundle: %d %q", code, errs)
	}
	if after := listing(t, to); after != before {
		t.Errorf("a refused import changed the files:\n%s\nvs\n%s", before, after)
	}
	code, _, errs = run(t, filepath.Join(to, "physician"), "", "export", "fhir", "--patient", "MH0000000")
	if code != 1 || !strings.Contains(errs, "no patient with the medical record number") {
		t.Errorf("unknown MRN: %d %q", code, errs)
	}
}

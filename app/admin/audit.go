package admin

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// AuditFilter narrows the audit log. Zero fields match everything.
type AuditFilter struct {
	Person  string    // part of a staff member's name, or the start of their key fingerprint
	Patient string    // a patient's MRN, exactly (case and spaces ignored)
	From    time.Time // entries at or after From
	To      time.Time // entries before To
}

// Match reports whether entry e passes the filter.
func (f AuditFilter) Match(e app.AuditEntry) bool {
	if p := strings.ToLower(strings.TrimSpace(f.Person)); p != "" &&
		!strings.Contains(strings.ToLower(e.Name), p) && !strings.HasPrefix(e.Author, strings.ReplaceAll(p, " ", "")) {
		return false
	}
	if mrn := normMRN(f.Patient); mrn != "" && normMRN(e.Record.Patient) != mrn {
		return false
	}
	if !f.From.IsZero() && e.Time.Before(f.From) {
		return false
	}
	if !f.To.IsZero() && !e.Time.Before(f.To) {
		return false
	}
	return true
}

func normMRN(s string) string { return strings.ToUpper(strings.Join(strings.Fields(s), "")) }

// SearchAudit returns the audit entries matching f, newest first.
func (s *Service) SearchAudit(ctx context.Context, f AuditFilter) ([]app.AuditEntry, error) {
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) {
		return nil, fmt.Errorf("%w: the end date is before the start date", app.ErrInvalidInput)
	}
	all, err := s.c.AuditLog(ctx)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, e := range all {
		if f.Match(e) {
			out = append(out, e)
		}
	}
	return GroupKeyBookkeeping(out), nil
}

// csvSafe keeps a spreadsheet from reading a cell as a formula: at the
// field's start, and after each ';' or tab in it, where a spreadsheet
// that splits on them (a ';' locale, a tab import) starts a cell of its
// own (h-sec20c: a hostile audit detail "x;=HYPERLINK(…)" became a
// formula there). The writer quotes only fields holding a comma.
func csvSafe(s string) string {
	var b strings.Builder
	start := true
	for _, r := range s {
		if start && strings.ContainsRune("=+-@\t\r", r) {
			b.WriteByte('\'')
		}
		start = r == ';' || r == '\t'
		b.WriteRune(r)
	}
	return b.String()
}

// ExportAuditCSV writes the entries matching f as CSV (one header line,
// then one line per entry, newest first).
func (s *Service) ExportAuditCSV(ctx context.Context, w io.Writer, f AuditFilter) error {
	entries, err := s.SearchAudit(ctx, f)
	if err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Write([]string{"time", "person", "fingerprint", "workstation", "action", "what", "record", "patient_mrn", "detail", "event"}) //nolint:errcheck // cw.Error below
	for _, e := range entries {
		cw.Write([]string{e.Time.UTC().Format(time.RFC3339), csvSafe(e.Name), e.Author, e.Device, csvSafe(e.Record.Action), //nolint:errcheck
			csvSafe(e.Describe()), csvSafe(e.Record.Entity), csvSafe(e.Record.Patient), csvSafe(e.Record.Detail), e.Event})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("admin: write the audit export: %w", err)
	}
	return nil
}

// ExportAuditFHIR writes the entries matching f as a FHIR R4 Bundle
// (type collection) of AuditEvent resources.
func (s *Service) ExportAuditFHIR(ctx context.Context, w io.Writer, f AuditFilter) error {
	entries, err := s.SearchAudit(ctx, f)
	if err != nil {
		return err
	}
	clinic := "urn:medihaven:clinic:" + s.c.Profile().ClinicID
	// No Bundle.total: FHIR allows it only on search results and history.
	b := fhir.Bundle{Type: fhir.BundleTypeCollection, Timestamp: str(s.c.Now().UTC().Format(time.RFC3339))}
	for _, e := range entries {
		ev := s.c.AuditEventFHIR(e)
		raw, err := ev.MarshalJSON()
		if err != nil {
			return fmt.Errorf("admin: audit export: %w", err)
		}
		b.Entry = append(b.Entry, fhir.BundleEntry{FullUrl: str(clinic + ":audit:" + e.Event), Resource: raw})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	if err := enc.Encode(b); err != nil {
		return fmt.Errorf("admin: write the audit export: %w", err)
	}
	return nil
}

// Verification is the outcome of checking every chain on this workstation.
type Verification struct {
	Events   int // envelopes checked
	Devices  int // workstations whose chains were walked
	Problems []replica.Problem
}

// Intact reports whether no problem was found.
func (v Verification) Intact() bool { return len(v.Problems) == 0 }

// Summary says the outcome in one plain sentence.
func (v Verification) Summary() string {
	if v.Intact() {
		return fmt.Sprintf("Intact: all %d events from %d workstations are signed, in order and unaltered.", v.Events, v.Devices)
	}
	return fmt.Sprintf("%d problems found in %d events from %d workstations: the events listed were altered, removed or reordered.",
		len(v.Problems), v.Events, v.Devices)
}

// VerifyLog walks every device's chain: each event must be whole, follow its
// predecessor and carry a valid signature. Administrators run it from the
// audit screen.
func (s *Service) VerifyLog(ctx context.Context) (Verification, error) {
	r, err := s.c.ReplicaFor(roles.ReadAudit)
	if err != nil {
		return Verification{}, err
	}
	var v Verification
	heads, err := s.c.Heads(ctx, r)
	v.Devices = len(heads)
	for _, h := range heads {
		v.Events += int(h.Seq)
	}
	if err != nil {
		return v, fmt.Errorf("admin: verify: %w", err)
	}
	if v.Problems, err = r.Verify(ctx); err != nil {
		return v, fmt.Errorf("admin: verify: %w", err)
	}
	return v, nil
}

// str points to a copy of v, for the optional fields of the FHIR models.
func str(v string) *string { return &v }

// actionKind is the record kind a chart action's audit record names
// ("chart.problem", "chart.prescription.cancel": the kind; "chart.visit.…":
// the encounter), or "" for a read and anything not a chart action.
func actionKind(action string) string {
	rest, ok := strings.CutPrefix(action, "chart.")
	if !ok || rest == "read" {
		return ""
	}
	kind, _, _ := strings.Cut(rest, ".")
	if kind == "visit" {
		return records.KindEncounter
	}
	return kind
}

// actGap bounds how far apart the sealed write of a chart change and its
// audit record, written in one batch (chart.Commit), may be dated.
const actGap = 10 * time.Second

// OneLinePerAct folds each chart change into the audit record written
// with it, so one act reads as one line: "recorded a problem" for the
// patient's MRN, where the log also showed "saved a record: problem" (the
// sealed write, which names no patient: the audit record alone does). A
// change folds into an audit record of a chart action ("chart.…", not a
// read) by the same member from the same workstation, about the same
// record and of the kind the action names (an audit line saying "recorded a
// problem" never hides the write of an allergy: both are the writer's word),
// dated at most actGap after it. Everything else passes unchanged, in
// order. The exports keep one line per event.
func OneLinePerAct(entries []app.AuditEntry) []app.AuditEntry {
	type act struct{ author, device, entity, kind string }
	audited := map[act][]time.Time{}
	for _, e := range entries {
		if kind := actionKind(e.Record.Action); e.Kind == "audit" && e.Readable && kind != "" {
			k := act{e.Author, e.Device, e.Record.Entity, kind}
			audited[k] = append(audited[k], e.Time)
		}
	}
	out := make([]app.AuditEntry, 0, len(entries))
	for _, e := range entries {
		if k, ok := roles.KindOf(e.Kind); ok && k.Scope == roles.Clinical {
			folded := false
			for _, at := range audited[act{e.Author, e.Device, e.Record.Entity, e.Kind}] {
				if d := at.Sub(e.Time); d >= 0 && d <= actGap {
					folded = true
					break
				}
			}
			if folded {
				continue
			}
		}
		out = append(out, e)
	}
	return out
}

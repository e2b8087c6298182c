package interop

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/app/frontdesk"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/roles"
)

// The two PDFs of a patient's copy: the summary of the record (sealed on
// IPFS with the FHIR bundle) and the handout printed for the patient (CID,
// passphrase, instructions). Both are A4, in plain words, with the core
// fonts (cp1252) as the prescription is.

// copySummary is what the summary PDF shows.
type copySummary struct {
	Clinic       string
	Patient      app.Patient
	Printed      time.Time
	Zone         *time.Location
	Clinical     bool        // the chart is included
	Chart        chart.Chart // when Clinical
	Appointments []frontdesk.Appointment
	Physicians   map[string]string // fingerprint → name
}

func (c copySummary) holds() string {
	if c.Clinical {
		return "the medical record, details and appointments"
	}
	return "details and appointments only: a front-desk copy"
}

// patientSummary reads what the summary shows, as far as this
// workstation's keys reach. The handout's audit record covers the read.
func (s *Service) patientSummary(ctx context.Context, p app.Patient) (copySummary, error) {
	r, err := s.c.Replica()
	if err != nil {
		return copySummary{}, err
	}
	sum := copySummary{Clinic: s.c.Clinic(), Patient: p, Printed: s.c.Now(), Zone: s.c.Zone(ctx, r), Physicians: map[string]string{}}
	if sum.Appointments, err = s.desk().PatientAppointments(ctx, p.ID); err != nil {
		return copySummary{}, err
	}
	if s.c.Role().Can(roles.ReadChart) && r.Holds(roles.Clinical) {
		if sum.Chart, err = chart.New(s.c).ReadUnaudited(ctx, r, p); err != nil {
			return copySummary{}, err
		}
		sum.Clinical = true
	}
	for _, m := range r.Members() {
		sum.Physicians[m.Fingerprint] = m.Name
	}
	return sum, nil
}

// sheet is an A4 page in the clinic's style.
type sheet struct {
	pdf   *fpdf.Fpdf
	tr    func(string) string
	inner float64 // text width, mm
}

const sheetMargin = 18

var (
	teal  = [3]int{0, 105, 110}
	grey  = [3]int{90, 90, 90}
	black = [3]int{0, 0, 0}
)

func newSheet(title string, at time.Time, footer func(page int) string) *sheet {
	pdf := fpdf.New("P", "mm", "A4", "")
	sh := &sheet{pdf: pdf, tr: pdf.UnicodeTranslatorFromDescriptor("")}
	pdf.SetCreationDate(at)
	pdf.SetModificationDate(at)
	pdf.SetTitle(title, true)
	pdf.SetCreator("Medihaven", true)
	pdf.SetMargins(sheetMargin, sheetMargin, sheetMargin)
	pdf.SetAutoPageBreak(true, 20)
	w, _ := pdf.GetPageSize()
	sh.inner = w - 2*sheetMargin
	pdf.SetFooterFunc(func() {
		pdf.SetY(-14)
		sh.font("", 8, grey)
		pdf.CellFormat(sh.inner, 4, sh.tr(footer(pdf.PageNo())), "T", 0, "C", false, 0, "")
	})
	pdf.AddPage()
	return sh
}

func (sh *sheet) font(style string, size float64, c [3]int) {
	sh.pdf.SetFont("Helvetica", style, size)
	sh.pdf.SetTextColor(c[0], c[1], c[2])
}

// header is the clinic's name, the document's title and its date, over a rule.
func (sh *sheet) header(clinic, title string, at time.Time) {
	pdf := sh.pdf
	sh.font("B", 16, teal)
	pdf.CellFormat(sh.inner, 8, sh.tr(clinic), "", 1, "L", false, 0, "")
	sh.font("B", 13, black)
	pdf.CellFormat(sh.inner*0.65, 7, sh.tr(title), "", 0, "L", false, 0, "")
	sh.font("", 10, grey)
	pdf.CellFormat(sh.inner*0.35, 7, sh.tr(at.Format("2 January 2006")), "", 1, "R", false, 0, "")
	pdf.SetDrawColor(teal[0], teal[1], teal[2])
	pdf.SetLineWidth(0.6)
	pdf.Line(sheetMargin, pdf.GetY()+1, sheetMargin+sh.inner, pdf.GetY()+1)
	pdf.SetLineWidth(0.2)
	pdf.Ln(5)
}

// section starts a titled part, on a new page when little room is left.
func (sh *sheet) section(title string) {
	pdf := sh.pdf
	_, h := pdf.GetPageSize()
	if pdf.GetY() > h-62 { // the heading and its first entry
		pdf.AddPage()
	}
	pdf.Ln(3)
	sh.font("B", 12, teal)
	pdf.CellFormat(sh.inner, 7, sh.tr(title), "B", 1, "L", false, 0, "")
	pdf.Ln(1.5)
}

// field is a label and its value on one line (the value wraps).
func (sh *sheet) field(label, value string) {
	if strings.TrimSpace(value) == "" {
		return
	}
	sh.font("", 9, grey)
	sh.pdf.CellFormat(38, 5.5, sh.tr(label), "", 0, "L", false, 0, "")
	sh.font("", 10.5, black)
	sh.pdf.MultiCell(sh.inner-38, 5.5, sh.tr(value), "", "L", false)
}

// item is one entry of a list: a bold first line and plain lines under it,
// kept on one page when it fits on one.
func (sh *sheet) item(head string, lines ...string) {
	_, h := sh.pdf.GetPageSize()
	if need := 7 + 5*float64(len(lines)); need < h/2 && sh.pdf.GetY()+need > h-20 {
		sh.pdf.AddPage()
	}
	sh.font("B", 10.5, black)
	sh.pdf.MultiCell(sh.inner, 5.5, sh.tr(head), "", "L", false)
	sh.font("", 10, black)
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		sh.pdf.SetX(sheetMargin + 5)
		sh.pdf.MultiCell(sh.inner-5, 5, sh.tr(l), "", "L", false)
	}
	sh.pdf.Ln(1.5)
}

func (sh *sheet) para(size float64, text string) {
	sh.font("", size, black)
	sh.pdf.MultiCell(sh.inner, size*0.5, sh.tr(text), "", "L", false)
	sh.pdf.Ln(1)
}

// none says a section is empty.
func (sh *sheet) none(what string) {
	sh.font("I", 10, grey)
	sh.pdf.CellFormat(sh.inner, 5.5, sh.tr(what), "", 1, "L", false, 0, "")
}

// box draws a tinted, framed box of height h at the current line and
// calls fill inside it.
func (sh *sheet) box(h float64, fill func(x, y, w float64)) {
	pdf := sh.pdf
	y := pdf.GetY()
	pdf.SetDrawColor(teal[0], teal[1], teal[2])
	pdf.SetFillColor(232, 245, 245)
	pdf.RoundedRect(sheetMargin, y, sh.inner, h, 2, "1234", "FD")
	fill(sheetMargin+5, y+3, sh.inner-10)
	pdf.SetXY(sheetMargin, y+h+3)
}

func (sh *sheet) bytes(what string) ([]byte, error) {
	if err := sh.pdf.Error(); err != nil {
		return nil, fmt.Errorf("app: lay out the %s: %w", what, err)
	}
	var buf bytes.Buffer
	if err := sh.pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("app: write the %s PDF: %w", what, err)
	}
	return buf.Bytes(), nil
}

// renderSummary lays out the readable summary of a patient's record.
func renderSummary(c copySummary) ([]byte, error) {
	p := c.Patient
	name := strings.TrimSpace(p.Given + " " + p.Family)
	sh := newSheet("Health record summary", c.Printed, func(page int) string {
		return fmt.Sprintf("Health record summary of %s, %s. Page %d. Keep it private.", name, p.MRN, page)
	})
	sh.header(c.Clinic, "Health record summary", c.Printed)
	sh.field("Name", name)
	born := app.PrintedDate(p.Birth)
	if age := chart.AgeAt(p.Birth, c.Printed); age >= 0 {
		born += fmt.Sprintf(" (%d years)", age)
	}
	sh.field("Born", born)
	if p.Sex != "" && p.Sex != "unknown" {
		sh.field("Sex", app.Capitalise(p.Sex))
	}
	sh.field("Record number", p.MRN)
	sh.field("Phone", p.Phone)
	sh.field("Email", p.Email)
	sh.field("Address", p.Address)
	sh.field("Insurance", p.Insurance)
	if p.EmergencyName != "" {
		sh.field("Emergency contact", strings.TrimSpace(p.EmergencyName+"  "+p.EmergencyPhone))
	}
	sh.pdf.Ln(3)
	note := "This summary shows your record as " + c.Clinic + " keeps it on " + c.Printed.Format("2 January 2006") +
		". The file record.json next to it holds the same in FHIR, the format other clinics and health apps read."
	if !c.Clinical {
		note = "This copy was made at the front desk, so it holds your details and appointments only. " +
			"Ask your physician for a copy that includes your medical record."
	}
	sh.box(17, func(x, y, w float64) {
		sh.pdf.SetXY(x, y)
		sh.font("", 10, black)
		sh.pdf.MultiCell(w, 5, sh.tr(note), "", "L", false)
	})
	if c.Clinical {
		summaryChart(sh, c)
	}
	sh.section("Appointments")
	if len(c.Appointments) == 0 {
		sh.none("None booked.")
	}
	for _, a := range c.Appointments {
		with := c.Physicians[a.Physician]
		if with == "" {
			with = "a physician"
		}
		head := fmt.Sprintf("%s, %d minutes with %s", a.StartText("Mon 2 Jan 2006, 15:04", c.Zone), a.Minutes, with)
		status := map[string]string{frontdesk.StatusBooked: "Booked", frontdesk.StatusArrived: "Attended", frontdesk.StatusCancelled: "Cancelled",
			frontdesk.StatusNoShow: "Missed", records.StatusInVisit: "Attended", records.StatusSeen: "Attended"}[a.Status]
		if a.Reason != "" {
			status += ". Reason: " + a.Reason
		}
		sh.item(head, status)
	}
	return sh.bytes("summary")
}

// summaryChart writes the medical sections of the summary.
func summaryChart(sh *sheet, c copySummary) {
	ch := c.Chart
	sh.section("Health problems")
	if len(ch.Problems) == 0 {
		sh.none("None recorded.")
	}
	for _, p := range ch.Problems {
		line := "Active"
		if p.Status == chart.ProblemResolved {
			line = "Resolved"
			if p.Resolved != "" {
				line += " " + app.PrintedDate(p.Resolved)
			}
		}
		if p.Onset != "" {
			line += ", since " + partialDate(p.Onset)
		}
		sh.item(p.Name, line)
	}
	sh.section("Allergies")
	// "None known" is what a clinician writes once the patient was asked:
	// only a recorded "no known allergies" says so.
	switch n := ch.NoneKnown; {
	case len(ch.Allergies) == 0 && n != nil && n.Current:
		sh.none(app.Capitalise(n.Words()) + " (asked " + app.PrintedDate(n.Asked.Format("2006-01-02")) + ").")
	case len(ch.Allergies) == 0:
		sh.none("None recorded.")
	}
	for _, a := range ch.Allergies {
		sh.item(app.Capitalise(a.Substance), strings.Trim(app.Capitalise(a.Reaction)+", "+a.Severity, ", "))
	}
	sh.section("Medications")
	if len(ch.Medications) == 0 {
		sh.none("None recorded.")
	}
	for _, m := range ch.Medications {
		since := ""
		if m.Since != "" {
			since = "Since " + app.PrintedDate(m.Since)
		}
		sh.item(m.Name, app.Capitalise(m.Dose), since)
	}
	sh.section("Vital signs (most recent first)")
	if len(ch.Vitals) == 0 {
		sh.none("None recorded.")
	}
	for i := len(ch.Vitals) - 1; i >= 0 && i >= len(ch.Vitals)-8; i-- {
		sh.item(ch.Vitals[i].Time.In(c.Zone).Format("2 Jan 2006, 15:04"), vitalsLine(ch.Vitals[i]))
	}
	sh.section("Visits")
	if len(ch.Encounters) == 0 {
		sh.none("None recorded.")
	}
	for _, e := range ch.Encounters {
		with := c.Physicians[e.Physician]
		sh.item(e.Start.In(c.Zone).Format("2 Jan 2006, 15:04")+" with "+with, e.Reason)
	}
	sh.section("Prescriptions")
	if len(ch.Prescriptions) == 0 {
		sh.none("None.")
	}
	for _, rx := range ch.Prescriptions {
		var lines []string
		for _, it := range rx.Items {
			lines = append(lines, fmt.Sprintf("%s: %s. Quantity %s, refills %d.", it.Drug, it.Directions(), it.Quantity, it.Refills))
		}
		status := "Verification code " + rx.Code
		if rx.Status == chart.RxCancelled {
			status = "Cancelled. " + status
		}
		lines = append(lines, status)
		sh.item(rx.Time.In(c.Zone).Format("2 Jan 2006")+", by "+rx.PrescriberName, lines...)
	}
	sh.section("Visit notes")
	if len(ch.Notes) == 0 {
		sh.none("None.")
	}
	for _, n := range ch.Notes {
		lines := []string{"What you told us: " + n.Subjective, "What we found: " + n.Objective,
			"Assessment: " + n.Assessment, "Plan: " + n.Plan}
		for _, a := range n.Addenda {
			lines = append(lines, "Added "+a.Time.In(c.Zone).Format("2 Jan 2006")+" by "+a.AuthorName+": "+a.Text)
		}
		sh.item(n.Time.In(c.Zone).Format("2 Jan 2006, 15:04")+", "+n.AuthorName, lines...)
	}
}

// partialDate prints YYYY-MM-DD, YYYY-MM or YYYY as people write them.
func partialDate(s string) string {
	if t, err := time.Parse("2006-01", s); err == nil {
		return t.Format("January 2006")
	}
	return app.PrintedDate(s)
}

func vitalsLine(v chart.Vitals) string {
	var parts []string
	add := func(ok bool, f string, a ...any) {
		if ok {
			parts = append(parts, fmt.Sprintf(f, a...))
		}
	}
	add(v.Systolic > 0, "blood pressure %d/%d mmHg", v.Systolic, v.Diastolic)
	add(v.Pulse > 0, "pulse %d/min", v.Pulse)
	add(v.TempC > 0, "temperature %.1f °C", v.TempC)
	add(v.Resp > 0, "breathing %d/min", v.Resp)
	add(v.SpO2 > 0, "oxygen %d%%", v.SpO2)
	add(v.WeightKg > 0, "weight %.1f kg", v.WeightKg)
	add(v.HeightCm > 0, "height %.0f cm", v.HeightCm)
	add(v.BMI > 0, "BMI %.1f", v.BMI)
	return app.Capitalise(strings.Join(parts, ", "))
}

// RenderHandout lays out the page a patient takes home: where their copy
// is, the passphrase, and how to open it.
func RenderHandout(pc PatientCopy) ([]byte, error) {
	sh := newSheet("Your own copy of your health record", pc.Created, func(int) string {
		return "Whoever holds this paper can read your health record. " + pc.Clinic + ", record number " + pc.MRN + "."
	})
	pdf := sh.pdf
	sh.header(pc.Clinic, "Your own copy of your health record", pc.Created)
	sh.field("For", pc.PatientName)
	sh.field("Record number", pc.MRN)
	what := "your medical record (health problems, allergies, medications, vital signs, visits, prescriptions and notes), your details and your appointments"
	if !pc.Clinical {
		what = "your details and your appointments only: it was made at the front desk. Ask your physician for a copy that includes your medical record"
	}
	sh.field("It holds", what)
	if pc.HandedOutBy != "" {
		sh.field("Given by", pc.HandedOutBy+", "+pc.Created.Format("2 January 2006, 15:04"))
	}
	pdf.Ln(4)

	sh.box(21, func(x, y, w float64) {
		pdf.SetXY(x, y)
		sh.font("B", 10, teal)
		pdf.CellFormat(w, 5, "Where your copy is (its IPFS address)", "", 2, "L", false, 0, "")
		pdf.SetFont("Courier", "B", 10.5)
		pdf.SetTextColor(0, 0, 0)
		pdf.MultiCell(w, 5.5, pc.CID, "", "L", false)
	})
	sh.box(25, func(x, y, w float64) {
		pdf.SetXY(x, y)
		sh.font("B", 10, teal)
		pdf.CellFormat(w, 5, "Your passphrase (type it exactly, with the dashes)", "", 2, "L", false, 0, "")
		pdf.SetFont("Courier", "B", 19)
		pdf.SetTextColor(0, 0, 0)
		pdf.CellFormat(w, 11, pc.Passphrase, "", 2, "L", false, 0, "")
		sh.font("", 8.5, grey)
		pdf.CellFormat(w, 4, sh.tr("Lower-case letters, digits 2 to 9 and dashes. The clinic does not keep it and cannot tell it to you again."), "", 0, "L", false, 0, "")
	})

	sh.section("How to open your copy")
	step := func(n int, text string, commands ...string) {
		y := pdf.GetY()
		sh.font("B", 11, teal)
		pdf.CellFormat(8, 5.5, fmt.Sprint(n), "", 0, "L", false, 0, "")
		pdf.SetXY(sheetMargin+8, y)
		sh.font("", 10.5, black)
		pdf.MultiCell(sh.inner-8, 5.5, sh.tr(text), "", "L", false)
		// 9 pt Courier fits 87 characters: a gateway address or
		// `ipfs get CID -o my-record` stays on one line.
		for _, c := range commands {
			pdf.SetX(sheetMargin + 8)
			pdf.SetFont("Courier", "B", 9)
			pdf.SetTextColor(0, 0, 0)
			pdf.MultiCell(sh.inner-8, 5, c, "", "L", false)
		}
		pdf.Ln(2)
	}
	step(1, "Download the folder. With IPFS installed (ipfs.tech), run:", "ipfs get "+pc.CID+" -o my-record")
	step(2, "Or open this address in a web browser and save the three files (summary.pdf.gpg, record.json.gpg, README.txt):",
		"https://ipfs.io/ipfs/"+pc.CID)
	step(3, "Install GnuPG (gnupg.org; Gpg4win on Windows, GPG Suite on a Mac). Any other OpenPGP program works too.")
	step(4, "Open the files. Type the passphrase above when asked:",
		"gpg --decrypt summary.pdf.gpg > summary.pdf", "gpg --decrypt record.json.gpg > record.json")
	step(5, "summary.pdf is a readable summary. record.json is the full record in FHIR, the format other clinics "+
		"and health apps read: give it to them if you change clinic.")
	pdf.Ln(1)
	sh.para(10, "Save the opened files somewhere safe soon: once you have them you need neither the clinic nor the internet. "+
		"If the web address does not load, ask the clinic: its IPFS node keeps your copy. "+
		"The copy shows your record on "+pc.Created.Format("2 January 2006")+"; ask for a new copy to see later changes.")
	pdf.Ln(3)
	warn := [3]int{150, 40, 20}
	pdf.SetDrawColor(warn[0], warn[1], warn[2])
	pdf.SetLineWidth(0.5)
	y := pdf.GetY()
	pdf.Line(sheetMargin, y, sheetMargin, y+16)
	pdf.SetLineWidth(0.2)
	pdf.SetXY(sheetMargin+4, y)
	sh.font("B", 11, warn)
	pdf.CellFormat(sh.inner-4, 6, "Keep this paper safe", "", 2, "L", false, 0, "")
	sh.font("", 10, black)
	pdf.MultiCell(sh.inner-4, 5, sh.tr("Whoever holds this paper can fetch and read your health record. "+
		"Keep it where you keep your other private papers, or destroy it once you have saved and opened your files."), "", "L", false)
	return sh.bytes("handout")
}

package prescribing

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-pdf/fpdf"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/roles"
)

// Errors of prescription verification.
var (
	ErrRxUnknown   = errors.New("app: no prescription with this verification code")
	ErrRxSignature = errors.New("app: the prescription's signature does not check out")
)

// VerifyPrescription finds the prescription a printed verification code
// belongs to and checks its prescriber's signature with their key from the
// directory. A cancelled prescription is returned with its status; a
// prescription whose signature fails is returned with ErrRxSignature.
func (s *Service) VerifyPrescription(ctx context.Context, code string) (Prescription, error) {
	r, err := s.c.ReplicaFor(roles.ReadChart)
	if err != nil {
		return Prescription{}, err
	}
	want := NormalizeCode(code)
	if len(want) != 11 {
		return Prescription{}, fmt.Errorf("%w: a verification code has 10 letters and digits, like ABCDE-23456", app.ErrInvalidInput)
	}
	rows, err := r.Entities(ctx, records.KindPrescription)
	if err != nil {
		return Prescription{}, err
	}
	cancels, err := chart.Cancellations(ctx, r)
	if err != nil {
		return Prescription{}, err
	}
	for _, e := range rows {
		if rx, _ := records.SignedFromState(e.ID, e.State); rx.Code != want {
			continue
		}
		p := chart.PrescriptionFromState(r, s.c.Profile().ClinicID, e.ID, e.State, cancels)
		if p.Code != want || !p.Verified {
			return p, fmt.Errorf("%w: do not dispense it; call the prescriber (%s)", ErrRxSignature, p.Problem)
		}
		return p, nil
	}
	return Prescription{}, fmt.Errorf("%w %s on this workstation: check the code, or sync and try again", ErrRxUnknown, want)
}

// PDFUse is what a prescription's PDF is made for. Each use is audited,
// as a chart's opening is: who, which prescription, which patient (by
// MRN), printed or saved.
type PDFUse int

const (
	// PDFPrint is for the printer: the PDF is kept nowhere.
	PDFPrint PDFUse = iota + 1
	// PDFSave is for a file where the physician chose, unencrypted.
	PDFSave
)

// audit is the audit record of one use of prescription p's PDF. It
// carries what every audit record does (the record, the patient's MRN),
// sealed to the clinic's audit key like them.
func (u PDFUse) audit(p Prescription) (app.AuditRecord, error) {
	rec := app.AuditRecord{Entity: p.ID, Patient: p.PatientMRN}
	switch u {
	case PDFPrint:
		rec.Action, rec.Detail = "rx.print", "printed prescription "+p.Code
	case PDFSave:
		rec.Action, rec.Detail = "rx.save", "saved prescription "+p.Code+" as a PDF file (unencrypted)"
	default:
		return rec, fmt.Errorf("%w: say whether the prescription's PDF is printed or saved", app.ErrInvalidInput)
	}
	return rec, nil
}

// PrescriptionPDF renders a signed, uncancelled prescription as a printable
// A5 PDF: clinic, prescriber, patient, drugs, date and verification code.
// The use is audited before the PDF is returned; when the audit record
// cannot be written, no PDF is given. So a print that then fails, or a
// file that is then not written, still shows in the audit trail: it
// records that the prescription left the app's keeping, not the
// printer's verdict.
func (s *Service) PrescriptionPDF(ctx context.Context, id string, use PDFUse) ([]byte, error) {
	p, err := s.Prescription(ctx, id)
	if err != nil {
		return nil, err
	}
	if !p.Verified {
		return nil, fmt.Errorf("%w: it cannot be printed (%s)", ErrRxSignature, p.Problem)
	}
	if p.Status == chart.RxCancelled {
		return nil, fmt.Errorf("%w: the prescription was cancelled, so it cannot be printed", app.ErrInvalidInput)
	}
	rec, err := use.audit(p)
	if err != nil {
		return nil, err
	}
	data, err := RenderPrescription(p)
	if err != nil {
		return nil, err
	}
	if err := s.c.Audit(ctx, rec); err != nil {
		return nil, fmt.Errorf("app: the %s could not be audited, so no PDF was made: try again, or ask the administrator to check this workstation: %w",
			strings.TrimPrefix(rec.Action, "rx."), err)
	}
	return data, nil
}

// RenderPrescription lays out a prescription as PDF. Its dates are fixed
// by the prescription, so the same prescription gives the same bytes.
func RenderPrescription(p Prescription) ([]byte, error) {
	pdf := fpdf.New("P", "mm", "A5", "")
	tr := pdf.UnicodeTranslatorFromDescriptor("") // cp1252 for the core fonts
	pdf.SetCreationDate(p.Time)
	pdf.SetModificationDate(p.Time)
	pdf.SetTitle("Prescription "+p.Code, true)
	pdf.SetCreator("Medihaven", true)
	pdf.SetMargins(12, 12, 12)
	pdf.SetAutoPageBreak(true, 28)
	w, _ := pdf.GetPageSize()
	inner := w - 24
	pdf.SetFooterFunc(func() {
		pdf.SetY(-24)
		pdf.SetDrawColor(180, 180, 180)
		pdf.Line(12, pdf.GetY(), w-12, pdf.GetY())
		pdf.Ln(1.5)
		pdf.SetFont("Helvetica", "", 7)
		pdf.SetTextColor(90, 90, 90)
		pdf.MultiCell(inner, 3.4, tr(fmt.Sprintf("Signed electronically by %s with OpenPGP key %s. "+
			"Check it: enter the verification code in Medihaven, or run \"medihaven verify-rx %s\". "+
			"Drug data: the Medihaven formulary (see its sources); the clinic reviews it before clinical use.", p.PrescriberName, app.SpacedFingerprint(p.Prescriber), p.Code)), "", "L", false)
		pdf.SetY(-8)
		pdf.CellFormat(inner, 3, fmt.Sprintf("Page %d", pdf.PageNo()), "", 0, "R", false, 0, "")
	})
	pdf.AddPage()

	// Clinic and title.
	pdf.SetTextColor(0, 105, 110)
	pdf.SetFont("Helvetica", "B", 15)
	pdf.CellFormat(inner, 7, tr(p.Clinic), "", 1, "L", false, 0, "")
	pdf.SetTextColor(60, 60, 60)
	pdf.SetFont("Helvetica", "", 8.5)
	var contact []string
	if p.ClinicAddress != "" {
		contact = append(contact, p.ClinicAddress)
	}
	if p.ClinicPhone != "" {
		contact = append(contact, "Phone "+p.ClinicPhone)
	}
	if len(contact) == 0 {
		contact = []string{"Address and phone not set by the clinic's administrator"}
	}
	pdf.MultiCell(inner, 4, tr(strings.Join(contact, "  ·  ")), "", "L", false)
	pdf.SetTextColor(0, 0, 0)
	pdf.SetFont("Helvetica", "", 10)
	pdf.CellFormat(inner/2, 6, "Prescription", "", 0, "L", false, 0, "")
	pdf.CellFormat(inner/2, 6, tr(p.Time.Format("2 January 2006, 15:04")), "", 1, "R", false, 0, "")
	pdf.SetDrawColor(0, 105, 110)
	pdf.SetLineWidth(0.6)
	pdf.Line(12, pdf.GetY()+1, w-12, pdf.GetY()+1)
	pdf.SetLineWidth(0.2)
	pdf.Ln(4)

	field := func(label, value string) {
		pdf.SetFont("Helvetica", "", 8)
		pdf.SetTextColor(90, 90, 90)
		pdf.CellFormat(26, 5, tr(label), "", 0, "L", false, 0, "")
		pdf.SetFont("Helvetica", "B", 10)
		pdf.SetTextColor(0, 0, 0)
		pdf.MultiCell(inner-26, 5, tr(value), "", "L", false)
	}
	field("Patient", p.PatientName)
	field("Born", fmt.Sprintf("%s    MRN %s", app.PrintedDate(p.PatientBirth), p.PatientMRN))
	licence := "licence no. " + p.PrescriberLicence
	if p.PrescriberLicence == "" {
		licence = "licence no. not recorded"
	}
	field("Prescriber", fmt.Sprintf("%s, physician, %s", p.PrescriberName, licence))
	if p.Renews != "" {
		field("Renewal", "continues an earlier prescription")
	}
	pdf.Ln(3)

	// Drugs.
	pdf.SetFont("Helvetica", "B", 18)
	pdf.CellFormat(inner, 8, "Rx", "", 1, "L", false, 0, "")
	for i, it := range p.Items {
		pdf.SetFont("Helvetica", "B", 11)
		pdf.MultiCell(inner, 5.5, tr(fmt.Sprintf("%d. %s", i+1, it.Drug)), "", "L", false)
		pdf.SetFont("Helvetica", "", 10)
		pdf.SetX(17)
		pdf.MultiCell(inner-5, 5, tr(app.Capitalise(it.Directions())+"."), "", "L", false)
		pdf.SetX(17)
		pdf.MultiCell(inner-5, 5, tr(fmt.Sprintf("Quantity: %s.   Refills: %s.", QuantityInWords(it.Quantity), countInWords(it.Refills))), "", "L", false)
		if it.Instructions != "" {
			pdf.SetFont("Helvetica", "I", 10)
			pdf.SetX(17)
			pdf.MultiCell(inner-5, 5, tr(it.Instructions), "", "L", false)
		}
		pdf.Ln(3)
	}

	// Verification code, where a pharmacist looks for it.
	pdf.Ln(2)
	y := pdf.GetY()
	pdf.SetDrawColor(0, 105, 110)
	pdf.SetFillColor(232, 245, 245)
	pdf.RoundedRect(12, y, inner, 17, 2, "1234", "FD")
	pdf.SetXY(16, y+2)
	pdf.SetFont("Helvetica", "", 8)
	pdf.SetTextColor(60, 60, 60)
	pdf.CellFormat(inner-8, 4, "Verification code", "", 2, "L", false, 0, "")
	pdf.SetFont("Courier", "B", 16)
	pdf.SetTextColor(0, 0, 0)
	pdf.CellFormat(inner-8, 8, p.Code, "", 1, "L", false, 0, "")

	// The prescriber's signature line, for a wet signature where one is
	// required beside the electronic one.
	pdf.Ln(10)
	pdf.SetDrawColor(120, 120, 120)
	pdf.Line(12, pdf.GetY(), 12+inner*0.6, pdf.GetY())
	pdf.Ln(1)
	pdf.SetFont("Helvetica", "", 8)
	pdf.SetTextColor(60, 60, 60)
	pdf.CellFormat(inner, 4, tr(fmt.Sprintf("Signature of %s", p.PrescriberName)), "", 1, "L", false, 0, "")
	if err := pdf.Error(); err != nil {
		return nil, fmt.Errorf("app: lay out the prescription: %w", err)
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("app: write the prescription PDF: %w", err)
	}
	return buf.Bytes(), nil
}

// QuantityInWords writes the number a quantity starts with in words and
// figures, as a pharmacist expects it on paper: "21 capsules" reads "21
// (twenty-one) capsules". A quantity that does not start with a whole
// number is kept as written.
func QuantityInWords(q string) string {
	f := strings.Fields(q)
	if len(f) == 0 {
		return q
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n < 0 || n > 9999 {
		return q
	}
	return strings.Join(append([]string{fmt.Sprintf("%d (%s)", n, numberWords(n))}, f[1:]...), " ")
}

// countInWords writes a small count in figures and words: "2 (two)".
func countInWords(n int) string { return fmt.Sprintf("%d (%s)", n, numberWords(n)) }

var (
	ones = []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
		"thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"}
	tens = []string{"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"}
)

// numberWords writes 0 to 9999 in English words: "one hundred and five".
func numberWords(n int) string {
	switch {
	case n < 20:
		return ones[n]
	case n < 100:
		if n%10 == 0 {
			return tens[n/10]
		}
		return tens[n/10] + "-" + ones[n%10]
	case n < 1000:
		if n%100 == 0 {
			return ones[n/100] + " hundred"
		}
		return ones[n/100] + " hundred and " + numberWords(n%100)
	default:
		w := numberWords(n/1000) + " thousand"
		switch r := n % 1000; {
		case r == 0:
		case r < 100:
			w += " and " + numberWords(r)
		default:
			w += " " + numberWords(r)
		}
		return w
	}
}

package frontdesk

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app/interop"
	"github.com/medihaven/medihaven/ui/kit"
)

// The front desk's ways in and out of the clinic: a patient transferring
// in (FHIR), a patient's record as FHIR, and the patient's own copy.

// files is how the desk's screens meet files: work runs like every other
// of the desk's (do), and tests replace the dialogs.
func (e env) files() kit.Files {
	f := kit.NewFiles(e.win, func(work func(context.Context), done func()) {
		do(e, func(ctx context.Context) (struct{}, error) { work(ctx); return struct{}{}, nil },
			func(struct{}, error) { done() })
	})
	if e.save != nil {
		f.Save = e.save
	}
	if e.open != nil {
		f.Open = e.open
	}
	return f
}

// importButton is the Patients screen's "Import transfer (FHIR)…": it
// shows first what the bundle would keep and leave out, and imports only
// when asked, with a progress bar (kit.Files.ImportFHIRPreviewed).
func (s *patientsScreen) importButton() *widget.Button {
	var b *widget.Button
	b = widget.NewButtonWithIcon("Import transfer (FHIR)…", theme.DownloadIcon(), func() {
		f := s.files()
		f.Ended = s.backToSearch
		f.ImportFHIRPreviewed(b, s.d)
	})
	return b
}

// interopButtons are an open record's "Patient copy…" and "Export FHIR…";
// they show only while a registered patient is open.
func (f *patientForm) interopButtons() (copyBtn, fhirBtn *widget.Button) {
	copyBtn = widget.NewButtonWithIcon("Patient copy…", theme.MailSendIcon(), func() {
		id, p := f.id, f.orig
		f.files().PatientCopy(fmt.Sprintf("%s · MRN %s", p.Name(), p.MRN), func(ctx context.Context) (interop.PatientCopy, error) {
			return f.d.HandOutPatientCopy(ctx, id)
		})
	})
	fhirBtn = widget.NewButtonWithIcon("Export FHIR…", theme.DocumentSaveIcon(), func() {
		f.files().Export(kit.ExportFHIR(f.id, f.orig.MRN, fhirBtn, f.d.ExportFHIR))
	})
	return copyBtn, fhirBtn
}

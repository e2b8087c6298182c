package kit

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/interop"
)

// This file holds what the front desk's and the physician's screens share
// to move records in and out of the clinic: saving an export, importing a
// transfer, and handing a patient their own copy. The use cases come in as
// functions, so kit never calls the session itself.

// Transfers is what the front desk's and the physician's screens need of
// a session's interop service (app/interop) to move a patient's records:
// a transfer in, a record out as FHIR, the patient's own copy.
type Transfers interface {
	ExportFHIR(ctx context.Context, w io.Writer, patientID string) (interop.FHIRExport, error)
	ImportFHIR(ctx context.Context, r io.Reader) (interop.FHIRImport, error)
	HandOutPatientCopy(ctx context.Context, patientID string) (interop.PatientCopy, error)
}

// InteropOf is the interop service of a session as the interface I a
// role's screens consume: the session itself when it serves I (a test's
// fake), else the service of the app's session behind it (interop.Of).
func InteropOf[I any](s any) (I, bool) { return serviceOf[I](s, interop.Of) }

// dialogWidth keeps the wrapped text of these dialogs readable.
const dialogWidth = 480

// Runner runs work off the UI goroutine with a deadline, then done on it.
// Each role package passes its own way of doing so (tests run in place).
type Runner func(work func(ctx context.Context), done func())

// Saver offers bytes to the person to save under a suggested file name (a
// save dialog). done gets where they went, or "" and nil when the person
// cancelled.
type Saver func(name string, data []byte, done func(where string, err error))

// Opener asks the person for a file to read (an open dialog) among the
// given extensions. done gets its name and an open reader the receiver
// closes, or a nil reader when the person cancelled.
type Opener func(exts []string, done func(name string, r io.ReadCloser, err error))

// Files is how a screen meets files: the window its dialogs belong to,
// how work leaves the UI goroutine, and the save and open dialogs, which
// tests replace.
type Files struct {
	Win  fyne.Window
	Run  Runner
	Save Saver
	Open Opener
	// Ended, when set, runs once an import (ImportFHIRPreviewed) has
	// ended, whatever its outcome: its last dialog closed, or the file
	// or the preview cancelled. The Patients screen gives the keyboard
	// back to its search.
	Ended func()
	// opener is the button that started the export or import (Export's
	// Button, ImportFHIR's btn): its notices give it the keyboard back.
	opener fyne.Focusable
}

// from is f with btn, when there is one, as the opener of what it shows.
func (f Files) from(btn *widget.Button) Files {
	if btn != nil {
		f.opener = btn
	}
	return f
}

// ended runs Ended, if set.
func (f Files) ended() {
	if f.Ended != nil {
		f.Ended()
	}
}

// showThenEnded shows d, and runs Ended once it is closed.
func (f Files) showThenEnded(n Notice) {
	n.Closed = f.ended
	n.Show(f.Win)
}

// NewFiles is Files with Fyne's save and open dialogs.
func NewFiles(w fyne.Window, run Runner) Files {
	return Files{Win: w, Run: run, Save: SaveDialog(w), Open: OpenDialog(w)}
}

// SaveChooser asks the person where to save a file under a suggested
// name (a save dialog). done gets the chosen place, open for writing (the
// receiver closes it), or nil and nil when the person cancelled.
type SaveChooser func(name string, done func(w fyne.URIWriteCloser, err error))

// ChooseSaveDialog is a SaveChooser that asks with Fyne's file save
// dialog, offering files with the suggested name's extension. The file it
// hands on is private (Private).
func ChooseSaveDialog(w fyne.Window) SaveChooser {
	return func(name string, done func(fyne.URIWriteCloser, error)) {
		d := dialog.NewFileSave(Private(done), w)
		d.SetFileName(name)
		if ext := filepath.Ext(name); ext != "" {
			d.SetFilter(storage.NewExtensionFileFilter([]string{ext}))
		}
		d.Show()
	}
}

// Private hands done a chosen file only its owner may read: what the
// staff save (records in clear, a patient copy's passphrase, the audit
// log) must not be readable by every user of a shared computer, and
// Fyne's writer creates the file with the umask's mode (often 0644). The
// mode is narrowed before anything is written; where it cannot be, the
// empty file is removed and done gets the error.
func Private(done func(fyne.URIWriteCloser, error)) func(fyne.URIWriteCloser, error) {
	return func(f fyne.URIWriteCloser, err error) {
		if err != nil || f == nil || f.URI().Scheme() != "file" {
			done(f, err)
			return
		}
		if err := os.Chmod(f.URI().Path(), 0o600); err != nil {
			f.Close()
			storage.Delete(f.URI()) //nolint:errcheck // best effort: nothing was written to it
			done(nil, fmt.Errorf("the file could not be made private to you, so nothing was saved (choose a folder of your own): %w", err))
			return
		}
		done(f, nil)
	}
}

// SaveDialog is a Saver that asks with Fyne's file save dialog
// (ChooseSaveDialog).
func SaveDialog(w fyne.Window) Saver {
	choose := ChooseSaveDialog(w)
	return func(name string, data []byte, done func(string, error)) {
		choose(name, func(f fyne.URIWriteCloser, err error) {
			if err != nil || f == nil {
				done("", err)
				return
			}
			_, err = f.Write(data)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			done(f.URI().Path(), err)
		})
	}
}

// OpenDialog is an Opener that asks with Fyne's file open dialog.
func OpenDialog(w fyne.Window) Opener {
	return func(exts []string, done func(string, io.ReadCloser, error)) {
		d := dialog.NewFileOpen(func(f fyne.URIReadCloser, err error) {
			if err != nil || f == nil {
				done("", nil, err)
				return
			}
			done(f.URI().Name(), f, nil)
		}, w)
		if len(exts) > 0 {
			d.SetFilter(storage.NewExtensionFileFilter(exts))
		}
		d.Show()
	}
}

// technical marks where a wrapped network error starts: what follows
// (an URL, a socket) means nothing to a receptionist and goes to the log.
var technical = []string{`: Post "`, `: Get "`, ": dial tcp ", ": read tcp ", ": write tcp "}

// ErrorText shows an error to a person: the app's messages are written
// for them; the package prefixes and a network error's details are for
// the log.
func ErrorText(err error) string {
	if err == nil {
		return ""
	}
	s := app.Plain(err)
	for _, t := range technical {
		if i := strings.Index(s, t); i > 0 {
			log.Printf("medihaven: %v", err)
			s = s[:i]
		}
	}
	if r := []rune(s); len(r) > 0 && r[0] >= 'a' && r[0] <= 'z' {
		r[0] -= 'a' - 'A'
		s = string(r)
	}
	return s
}

// Count says how many of a thing: "1 appointment", "3 appointments".
func Count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// Wrapped is a label that wraps words, at least dialogWidth wide.
func Wrapped(text string, imp widget.Importance) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	l.Importance = imp
	return l
}

// Tell shows a short message with an OK button; imp colours it (danger
// for a failure).
func (f Files) Tell(title, msg string, imp widget.Importance) {
	if imp == widget.SuccessImportance { // the text may hold a caution: not all green
		imp = widget.MediumImportance
	}
	f.showThenEnded(Notice{Title: title, Content: AtLeast(dialogWidth, 0, Wrapped(msg, imp)), Back: f.opener})
}

// Export is one export to a file: written in memory off the UI goroutine
// (so a failure leaves no half-written file), then offered to save.
type Export struct {
	Title string // the dialogs' title, e.g. "Export FHIR"
	File  string // the suggested file name
	// Busy, when set, is shown with a progress bar while Write runs.
	Busy string
	// Write writes the export and says how many things it holds.
	Write func(ctx context.Context, w io.Writer) (int, error)
	// Saved is the confirmation once the file is saved.
	Saved func(n int, where string) string
	// Button is disabled while the export runs; it may be nil.
	Button *widget.Button
}

// Export runs e: write, ask where to save, confirm.
func (f Files) Export(e Export) {
	f = f.from(e.Button)
	if e.Button != nil {
		e.Button.Disable()
	}
	var progress *dialog.ProgressInfiniteDialog
	if e.Busy != "" {
		progress = dialog.NewProgressInfinite(e.Title, e.Busy, f.Win)
		progress.Show()
	}
	var buf bytes.Buffer
	var n int
	var err error
	f.Run(func(ctx context.Context) { n, err = e.Write(ctx, &buf) }, func() {
		if progress != nil {
			progress.Hide()
		}
		if e.Button != nil {
			e.Button.Enable()
		}
		if err != nil {
			f.Tell(e.Title, "Nothing was exported.\n\n"+ErrorText(err), widget.DangerImportance)
			return
		}
		f.Save(e.File, buf.Bytes(), func(where string, err error) {
			switch {
			case err != nil:
				f.Tell(e.Title, "The file was not saved.\n\n"+ErrorText(err)+"\n\nChoose another folder and try again.", widget.DangerImportance)
			case where != "":
				f.Tell(e.Title, e.Saved(n, where), widget.SuccessImportance)
			}
		})
	})
}

// FHIRSaved is the confirmation of a FHIR export: what it holds, where it
// went, and that it is the record in clear.
func FHIRSaved(n int, where string) string {
	return fmt.Sprintf("%s exported to %s.\n\nThe file holds the records unencrypted: hand it only to whom it is meant for, and delete it once it has been sent.",
		Count(n, "FHIR resource", "FHIR resources"), where)
}

// ExportFHIR is the Export of a FHIR bundle of one patient (file named
// after the MRN) or, with patientID "", of the whole clinic.
func ExportFHIR(patientID, mrn string, btn *widget.Button, export func(ctx context.Context, w io.Writer, patientID string) (interop.FHIRExport, error)) Export {
	e := Export{Title: "Export FHIR", File: mrn + ".json", Button: btn, Saved: FHIRSaved,
		Write: func(ctx context.Context, w io.Writer) (int, error) {
			x, err := export(ctx, w, patientID)
			return x.Total, err
		}}
	if patientID == "" {
		e.Title, e.File, e.Busy = "Export clinic (FHIR)", "clinic-fhir.json", "Writing every record this workstation may read…"
	}
	return e
}

// ImportFHIR asks for a FHIR bundle (a patient transferring from another
// clinic), imports it off the UI goroutine and shows what was written, or
// the error naming the entry and field and that nothing was written. btn
// is disabled meanwhile; it may be nil.
func (f Files) ImportFHIR(btn *widget.Button, imp func(ctx context.Context, r io.Reader) (interop.FHIRImport, error)) {
	f = f.from(btn)
	f.openBundle(btn, func(name string, r io.ReadCloser) {
		var err error
		progress := dialog.NewProgressInfinite("Import transfer (FHIR)", "Checking and importing "+name+"…", f.Win)
		progress.Show()
		var got interop.FHIRImport
		f.Run(func(ctx context.Context) {
			defer r.Close()
			got, err = imp(ctx, r)
		}, func() {
			progress.Hide()
			if btn != nil {
				btn.Enable()
			}
			if err != nil {
				f.importFailed(name, err)
				return
			}
			f.imported(name, got)
		})
	})
}

// resourceOrder lists resource types the way a clinician reads a record.
var resourceOrder = []string{"Patient", "Practitioner", "Appointment", "Encounter", "Condition", "AllergyIntolerance",
	"MedicationRequest", "MedicationStatement", "Observation", "Composition", "AuditEvent"}

func resourceRank(t string) int {
	for i, x := range resourceOrder {
		if x == t {
			return i
		}
	}
	return len(resourceOrder)
}

// maxNotes is how many of an import's notes the summary lists.
const maxNotes = 6

// imported shows the summary of an import: counts per resource type, and
// the importer's notes.
func (f Files) imported(name string, got interop.FHIRImport) {
	head := widget.NewLabelWithStyle(fmt.Sprintf("%s imported from %s.", Count(got.Total, "resource", "resources"), name),
		fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	head.Wrapping = fyne.TextWrapWord
	head.Importance = widget.SuccessImportance
	types := make([]string, 0, len(got.Resources))
	for t := range got.Resources {
		types = append(types, t)
	}
	sort.Slice(types, func(i, j int) bool {
		ri, rj := resourceRank(types[i]), resourceRank(types[j])
		if ri != rj {
			return ri < rj
		}
		return types[i] < types[j]
	})
	// Two columns of "count  type", so a long list stays short.
	counts := container.NewGridWithColumns(2)
	for _, t := range types {
		counts.Add(container.NewBorder(nil, nil, AtLeast(48, 0,
			widget.NewLabelWithStyle(fmt.Sprint(got.Resources[t]), fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})), nil,
			widget.NewLabel(t)))
	}
	objs := []fyne.CanvasObject{head, counts}
	if len(got.Notes) > 0 {
		objs = append(objs, widget.NewSeparator(), widget.NewLabelWithStyle("Notes", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
		notes := got.Notes
		if len(notes) > maxNotes {
			notes = append(notes[:maxNotes:maxNotes], fmt.Sprintf("… and %d more.", len(got.Notes)-maxNotes))
		}
		for _, n := range notes {
			objs = append(objs, Wrapped("• "+n, widget.MediumImportance))
		}
	}
	objs = append(objs, Wrapped("The records are signed by you as the importer and reach the other workstations with the next sync.", widget.LowImportance))
	f.showThenEnded(Notice{Title: "Transfer imported", Content: AtLeast(dialogWidth, 0, container.NewVBox(objs...)), Back: f.opener})
}

// importFailed says why an import was refused, and that none of it was
// written.
func (f Files) importFailed(name string, err error) {
	msg := Wrapped(ErrorText(err), widget.DangerImportance)
	msg.TextStyle.Bold = true
	content := container.NewVBox(
		Wrapped(fmt.Sprintf("%s was not imported, and nothing of it was written.", name), widget.MediumImportance),
		msg,
		Wrapped("Ask the sending clinic for a corrected export, or fix the entry named above, then import the file again.", widget.LowImportance))
	f.showThenEnded(Notice{Title: "Nothing was imported", Close: "Close", Content: AtLeast(dialogWidth, 0, content), Back: f.opener})
}

// HandoutDialog is the patient copy dialog: it explains what will happen,
// works with a progress bar, then shows the CID and the passphrase once
// with the handout to save.
type HandoutDialog struct {
	f    Files
	who  string
	hand func(ctx context.Context) (interop.PatientCopy, error)

	d              *dialog.CustomDialog
	body           *fyne.Container
	start, save    *widget.Button
	cid, pass, msg *widget.Label
	pc             interop.PatientCopy
	saved          bool
}

// PatientCopy shows the patient copy dialog for who (the patient's name
// and MRN, as the screen shows them); hand makes the copy.
func (f Files) PatientCopy(who string, hand func(ctx context.Context) (interop.PatientCopy, error)) *HandoutDialog {
	h := &HandoutDialog{f: f, who: who, hand: hand}
	h.body = container.NewVBox()
	// Wide enough for a CID on one line.
	h.d = dialog.NewCustomWithoutButtons("Patient's own copy", AtLeast(dialogWidth+120, 0, h.body), f.Win)
	h.intro()
	h.d.Show()
	return h
}

// intro explains what will happen.
func (h *HandoutDialog) intro() {
	who := widget.NewLabelWithStyle(h.who, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	who.Wrapping = fyne.TextWrapWord
	h.body.Objects = []fyne.CanvasObject{who,
		Wrapped("The patient's record (a FHIR file and a readable PDF summary) will be encrypted with a new passphrase and placed "+
			"on the clinic's IPFS node, and you print a handout with its address and the passphrase.", widget.MediumImportance),
		Wrapped("With the handout the patient fetches and opens the copy with standard tools, even when the clinic is offline. "+
			"The passphrase is shown only once and is not kept; the handout is recorded in the audit log.", widget.LowImportance)}
	h.start = widget.NewButtonWithIcon("Make the copy", theme.ConfirmIcon(), h.begin)
	h.start.Importance = widget.HighImportance
	h.show(widget.NewButton("Cancel", h.d.Hide), h.start)
}

// show redraws the body under buttons.
func (h *HandoutDialog) show(buttons ...fyne.CanvasObject) {
	h.d.SetButtons(buttons)
	h.body.Refresh()
	h.d.Resize(h.d.MinSize())
}

// begin makes the copy off the UI goroutine.
func (h *HandoutDialog) begin() {
	bar := widget.NewProgressBarInfinite()
	h.body.Objects = []fyne.CanvasObject{
		widget.NewLabelWithStyle(h.who, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		Wrapped("Encrypting the record and placing it on the clinic's IPFS node…", widget.MediumImportance), bar}
	h.show()
	var pc interop.PatientCopy
	var err error
	h.f.Run(func(ctx context.Context) { pc, err = h.hand(ctx) }, func() {
		bar.Stop()
		if err != nil {
			h.failed(err)
			return
		}
		h.done(pc)
	})
}

// failed says in plain words why no copy was made.
func (h *HandoutDialog) failed(err error) {
	msg := Wrapped(ErrorText(err), widget.DangerImportance)
	msg.TextStyle.Bold = true
	h.body.Objects = []fyne.CanvasObject{
		widget.NewLabelWithStyle(h.who, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		Wrapped("No copy was made and nothing was handed out.", widget.MediumImportance), msg}
	h.msg = msg
	retry := widget.NewButtonWithIcon("Try again", theme.ViewRefreshIcon(), h.begin)
	h.show(widget.NewButton("Close", h.d.Hide), retry)
}

// big is a selectable monospace label in a large size.
func big(text string, size fyne.ThemeSizeName) *widget.Label {
	l := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	l.SizeName = size
	l.Wrapping = fyne.TextWrapBreak
	l.Selectable = true
	return l
}

// done shows the CID and the passphrase, once.
func (h *HandoutDialog) done(pc interop.PatientCopy) {
	h.pc = pc
	h.cid = big(pc.CID, theme.SizeNameText)
	h.pass = big(pc.Passphrase, theme.SizeNameHeadingText)
	bg := canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	bg.CornerRadius = theme.InputRadiusSize()
	bg.StrokeColor, bg.StrokeWidth = theme.Color(theme.ColorNameInputBorder), 1 // seen in the dark theme too
	pass := container.NewStack(bg, container.NewPadded(h.pass))
	h.msg = Wrapped("", widget.MediumImportance)
	h.msg.Hide()
	hint := Wrapped("Write the passphrase on the handout if you do not print it now: it is shown only this once and Medihaven does not keep it.",
		widget.WarningImportance)
	label := func(s string) *widget.Label { return Wrapped(s, widget.LowImportance) }
	h.body.Objects = []fyne.CanvasObject{
		widget.NewLabelWithStyle(h.who, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		Wrapped("The copy is on the clinic's IPFS node.", widget.SuccessImportance),
		label("Address (CID)"), h.cid, label("Passphrase"), pass, hint, h.msg}
	h.save = widget.NewButtonWithIcon("Save handout PDF…", theme.DocumentSaveIcon(), h.saveHandout)
	h.save.Importance = widget.HighImportance
	h.show(h.doneButton(), h.save)
}

// doneButton closes the dialog (finish); a question it asks gives it the
// keyboard back.
func (h *HandoutDialog) doneButton() *widget.Button {
	var done *widget.Button
	done = widget.NewButton("Done", func() { h.finish(done) })
	return done
}

// saveHandout offers the handout PDF to save (and print).
func (h *HandoutDialog) saveHandout() {
	name := "handout-" + h.pc.MRN + ".pdf"
	h.f.Save(name, h.pc.Handout, func(where string, err error) {
		switch {
		case err != nil:
			h.msg.Importance = widget.DangerImportance
			h.msg.SetText("The handout was not saved. " + ErrorText(err) + " Choose another folder and try again.")
		case where == "":
			return
		default:
			h.saved = true
			h.msg.Importance = widget.SuccessImportance
			h.msg.SetText("Handout saved to " + where + ": print it and give it to the patient.")
		}
		h.msg.Show()
		h.show(h.doneButton(), h.save)
	})
}

// finish closes the dialog, asking first while the passphrase exists
// nowhere else; back (Done) gets the keyboard when the question closes.
func (h *HandoutDialog) finish(back fyne.Focusable) {
	if h.saved {
		h.close()
		return
	}
	Confirm{Title: "Close without the handout?",
		Message: "The passphrase will not be shown again. Close only if you wrote it on the handout.",
		Yes:     "Close anyway", No: "Keep it open", Danger: true, Back: back,
		Answer: func(ok bool) {
			if ok {
				h.close()
			}
		}}.Show(h.f.Win)
}

// close hides the dialog and forgets the passphrase.
func (h *HandoutDialog) close() {
	h.pc.Passphrase = ""
	if h.pass != nil {
		h.pass.SetText("")
	}
	h.d.Hide()
}

// Copy is the copy made, for tests.
func (h *HandoutDialog) Copy() interop.PatientCopy { return h.pc }

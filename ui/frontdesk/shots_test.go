package frontdesk

import (
	"context"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/medihaven/medihaven/app"
	desk "github.com/medihaven/medihaven/app/frontdesk"
)

// TestScreenshots writes the states a tour of the shell does not reach
// (a form with problems, the booking from a record, the week view, the
// grid's off-grid and continuing rows) as PNGs to MEDIHAVEN_FRONTDESK_SHOTS,
// light and dark, at 1024x768 and 1280x800. Without it, it is skipped.
func TestScreenshots(t *testing.T) {
	out := os.Getenv("MEDIHAVEN_FRONTDESK_SHOTS")
	if out == "" {
		t.Skip("set MEDIHAVEN_FRONTDESK_SHOTS to a folder to write the screenshots")
	}
	for _, variant := range []string{"light", "dark"} {
		a := test.NewTempApp(t)
		a.Settings().SetTheme(map[string]fyne.Theme{"light": theme.LightTheme(), "dark": theme.DarkTheme()}[variant])
		recep, phys := clinic(t)
		ctx := context.Background()
		zone, _ := recep.ClinicZone(ctx)
		av, _ := recep.Availability(ctx, phys[0].Fingerprint)
		av.SlotMinutes = 20
		if err := recep.SetAvailability(ctx, av); err != nil {
			t.Fatal(err)
		}
		var first app.Patient
		for i, b := range []struct {
			family string
			h, m   int
		}{{"Booker", 9, 0}, {"Carlsen", 9, 15}, {"Dahl", 10, 20}, {"Eklund", 11, 0}} {
			p, err := recep.Register(ctx, app.Patient{Family: b.family, Given: "Test", Birth: "1970-07-07", Phone: "+46 8 555 0100"}, true)
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				first = p
			}
			for _, day := range []int{2, 3, 5} {
				start := time.Date(2026, 11, day, b.h, b.m, 0, 0, zone)
				if _, err := recep.Book(ctx, desk.Appointment{Patient: p.ID, Physician: phys[0].Fingerprint, Start: start, Minutes: 15, Reason: "Check-up"}); err != nil {
					t.Fatal(err)
				}
			}
		}
		shoot := func(w fyne.Window, name string) {
			for _, size := range []fyne.Size{{Width: 1024, Height: 768}, {Width: 1280, Height: 800}} {
				w.Resize(size)
				time.Sleep(100 * time.Millisecond)
				f, err := os.Create(filepath.Join(out, name+"-"+variant+"-"+sizeName(size)+".png"))
				if err != nil {
					t.Fatal(err)
				}
				if err := png.Encode(f, w.Canvas().Capture()); err != nil {
					t.Fatal(err)
				}
				f.Close()
			}
		}
		w := test.NewWindow(nil)
		s := newAppointments(inPlace(recep, w))
		w.SetContent(s.content())
		shoot(w, "grid")
		s.mode.SetSelected(weekView)
		shoot(w, "week")
		w.Close()

		w = test.NewWindow(nil)
		ps := newPatients(inPlace(recep, w))
		w.SetContent(ps.content())
		test.Tap(ps.newButton)
		typeInto(ps.form.entries["given"], "Märta")
		typeInto(ps.form.entries["birth"], "30/02/1984")
		test.Tap(ps.form.save)
		shoot(w, "form-problems")
		ps.form.open(first.ID)
		shoot(w, "record")
		test.Tap(ps.form.bookBtn)
		ps.form.quick.who.SetSelected(phys[0].Name)
		shoot(w, "book-from-record")
		w.Close()

		w = test.NewWindow(nil)
		ps = newPatients(inPlace(recep, w))
		w.SetContent(ps.content())
		typeInto(ps.query, "test") // the four patients
		w.Canvas().Focus(ps.box)
		ps.box.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
		ps.list.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
		shoot(w, "search-keyboard") // the second result marked
		w.Close()

		// The preview of a transfer in the desk may import, and a real
		// Synthea bundle, which only a physician may (refused up front).
		for name, bundle := range map[string]string{"import-preview": deskBundle, "import-refused": ""} {
			w = test.NewWindow(nil)
			e := inPlace(recep, w)
			e.open = func(_ []string, done func(string, io.ReadCloser, error)) {
				if bundle != "" {
					done("transfer.json", io.NopCloser(strings.NewReader(bundle)), nil)
					return
				}
				f, err := os.Open(filepath.Join("..", "..", "app", "interop", "testdata", "synthea", "gerlach374-2023.json"))
				done("gerlach374-2023.json", f, err)
			}
			ps = newPatients(e)
			w.SetContent(ps.content())
			test.Tap(ps.importBtn)
			shoot(w, name)
			w.Close()
		}
	}
}

// deskBundle is a transfer a receptionist may import: the patient, and
// the billing the clinic does not keep.
const deskBundle = `{"resourceType":"Bundle","type":"collection","entry":[
{"fullUrl":"urn:uuid:6f1c2b1e-0d7a-4c1e-9a57-0c1f3e2b9d01","resource":{"resourceType":"Patient","name":[{"family":"Lindqvist","given":["Märta"]}],"gender":"female","birthDate":"1984-02-27"}},
{"resource":{"resourceType":"Claim","status":"active","patient":{"reference":"urn:uuid:6f1c2b1e-0d7a-4c1e-9a57-0c1f3e2b9d01"}}},
{"resource":{"resourceType":"Claim","status":"active","patient":{"reference":"urn:uuid:6f1c2b1e-0d7a-4c1e-9a57-0c1f3e2b9d01"}}},
{"resource":{"resourceType":"ExplanationOfBenefit","status":"active","patient":{"reference":"urn:uuid:6f1c2b1e-0d7a-4c1e-9a57-0c1f3e2b9d01"}}}]}`

func sizeName(s fyne.Size) string {
	return map[float32]string{1024: "1024x768", 1280: "1280x800"}[s.Width]
}

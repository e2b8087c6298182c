package main

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/app/cli"
	"github.com/medihaven/medihaven/app/frontdesk"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/synctest"
	"github.com/medihaven/medihaven/ui"
)

// TestClinicAdoptedThroughTheWindow walks issue 16's path through what
// the window calls (ui.Founding, implemented in firstrun.go) with the
// clinic's real servers as `medihaven server run` runs them on loopback:
// the administrator creates the clinic on those servers, issues tokens
// and leaves their short codes at the join desk; a receptionist and a
// physician join with the codes on workstations of their own, wait, and
// are approved with the code their screens show; the receptionist sets the
// physician's hours, registers a patient and books; the physician's
// calendar shows the appointment. Each workstation's profile names its
// person for the login screen.
func TestClinicAdoptedThroughTheWindow(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the clinic's servers")
	}
	bin, err := synctest.IPFSBinary()
	if err != nil {
		t.Skip(err)
	}
	ctx := context.Background()
	root := t.TempDir()
	ports := synctest.FreePorts(t, 3)
	servers, err := app.StartLocalServers(ctx, app.LocalSetup{Dir: filepath.Join(root, "server"), Domain: "clinic.test",
		XMPPPort: ports[0], APIPort: ports[1], DeskPort: ports[2], IPFSBin: bin})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(servers.Stop)

	const pass = "correct horse battery staple"
	workstation := func(name string) backend {
		return backend{g: cli.Global{Profile: filepath.Join(root, name), Keystore: app.KeystoreFile}, servers: new(localServers)}
	}
	open := func(s ui.Session) *app.Session {
		t.Helper()
		t.Cleanup(func() { s.Close() })
		switch x := s.(type) {
		case syncedSession:
			return x.Session
		case *app.Session:
			t.Fatal("the workstation does not sync with the clinic's servers")
		}
		t.Fatalf("unexpected session %T", s)
		return nil
	}

	s, err := workstation("admin").CreateClinic(ctx, ui.NewClinic{Clinic: "Riverside Family Practice", Zone: "Europe/London",
		Admin: "Alex Morgan", Passphrase: []byte(pass), Servers: ui.UseServersHere, ServerDir: servers.Dir})
	if err != nil {
		t.Fatalf("Create a clinic on the servers: %v", err)
	}
	admin := open(s)

	join := func(name, folder string, role roles.Role) *app.Session {
		t.Helper()
		tok, err := admin.IssueToken(ctx, role, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		code, err := admin.Deposit(ctx, tok)
		if err != nil {
			t.Fatalf("Deposit: %v", err)
		}
		j, err := workstation(folder).Join(ctx, ui.JoinRequest{Token: code, Name: name, Passphrase: []byte(pass)})
		if err != nil {
			t.Fatalf("Join as %s with %s: %v", name, code, err)
		}
		if len(j.Code()) != 7 {
			t.Fatalf("the waiting screen's code is %q", j.Code())
		}
		var fp string
		apptest.WaitFor(t, name+" in the administrator's waiting list", 60*time.Second, func() bool {
			w, _ := admin.Waiting(ctx)
			for _, x := range w {
				if x.Name == name {
					fp = x.Fingerprint
				}
			}
			return fp != ""
		})
		if err := admin.Approve(ctx, fp, j.Code()); err != nil {
			t.Fatalf("Approve %s: %v", name, err)
		}
		apptest.WaitFor(t, name+" approved on their own workstation", 90*time.Second, func() bool {
			ok, refused, _ := j.Status(ctx)
			if refused != "" {
				t.Fatalf("%s refused: %s", name, refused)
			}
			return ok
		})
		return open(j.Session())
	}
	recep := join("Rosa Delgado", "reception", roles.Receptionist)
	phys := join("Dr. Amara Okafor", "physician", roles.Physician)
	// They meet and confirm each other in person, as every newcomer at
	// the front desk does before its key passes between them.
	for _, s := range []*app.Session{recep, phys} {
		apptest.WaitFor(t, s.StaffName()+" sees her colleague", 60*time.Second, func() bool {
			cs, err := s.Colleagues()
			return err == nil && len(cs) == 1
		})
	}
	if err := app.ConfirmEachOther(ctx, recep, phys); err != nil {
		t.Fatal(err)
	}

	desk := frontdesk.New(recep.Core())
	physFP := phys.Fingerprint()
	apptest.WaitFor(t, "the physician's hours set at the front desk", 90*time.Second, func() bool {
		return desk.SetAvailability(ctx, apptest.Week(physFP)) == nil
	})
	p, err := desk.Register(ctx, app.Patient{Family: "Booker", Given: "Bea", Birth: "1970-07-07", Phone: "030 5550 7777"}, false)
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	day := time.Now().AddDate(0, 0, 1)
	for day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
		day = day.AddDate(0, 0, 1)
	}
	zone, err := recep.ClinicZone(ctx)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(day.Year(), day.Month(), day.Day(), 9, 0, 0, 0, zone)
	a, err := desk.Book(ctx, frontdesk.Appointment{Patient: p.ID, Physician: physFP, Start: start, Minutes: 15, Reason: "Check-up"})
	if err != nil {
		t.Fatalf("Book: %v", err)
	}
	calendar := frontdesk.New(phys.Core())
	apptest.WaitFor(t, "the appointment in the physician's calendar", 90*time.Second, func() bool {
		as, err := calendar.Calendar(ctx, physFP, start)
		return err == nil && slices.ContainsFunc(as, func(x frontdesk.Appointment) bool { return x.ID == a.ID })
	})

	for folder, want := range map[string]string{"admin": "Alex Morgan", "reception": "Rosa Delgado", "physician": "Dr. Amara Okafor"} {
		if p, err := app.ReadProfile(filepath.Join(root, folder)); err != nil || p.Staff != want {
			t.Errorf("%s's profile names %q (%v), want %q", folder, p.Staff, err, want)
		}
	}
}

package cli

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/app/prescribing"
	"github.com/medihaven/medihaven/roles"
)

// Demo staff: one of every role, and two physicians.
var demoStaff = []struct {
	dir  string
	name string
	role roles.Role
}{
	{"reception", "Rosa Delgado", roles.Receptionist},
	{"physician", "Dr. Amara Okafor", roles.Physician},
	{"physician2", "Dr. Jonas Lindqvist", roles.Physician},
}

// demoPatient draws one demo patient. demoGiven alternates female and male
// names, so a patient's recorded sex matches her given name (a physician
// reading "Emma · male" stops trusting the demo).
func demoPatient(rng *rand.Rand) app.Patient {
	g := rng.IntN(len(demoGiven))
	return app.Patient{
		Given: demoGiven[g], Family: demoFamily[rng.IntN(len(demoFamily))],
		Birth: time.Date(1935+rng.IntN(85), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC).Format("2006-01-02"),
		Sex:   []string{"female", "male"}[g%2], Phone: fmt.Sprintf("+1 555 %03d %04d", rng.IntN(1000), rng.IntN(10000)),
	}
}

var (
	// Female and male given names alternate (demoPatient).
	demoGiven  = []string{"Olivia", "Liam", "Emma", "Noah", "Ava", "Elijah", "Sophia", "Mateo", "Isabella", "Lucas", "Mia", "Levi", "Amelia", "Ezra", "Harper", "Asher", "Evelyn", "Leo", "Luna", "Kai", "Zoe", "Omar", "Priya", "Chen", "Fatima", "Ivan", "Aiko", "Kofi", "Ingrid", "Tomás", "Yara", "Ravi", "Nadia", "Hugo", "Leila", "Mikael", "Sara", "Diego", "Hana", "Felix"}
	demoFamily = []string{"Smith", "Johnson", "Garcia", "Brown", "Martinez", "Nguyen", "Kim", "Patel", "Müller", "Rossi", "Kowalski", "Okafor", "Haddad", "Silva", "Andersen", "Dubois", "Novak", "Tanaka", "Ivanova", "O'Brien", "Fischer", "Moreau", "Costa", "Jensen", "Yilmaz", "Khan", "Santos", "Schmidt", "Lopez", "Wright", "Hughes", "Kaur", "Nakamura", "Petrov", "Hoffmann", "Bianchi", "Larsen", "Mendes", "Abebe", "Ferreira"}
	demoDrugs  = []string{"Amoxicillin 500 mg", "Lisinopril 10 mg", "Metformin 500 mg", "Atorvastatin 20 mg", "Ibuprofen 400 mg", "Omeprazole 20 mg", "Salbutamol 100 mcg"}
	demoVisits = []string{"Follow-up", "Annual check-up", "Cough and fever", "Blood pressure review", "Back pain", "Vaccination", "Medication review"}
)

// DemoClinic is the demo clinic as the seeders of each domain see it,
// after staff and patients exist.
type DemoClinic struct {
	Admin, Reception *app.Session
	Physicians       []*app.Session
	Rand             *rand.Rand
	Patients         int       // how many patients were asked for
	VisitDay         time.Time // the day the demo's visits are booked (today, or Monday at a weekend)
	// Visits are the patients to see on VisitDay, with whom and why; the
	// front desk's seeder books them into their physician's free slots.
	Visits []DemoVisit
	// Clock is every demo session's clock: a seeder sets it to the time a
	// past event of today happened (a patient's arrival at 08:03, her
	// visit), then back to now.
	Clock *DemoClock
}

// DemoClock is the demo's clock: the real time unless a seeder set it.
type DemoClock struct {
	mu   sync.Mutex
	real func() time.Time
	at   time.Time
}

// Now is the set time, or the real one.
func (c *DemoClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at.IsZero() {
		return c.real()
	}
	return c.at
}

// At makes the demo's time t until At is called again; the zero time is
// the real time again.
func (c *DemoClock) At(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at = t
}

// DemoVisit is a visit the demo books on its visit day.
type DemoVisit struct{ Patient, Physician, Reason string }

// demoSeeders add each domain's demo data (vitals, chat...): a file per
// domain appends to it in an init function, so domains do not edit one
// another's code. They run in file-name order, after the clinic's time
// zone (seedClinicZone) and the front desk's (seedFrontDesk: hours and
// bookings, which the others read) and a sync that brings those to every
// workstation; then every workstation syncs again.
var demoSeeders []func(context.Context, DemoClinic) error

func cmdDemo(ctx context.Context, env app.Env, g Global, args []string, io IO) error {
	fs := newFlags("demo")
	patients := fs.Int("patients", 200, "how many synthetic patients")
	seed := fs.Uint64("seed", 1, "random seed (same seed, same clinic)")
	ipfsAddr := fs.String("ipfs", "", "clinic Kubo API address")
	xmppAddr := fs.String("xmpp", "", "clinic XMPP server host:port")
	domain := fs.String("domain", "", "clinic XMPP domain")
	certFile := fs.String("xmpp-cert", "", "PEM file of the XMPP server's self-signed certificate, to pin")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *patients < 0 || *patients > 200000 {
		return fmt.Errorf("%w: --patients must be between 0 and 200000", ErrUsage)
	}
	servers := app.Servers{IPFS: *ipfsAddr, XMPP: *xmppAddr, Domain: *domain}
	if *certFile != "" {
		pem, err := os.ReadFile(*certFile)
		if err != nil {
			return fmt.Errorf("--xmpp-cert: %w", err)
		}
		// A demo clinic on loopback creates its XMPP accounts itself.
		servers.XMPPCert, servers.OpenRegistration = string(pem), true
	}
	pass, err := passphrase(io)
	if err != nil {
		return err
	}
	start := time.Now()
	clock := &DemoClock{real: env.Now}
	if clock.real == nil {
		clock.real = time.Now
	}
	env.Now = clock.Now
	admin, err := app.CreateClinic(ctx, env, app.NewClinic{Dir: filepath.Join(g.Profile, "admin"), Clinic: "Riverside Family Practice",
		Admin: "Alex Morgan", Passphrase: pass, Keystore: g.Keystore,
		Servers: servers})
	if err != nil {
		return err
	}
	sessions := []*app.Session{admin}
	defer func() {
		for _, s := range sessions {
			s.Close()
		}
	}()
	for _, st := range demoStaff {
		t, err := admin.IssueToken(ctx, st.role, time.Hour)
		if err != nil {
			return err
		}
		s, err := app.Redeem(ctx, env, app.Redemption{Dir: filepath.Join(g.Profile, st.dir), Token: t.String(), Name: st.name,
			Passphrase: pass, Keystore: g.Keystore})
		if err != nil {
			return err
		}
		if err := s.SetServers(servers); err != nil {
			return err
		}
		sessions = append(sessions, s)
	}
	if err := app.SyncLocal(ctx, sessions...); err != nil {
		return err
	}
	// The demo's receptionist and physicians met and confirmed each other,
	// as colleagues do before the keys of patients' records pass between
	// them (the front desk's to the receptionist, both to the physicians).
	for i, a := range sessions[1:] {
		for _, b := range sessions[2+i:] {
			if err := app.ConfirmEachOther(ctx, a, b); err != nil {
				return err
			}
		}
	}
	if err := app.SyncLocal(ctx, sessions...); err != nil {
		return err
	}
	for _, s := range sessions { // the login screen names each workstation's person
		if err := s.NoteStaffName(); err != nil {
			return err
		}
	}
	reception, phys := sessions[1], sessions[2]
	var physicians []string
	for _, s := range sessions[2:] {
		physicians = append(physicians, s.Fingerprint())
	}
	rng := rand.New(rand.NewPCG(*seed, 42))
	// Today's visits, or the next working day's on a weekend.
	day := time.Now().Truncate(24 * time.Hour)
	for day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
		day = day.AddDate(0, 0, 1)
	}
	day = day.Add(8 * time.Hour)
	// Patients are registered a thousand at a time; the visits and notes
	// drawn for them are written once their batch is registered. The
	// random draws keep their order, so a seed always gives one clinic.
	type extra struct {
		i      int
		reason string // a visit today, for the first 60
		drug   string // a note and a prescription, for every tenth
	}
	const batchSize = 1000
	batch := make([]app.Patient, 0, batchSize)
	var extras []extra
	var visits []DemoVisit
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		ps, err := reception.RegisterPatients(ctx, batch)
		if err != nil {
			return err
		}
		first := extras[0].i - extras[0].i%batchSize
		if err := app.SyncLocal(ctx, reception, phys); err != nil {
			return err
		}
		for _, x := range extras {
			p := ps[x.i-first]
			if x.reason != "" {
				visits = append(visits, DemoVisit{Patient: p.ID, Physician: physicians[x.i%len(physicians)], Reason: x.reason})
			}
			// Clinical notes for the first patients only: a demo of 100,000
			// patients needs its charts, not 10,000 of them.
			if x.drug != "" && x.i < 2000 {
				if _, err := chart.New(phys.Core()).WriteNote(ctx, chart.Note{Patient: p.ID, Subjective: "Feels well overall.",
					Objective: "BP 128/82, pulse 72.", Assessment: "Stable.", Plan: "Review in 6 months."}); err != nil {
					return err
				}
				if _, err := prescribing.New(phys.Core()).Prescribe(ctx, prescribing.Prescription{Patient: p.ID, Drug: x.drug,
					Dose: "1 tablet", Frequency: "twice daily", Days: 7}); err != nil {
					return err
				}
			}
		}
		batch, extras = batch[:0], extras[:0]
		return nil
	}
	for i := 0; i < *patients; i++ {
		batch = append(batch, demoPatient(rng))
		x := extra{i: i}
		if i < 60 {
			x.reason = demoVisits[rng.IntN(len(demoVisits))]
		}
		if i%10 == 0 {
			x.drug = demoDrugs[rng.IntN(len(demoDrugs))]
		}
		extras = append(extras, x)
		if len(batch) == batchSize {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if err := app.SyncLocal(ctx, sessions...); err != nil {
		return err
	}
	dc := DemoClinic{Admin: admin, Reception: reception, Physicians: sessions[2:], Rand: rng, Patients: *patients, VisitDay: day, Visits: visits, Clock: clock}
	for _, seed := range []func(context.Context, DemoClinic) error{seedClinicZone, seedFrontDesk} {
		if err := seed(ctx, dc); err != nil {
			return err
		}
	}
	// The physicians' workstations see the day's bookings before the
	// clinical seeders chart the booked patients.
	if err := app.SyncLocal(ctx, sessions...); err != nil {
		return err
	}
	for _, seed := range demoSeeders {
		if err := seed(ctx, dc); err != nil {
			return err
		}
	}
	if err := app.SyncLocal(ctx, sessions...); err != nil {
		return err
	}
	fmt.Fprintf(io.Stdout, "Demo clinic %q with %d patients in %s (%s):\n", admin.Clinic(), *patients, g.Profile, time.Since(start).Round(time.Millisecond))
	for _, s := range sessions {
		fmt.Fprintf(io.Stdout, "  %-22s %-13s --profile %s\n", s.StaffName(), s.Role(), s.Profile().Dir)
	}
	return nil
}

package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
)

// The demo's names (app/cli/demo.go): 40 family names and 40 given names,
// so at 100,000 patients each family name is shared by 2,500 of them and
// each family+given pair by about 60, as names repeat in a real town.
var (
	given   = []string{"Olivia", "Liam", "Emma", "Noah", "Ava", "Elijah", "Sophia", "Mateo", "Isabella", "Lucas", "Mia", "Levi", "Amelia", "Ezra", "Harper", "Asher", "Evelyn", "Leo", "Luna", "Kai", "Zoe", "Omar", "Priya", "Chen", "Fatima", "Ivan", "Aiko", "Kofi", "Ingrid", "Tomás", "Yara", "Ravi", "Nadia", "Hugo", "Leila", "Mikael", "Sara", "Diego", "Hana", "Felix"}
	family  = []string{"Smith", "Johnson", "Garcia", "Brown", "Martinez", "Nguyen", "Kim", "Patel", "Müller", "Rossi", "Kowalski", "Okafor", "Haddad", "Silva", "Andersen", "Dubois", "Novak", "Tanaka", "Ivanova", "O'Brien", "Fischer", "Moreau", "Costa", "Jensen", "Yilmaz", "Khan", "Santos", "Schmidt", "Lopez", "Wright", "Hughes", "Kaur", "Nakamura", "Petrov", "Hoffmann", "Bianchi", "Larsen", "Mendes", "Abebe", "Ferreira"}
	reasons = []string{"Follow-up", "Annual check-up", "Cough and fever", "Blood pressure review", "Back pain", "Vaccination", "Medication review"}
)

// applyProfile names the file for a CPU profile of the newcomer's apply
// alone (flag -applyprofile): the seeding before it is left out.
var applyProfile string

// applyTrace names the file for an execution trace of the newcomer's apply
// alone (flag -applytrace): where its wall time goes, goroutine by
// goroutine (go tool trace).
var applyTrace string

// applyMemProfile names the files for heap profiles taken just before
// and just after the newcomer's apply (flag -applymemprofile: NAME.before
// and NAME): pprof -sample_index=alloc_space -diff_base NAME.before NAME
// shows what the apply allocated.
var applyMemProfile string

// keepDir names the folder where -keep writes what the newcomer's apply
// needs, to run it again with -replay (replay.go).
var keepDir string

// seedBatch is how many events the seeding appends per transaction (flag
// -batch).
var seedBatch = 10000

func main() {
	flag.IntVar(&seedBatch, "batch", seedBatch, "events appended per transaction while seeding")
	patients := flag.Int("patients", 100000, "patients to register")
	visits := flag.Int("visits", 9, "appointments per patient over ten years")
	rounds := flag.Int("rounds", 300, "searches per measure")
	dir := flag.String("dir", "", "folder for the profiles (default: a temporary one, removed)")
	cpu := flag.String("cpuprofile", "", "write a CPU profile to this file")
	joins := flag.Bool("join", true, "measure a newcomer's apply and a catch-up too")
	flag.StringVar(&applyProfile, "applyprofile", "", "write a CPU profile of the newcomer's apply alone to this file")
	flag.StringVar(&applyTrace, "applytrace", "", "write an execution trace of the newcomer's apply alone to this file")
	flag.StringVar(&applyMemProfile, "applymemprofile", "", "write heap profiles before (NAME.before) and after (NAME) the newcomer's apply")
	flag.StringVar(&keepDir, "keep", "", "write the newcomer's profile, keys and envelopes to this folder, to run its apply again with -replay")
	replay := flag.String("replay", "", "run only the newcomer's apply that -keep wrote to this folder")
	sum := flag.String("sum", "", "with -replay: print digests of what a replay into this folder (its -dir) stored, instead of replaying (sum.go)")
	flag.BoolVar(&upkeepGrants, "upkeep", false, "the physician's workstation grants the newcomer the front desk too, as upkeep does (its short chain brings the key before the receptionist's records); default: only the receptionist's, at the end of its chain")
	flag.BoolVar(&replaySteps, "applysteps", false, "with -replay: print each Apply's wall time and the applying goroutine's CPU to stderr")
	flag.BoolVar(&replaySeal, "seal", false, "with -replay: seal the store as the app does (the rows' marks: sync/store/sealrows.go)")
	flag.IntVar(&replayChunk, "apply", 0, "with -replay: envelopes handed to each Apply (0: the chunks as kept, 5,000 each)")
	flag.Parse()
	if *cpu != "" {
		f, err := os.Create(*cpu)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchscale:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	do := func() error { return run(context.Background(), *patients, *visits, *rounds, *dir, *joins) }
	if *replay != "" {
		do = func() error { return replayIn(context.Background(), *replay, *dir) }
		if *sum != "" {
			do = func() error { return replaySum(context.Background(), *replay, *sum) }
		}
	}
	if err := do(); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "benchscale:", err)
		os.Exit(1)
	}
}

// ws is one workstation: a replica on its own profile database.
type ws struct {
	r    *replica.Replica
	p    replica.Params
	db   *store.DB
	path string
}

func open(ctx context.Context, dir, name string, id *crypto.Identity, clinic string, anchors ...string) (*ws, error) {
	path := filepath.Join(dir, name+".db")
	db, err := store.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	dk, err := crypto.NewDeviceKey()
	if err != nil {
		return nil, err
	}
	p := replica.Params{DB: db, Device: crypto.NewEventID(), Identity: id, DeviceKey: dk, Clinic: clinic,
		Anchors: anchors, Index: records.IndexTerms}
	r, err := replica.Open(ctx, p)
	if err != nil {
		return nil, err
	}
	if _, err := r.PublishKey(ctx); err != nil {
		return nil, err
	}
	return &ws{r: r, p: p, db: db, path: path}, nil
}

// send applies the envelopes of from's own chain that to lacks, in
// chunks as a catch-up does, and returns how many and how long.
func send(ctx context.Context, from, to *ws) (int, time.Duration, error) {
	var seq uint64
	heads, err := to.r.Heads(ctx)
	if err != nil {
		return 0, 0, err
	}
	for _, h := range heads {
		if h.Device == from.r.Device() {
			seq = h.Seq
		}
	}
	start, n := time.Now(), 0
	for {
		raws, err := from.r.EnvelopesAfter(ctx, from.r.Device(), seq, 5000)
		if err != nil || len(raws) == 0 {
			return n, time.Since(start), err
		}
		if _, err := to.r.Apply(ctx, raws); err != nil {
			return n, time.Since(start), err
		}
		n += len(raws)
		seq += uint64(len(raws))
	}
}

func exchange(ctx context.Context, all ...*ws) error {
	for _, a := range all {
		for _, b := range all {
			if a != b {
				if _, _, err := send(ctx, a, b); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func member(ctx context.Context, by *ws, fp, name string, role roles.Role) error {
	f, err := replica.F(map[string]any{"name": name, "role": role, "status": replica.StatusActive})
	if err != nil {
		return err
	}
	_, err = by.r.Append(ctx, replica.Change{Entity: fp, Kind: replica.KindMember, Scope: roles.Directory, Fields: f})
	return err
}

func grant(ctx context.Context, by *ws, scope roles.Scope, to string) error {
	k, ok := by.r.Key(scope)
	if !ok {
		return fmt.Errorf("no %s key to grant", scope)
	}
	_, err := by.r.Grant(ctx, k, to)
	return err
}

// clinic is an administrator, a receptionist, a physician, and a newcomer
// receptionist admitted after the seeding.
type clinic struct {
	admin, desk, doc *ws
	deskID, newID    *crypto.Identity
	id               string
}

var names = []string{"Alex Morgan", "Rosa Delgado", "Dr. Amara Okafor", "Nia Newcomer"}

func newClinic(ctx context.Context, dir string) (*clinic, error) {
	ids := make([]*crypto.Identity, 4)
	for i, n := range names {
		id, err := crypto.GenerateIdentity(n)
		if err != nil {
			return nil, err
		}
		ids[i] = id
	}
	c := &clinic{id: ids[0].Fingerprint()[:32], deskID: ids[1], newID: ids[3]}
	var err error
	if c.admin, err = open(ctx, dir, "admin", ids[0], c.id); err != nil {
		return nil, err
	}
	for _, s := range []roles.Scope{roles.Directory, roles.Admin} {
		if _, err := c.admin.r.NewEpoch(ctx, s); err != nil {
			return nil, err
		}
	}
	if err := member(ctx, c.admin, ids[0].Fingerprint(), "Alex Morgan", roles.Administrator); err != nil {
		return nil, err
	}
	if c.desk, err = open(ctx, dir, "reception", ids[1], c.id, ids[0].Fingerprint()); err != nil {
		return nil, err
	}
	if c.doc, err = open(ctx, dir, "physician", ids[2], c.id, ids[0].Fingerprint()); err != nil {
		return nil, err
	}
	if err := exchange(ctx, c.admin, c.desk, c.doc); err != nil {
		return nil, err
	}
	for i, role := range []roles.Role{roles.Receptionist, roles.Physician} {
		if err := member(ctx, c.admin, ids[i+1].Fingerprint(), names[i+1], role); err != nil {
			return nil, err
		}
		if err := grant(ctx, c.admin, roles.Directory, ids[i+1].Fingerprint()); err != nil {
			return nil, err
		}
	}
	if err := exchange(ctx, c.admin, c.desk, c.doc); err != nil {
		return nil, err
	}
	for _, s := range []roles.Scope{roles.FrontDesk, roles.Clinical} {
		if _, err := c.doc.r.NewEpoch(ctx, s); err != nil {
			return nil, err
		}
	}
	// The receptionist and the physician confirmed each other in person,
	// as a clinic's front desk does before its key passes between them.
	if err := c.doc.r.Confirm(ctx, ids[1].Fingerprint()); err != nil {
		return nil, err
	}
	if err := c.desk.r.Confirm(ctx, ids[2].Fingerprint()); err != nil {
		return nil, err
	}
	if err := grant(ctx, c.doc, roles.FrontDesk, ids[1].Fingerprint()); err != nil {
		return nil, err
	}
	return c, exchange(ctx, c.admin, c.desk, c.doc)
}

// seed registers n patients and books visits appointments for each over
// ten years, seedBatch events per transaction; it returns the
// events written.
func seed(ctx context.Context, c *clinic, n, visits int, rng *rand.Rand) (int, error) {
	physician := c.doc.r.Fingerprint()
	decade := time.Now().AddDate(-10, 0, 0).Truncate(24 * time.Hour)
	events := 0
	b := c.desk.r.Batch()
	flush := func() error {
		if b.Len() == 0 {
			return nil
		}
		envs, err := b.Commit(ctx)
		events += len(envs)
		b = c.desk.r.Batch()
		return err
	}
	for i := range n {
		p := records.Patient{MRN: fmt.Sprintf("MH%07d", i+1),
			Family: family[rng.IntN(len(family))], Given: given[rng.IntN(len(given))],
			Birth: time.Date(1935+rng.IntN(85), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC).Format("2006-01-02"),
			Sex:   []string{"female", "male"}[rng.IntN(2)], Phone: fmt.Sprintf("+1 555 %03d %04d", rng.IntN(1000), rng.IntN(10000))}
		p = records.NewPatientID(p) // bound to its MRN, as the desk registers
		f, err := p.Fields()
		if err != nil {
			return events, err
		}
		b.Append(replica.Change{Entity: p.ID, Kind: records.KindPatient, Scope: roles.FrontDesk, Fields: f})
		for range visits {
			start := decade.Add(time.Duration(rng.IntN(3650*24*4)) * 15 * time.Minute)
			a, err := records.NewBookingID(records.Appointment{Patient: p.ID, Physician: physician, Start: start, Minutes: 15,
				Reason: reasons[rng.IntN(len(reasons))], Status: "booked"}) // bound to its patient, as the desk books
			if err != nil {
				return events, err
			}
			f, err := a.Fields()
			if err != nil {
				return events, err
			}
			b.Append(replica.Change{Entity: a.ID, Kind: records.KindAppointment, Scope: roles.FrontDesk, Fields: f})
		}
		if b.Len() >= seedBatch {
			if err := flush(); err != nil {
				return events, err
			}
		}
	}
	return events, flush()
}

// admit admits and grants the newcomer on the clinic's workstations, as
// their upkeep does when its request arrives.
func admit(ctx context.Context, c *clinic, newcomer *ws) error {
	for _, to := range []*ws{c.admin, c.desk} {
		if _, _, err := send(ctx, newcomer, to); err != nil {
			return err
		}
	}
	if err := member(ctx, c.admin, c.newID.Fingerprint(), names[3], roles.Receptionist); err != nil {
		return err
	}
	if err := grant(ctx, c.admin, roles.Directory, c.newID.Fingerprint()); err != nil {
		return err
	}
	if _, _, err := send(ctx, c.admin, c.desk); err != nil {
		return err
	}
	// The receptionist and the newcomer met in person: each confirms the
	// other (a key is taken only from a colleague confirmed, and the
	// newcomer's confirmation needs the directory key, in the
	// administrator's chain); the receptionist then grants, as upkeep
	// does once both confirmed.
	if _, _, err := send(ctx, c.admin, newcomer); err != nil {
		return err
	}
	if err := c.desk.r.Confirm(ctx, c.newID.Fingerprint()); err != nil {
		return err
	}
	if err := newcomer.r.Confirm(ctx, c.deskID.Fingerprint()); err != nil {
		return err
	}
	if upkeepGrants {
		if err := upkeepGrant(ctx, c, newcomer); err != nil {
			return err
		}
	}
	return grant(ctx, c.desk, roles.FrontDesk, c.newID.Fingerprint())
}

// upkeepGrants: the physician's workstation grants the newcomer the front
// desk too (flag -upkeep, MEDIHAVEN_BENCH_GRANTS=upkeep).
var upkeepGrants bool

// upkeepGrant has the physician's workstation grant the newcomer the front
// desk, as every workstation that holds it does in upkeep
// (app.Session.Maintain) once the two confirmed each other: the
// physician's short chain brings the key before the receptionist's long
// one (the sync's lanes of shorter chains go first), so the newcomer opens
// each record as it arrives instead of keeping it sealed until the
// receptionist's grant.
func upkeepGrant(ctx context.Context, c *clinic, newcomer *ws) error {
	for _, from := range []*ws{newcomer, c.admin} {
		if _, _, err := send(ctx, from, c.doc); err != nil {
			return err
		}
	}
	if err := c.doc.r.Confirm(ctx, c.newID.Fingerprint()); err != nil {
		return err
	}
	if err := newcomer.r.Confirm(ctx, c.doc.r.Fingerprint()); err != nil {
		return err
	}
	return grant(ctx, c.doc, roles.FrontDesk, c.newID.Fingerprint())
}

// reindexed opens w's replica again as an upgraded profile is opened once
// (store 0007 asks for its patients to be indexed again) and returns how
// long that took.
func reindexed(ctx context.Context, w *ws) (time.Duration, error) {
	err := w.db.Update(ctx, func(tx *store.Tx) error {
		return tx.SetMeta(ctx, store.MetaReindex, []byte(records.KindPatient))
	})
	if err != nil {
		return 0, err
	}
	start := time.Now()
	r, err := replica.Open(ctx, w.p)
	if err != nil {
		return 0, err
	}
	w.r = r
	return time.Since(start), nil
}

// percentiles returns p50 and p99 of ds.
func percentiles(ds []time.Duration) (time.Duration, time.Duration) {
	slices.Sort(ds)
	return ds[len(ds)/2], ds[len(ds)*99/100]
}

func search(ctx context.Context, s *ws, rounds int, query func(*rand.Rand) string) (p50, p99 time.Duration, found int, err error) {
	rng := rand.New(rand.NewPCG(7, 7))
	ds := make([]time.Duration, 0, rounds)
	for range rounds {
		terms := records.QueryTerms(query(rng))
		start := time.Now()
		got, _, err := s.r.Find(ctx, roles.FrontDesk, "", 50, terms...)
		if err != nil {
			return 0, 0, 0, err
		}
		ds = append(ds, time.Since(start))
		found += len(got)
	}
	p50, p99 = percentiles(ds)
	return p50, p99, found / rounds, nil
}

// rssKB returns this process's resident memory now and at its peak, in KB.
func rssKB() (now, peak int) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		fmt.Sscanf(line, "VmRSS: %d kB", &now)  //nolint:errcheck // other lines do not match
		fmt.Sscanf(line, "VmHWM: %d kB", &peak) //nolint:errcheck
	}
	return now, peak
}

func run(ctx context.Context, patients, visits, rounds int, dir string, joins bool) error {
	if dir == "" {
		tmp, err := os.MkdirTemp("", "benchscale-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	host, _ := os.Hostname()
	fmt.Printf("benchscale: %d patients, %d visits each, %s, %d CPUs, %s, %s\n", patients, visits, runtime.GOOS+"/"+runtime.GOARCH,
		runtime.NumCPU(), host, time.Now().UTC().Format(time.RFC3339))
	c, err := newClinic(ctx, dir)
	if err != nil {
		return err
	}
	start := time.Now()
	events, err := seed(ctx, c, patients, visits, rand.New(rand.NewPCG(1, 42)))
	if err != nil {
		return err
	}
	seeding := time.Since(start)
	row := func(what, value, goal string) { fmt.Printf("| %s | %s | %s |\n", what, value, goal) }
	fmt.Println("| measure | value | goal |\n|---|---|---|")
	row("seeding (reception's workstation)", fmt.Sprintf("%d events in %s (%.0f/s)", events, seeding.Round(time.Second), float64(events)/seeding.Seconds()), "clinic-decade ≤ 10 min")
	size, err := c.desk.db.Size(ctx)
	if err != nil {
		return err
	}
	row("profile on disk, reception", fmt.Sprintf("%.2f KB per patient, %.0f bytes per event (%d MB)", float64(size)/float64(patients)/1024,
		float64(size)/float64(events), size>>20), "≤ 2.5 KB per patient")
	took, err := reindexed(ctx, c.desk)
	if err != nil {
		return err
	}
	row("an upgraded profile's first open, patients indexed again (store 0007, once)", took.Round(100*time.Millisecond).String(), "–")
	for _, m := range []struct {
		what  string
		query func(*rand.Rand) string
		goal  string
	}{
		{"name search, surname + given name", func(r *rand.Rand) string {
			return family[r.IntN(len(family))] + " " + given[r.IntN(len(given))]
		}, "p99 ≤ 10 ms"},
		{"3-letter surname prefix", func(r *rand.Rand) string { return family[r.IntN(len(family))][:3] }, "p99 ≤ 5 ms"},
	} {
		p50, p99, found, err := search(ctx, c.desk, rounds, m.query)
		if err != nil {
			return err
		}
		row(m.what, fmt.Sprintf("p50 %s, p99 %s (%d found per search, first page of 50)", p50.Round(10*time.Microsecond), p99.Round(10*time.Microsecond), found), m.goal)
	}
	if !joins {
		return nil
	}
	// A new receptionist: admitted and granted, then catches up with
	// everything, as the network would hand it over.
	newcomer, err := open(ctx, dir, "newcomer", c.newID, c.id, c.admin.r.Fingerprint())
	if err != nil {
		return err
	}
	if err := admit(ctx, c, newcomer); err != nil {
		return err
	}
	if keepDir != "" {
		if err := keepApply(ctx, keepDir, newcomer, c.newID, c.admin, c.doc, c.desk); err != nil {
			return err
		}
	}
	stop, err := profileApply()
	if err != nil {
		return err
	}
	start, cpu0, io0 := time.Now(), cpuTime(), readFileIO()
	total := 0
	for _, from := range []*ws{c.admin, c.doc, c.desk} {
		n, _, err := send(ctx, from, newcomer)
		if err != nil {
			return err
		}
		total += n
	}
	join, cpu, io := time.Since(start), cpuTime()-cpu0, io0.perEnvelope(total)
	stop()
	if !newcomer.r.Holds(roles.FrontDesk) {
		return fmt.Errorf("the newcomer was not granted the front desk")
	}
	row("new receptionist applies the clinic (replica only, no network)", fmt.Sprintf("%d envelopes in %s (%.0f/s; CPU %.0f µs each, all cores; %s)", total, join.Round(100*time.Millisecond), float64(total)/join.Seconds(),
		float64(cpu.Microseconds())/float64(total), io), "join ≤ 60 s, ≥ 10,000/s")
	// Catch-up: 10,000 new events on reception, applied by the newcomer.
	if _, err := seed(ctx, c, 1000, 9, rand.New(rand.NewPCG(3, 3))); err != nil {
		return err
	}
	n, took, err := send(ctx, c.desk, newcomer)
	if err != nil {
		return err
	}
	row("catch-up of 10,000 events (replica only)", fmt.Sprintf("%d in %s (%.0f/s)", n, took.Round(10*time.Millisecond), float64(n)/took.Seconds()), "≤ 2.5 s")
	_, peak := rssKB()
	row("peak RSS of this process (five workstations)", fmt.Sprintf("%d MB", peak>>10), "≤ 150 MB per workstation")
	return nil
}

// fileIO is what this process read and wrote through system calls so far
// (/proc/self/io): the calls and their bytes, what SQLite's page reads,
// write-ahead log and checkpoints cost. Unlike time, it does not depend on
// the machine's load.
type fileIO struct{ reads, writes, readBytes, writeBytes int64 }

func readFileIO() fileIO {
	var io fileIO
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return io
	}
	for _, line := range strings.Split(string(b), "\n") {
		fmt.Sscanf(line, "rchar: %d", &io.readBytes)  //nolint:errcheck // other lines do not match
		fmt.Sscanf(line, "wchar: %d", &io.writeBytes) //nolint:errcheck
		fmt.Sscanf(line, "syscr: %d", &io.reads)      //nolint:errcheck
		fmt.Sscanf(line, "syscw: %d", &io.writes)     //nolint:errcheck
	}
	return io
}

// perEnvelope says what the system calls since before cost each of n
// envelopes.
func (before fileIO) perEnvelope(n int) string {
	now := readFileIO()
	f := float64(max(n, 1))
	return fmt.Sprintf("I/O an envelope: %.1f reads (%.1f KB), %.1f writes (%.1f KB)",
		float64(now.reads-before.reads)/f, float64(now.readBytes-before.readBytes)/f/1024,
		float64(now.writes-before.writes)/f, float64(now.writeBytes-before.writeBytes)/f/1024)
}

// cpuTime is the CPU time this process used so far, on every core: what
// a shared machine's load changes less than the wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// threadCPU returns the CPU time of the calling thread (Linux; 0
// elsewhere): with the goroutine locked to its thread, the CPU of that
// goroutine and of the SQLite calls it makes, whatever else runs.
func threadCPU() time.Duration {
	const rusageThread = 1 // RUSAGE_THREAD
	var ru syscall.Rusage
	if runtime.GOOS != "linux" || syscall.Getrusage(rusageThread, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// profileApply starts what -applyprofile, -applytrace and
// -applymemprofile ask for of the newcomer's apply, and returns what
// stops them.
func profileApply() (stop func(), err error) {
	if err := heapProfile(applyMemProfile, ".before"); err != nil {
		return nil, err
	}
	stopTrace, err := traceApply()
	if err != nil {
		return nil, err
	}
	stopCPU, err := cpuProfileApply()
	if err != nil {
		stopTrace()
		return nil, err
	}
	return func() {
		stopCPU()
		stopTrace()
		if err := heapProfile(applyMemProfile, ""); err != nil {
			fmt.Fprintln(os.Stderr, "benchscale:", err)
		}
	}, nil
}

// cpuProfileApply starts the CPU profile of the newcomer's apply when
// -applyprofile asks for one, and returns what stops it.
func cpuProfileApply() (stop func(), err error) {
	if applyProfile == "" {
		return func() {}, nil
	}
	f, err := os.Create(applyProfile)
	if err != nil {
		return nil, err
	}
	pprof.StopCPUProfile() // -cpuprofile's, if any: one profile at a time
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// heapProfile writes a heap profile to name+suffix, when name is set.
func heapProfile(name, suffix string) error {
	if name == "" {
		return nil
	}
	f, err := os.Create(name + suffix)
	if err != nil {
		return err
	}
	defer f.Close()
	runtime.GC() // the profile counts up to the last collection (pprof's advice)
	return pprof.Lookup("allocs").WriteTo(f, 0)
}

// traceApply starts the execution trace of the newcomer's apply when
// -applytrace asks for one, and returns what stops it.
func traceApply() (stop func(), err error) {
	if applyTrace == "" {
		return func() {}, nil
	}
	f, err := os.Create(applyTrace)
	if err != nil {
		return nil, err
	}
	if err := trace.Start(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		trace.Stop()
		f.Close()
	}, nil
}

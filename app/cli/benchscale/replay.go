package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"time"

	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
)

// Keeping a newcomer's apply to run it again (flags -keep and -replay):
// seeding a clinic of 100,000 patients takes minutes, the apply measured
// after it seconds, and a change to the apply path is measured back to
// back with the code before it several times. -keep DIR writes, once the
// newcomer is admitted, its profile, its keys and the envelopes the apply
// hands it, in the chunks it hands them; -replay DIR applies them again on
// a copy of that profile and prints the apply's row alone. The chunks are
// read from the file one at a time, as the clinic's stores hand them over
// in a full run (a replay spends no CPU reading the clinic's stores, so
// compare replays with replays).

// kept is what -keep writes of the newcomer beside its profile.
type kept struct {
	Device    string   `json:"device"`
	DeviceKey string   `json:"deviceKey"` // hex; a throwaway key of a benchmark clinic
	Clinic    string   `json:"clinic"`
	Anchors   []string `json:"anchors"`
	Identity  []byte   `json:"identity"` // locked with keptPassphrase
}

// loadKept reads the newcomer a -keep folder holds: its description,
// its identity unlocked and its device key.
func loadKept(dir string) (k kept, id *crypto.Identity, dk crypto.DeviceKey, err error) {
	b, err := os.ReadFile(filepath.Join(dir, "newcomer.json"))
	if err != nil {
		return k, nil, dk, fmt.Errorf("%w (run with -keep %s first)", err, dir)
	}
	if err := json.Unmarshal(b, &k); err != nil {
		return k, nil, dk, err
	}
	if id, err = crypto.UnlockIdentity(k.Identity, keptPassphrase); err != nil {
		return k, nil, dk, err
	}
	raw, err := hex.DecodeString(k.DeviceKey)
	if err != nil {
		return k, nil, dk, err
	}
	dk, err = crypto.DeviceKeyFromBytes(raw)
	return k, id, dk, err
}

// openKept opens the kept newcomer's store at path and its replica.
func openKept(ctx context.Context, path string, k kept, id *crypto.Identity, dk crypto.DeviceKey) (*store.DB, *replica.Replica, error) {
	db, err := store.Open(ctx, path)
	if err != nil {
		return nil, nil, err
	}
	p := replica.Params{DB: db, Device: k.Device, Identity: id, DeviceKey: dk, Clinic: k.Clinic,
		Anchors: k.Anchors, Index: records.IndexTerms}
	if replaySeal {
		p.Seal = &replica.SealCheck{} // as the app opens it (app/session.go)
	}
	r, err := replica.Open(ctx, p)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, r, nil
}

// keptPassphrase locks the newcomer's throwaway key in a -keep folder.
var keptPassphrase = []byte("benchscale")

// keepApply writes to dir what replayApply needs: the newcomer's profile
// and keys, and the chunks of envelopes each of from hands it (as send
// would: after what it holds of their chains, 5,000 at a time).
func keepApply(ctx context.Context, dir string, newcomer *ws, id *crypto.Identity, from ...*ws) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := newcomer.db.Backup(ctx, filepath.Join(dir, "newcomer.db")); err != nil {
		return err
	}
	locked, err := id.Lock(keptPassphrase)
	if err != nil {
		return err
	}
	k := kept{Device: newcomer.p.Device, DeviceKey: hex.EncodeToString(newcomer.p.DeviceKey[:]),
		Clinic: newcomer.p.Clinic, Anchors: newcomer.p.Anchors, Identity: locked}
	b, err := json.Marshal(k)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "newcomer.json"), b, 0o600); err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(dir, "chunks"), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	heads, err := newcomer.r.Heads(ctx)
	if err != nil {
		return err
	}
	for _, src := range from {
		var seq uint64
		for _, h := range heads {
			if h.Device == src.r.Device() {
				seq = h.Seq
			}
		}
		for {
			raws, err := src.r.EnvelopesAfter(ctx, src.r.Device(), seq, 5000)
			if err != nil {
				return err
			}
			if len(raws) == 0 {
				break
			}
			if err := writeChunk(w, raws); err != nil {
				return err
			}
			seq += uint64(len(raws))
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// writeChunk writes one chunk: its count, then each envelope's length and
// bytes.
func writeChunk(w io.Writer, raws [][]byte) error {
	if err := binary.Write(w, binary.LittleEndian, uint32(len(raws))); err != nil {
		return err
	}
	for _, raw := range raws {
		if err := binary.Write(w, binary.LittleEndian, uint32(len(raw))); err != nil {
			return err
		}
		if _, err := w.Write(raw); err != nil {
			return err
		}
	}
	return nil
}

// readChunk reads the next chunk, or io.EOF after the last.
func readChunk(r io.Reader) ([][]byte, error) {
	var n uint32
	if err := binary.Read(r, binary.LittleEndian, &n); err != nil {
		return nil, err
	}
	raws := make([][]byte, n)
	for i := range raws {
		var size uint32
		if err := binary.Read(r, binary.LittleEndian, &size); err != nil {
			return nil, err
		}
		raws[i] = make([]byte, size)
		if _, err := io.ReadFull(r, raws[i]); err != nil {
			return nil, err
		}
	}
	return raws, nil
}

// replayChunk is how many envelopes a replay hands each Apply (flag
// -apply): 0 hands the chunks as kept; more joins kept chunks (fewer,
// larger transactions), fewer splits them.
var replayChunk int

// replaySteps prints each Apply's wall time and the applying goroutine's
// CPU to stderr (flag -applysteps): the 40 Applies that store the
// newcomer's envelopes sealed apart from the last one, which opens them.
var replaySteps bool

// replaySeal: the replay's store is sealed as the app's is (every row
// written marked: sync/store/sealrows.go).
var replaySeal bool

// goroutinesCreated is how many goroutines the process has started.
func goroutinesCreated() uint64 {
	s := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// applies hands a replay's Applies their envelopes: the chunks as kept
// (n 0), or n envelopes at a time of the chunks that follow one another.
type applies struct {
	r    *bufio.Reader
	n    int
	held [][]byte // read beyond the Apply handed
}

// next returns what the next Apply is handed (fewer than n after the last
// chunk), or io.EOF after the last.
func (a *applies) next() ([][]byte, error) {
	if a.n <= 0 {
		return readChunk(a.r)
	}
	for len(a.held) < a.n {
		raws, err := readChunk(a.r)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		a.held = append(a.held, raws...)
	}
	if len(a.held) == 0 {
		return nil, io.EOF
	}
	out := a.held[:min(a.n, len(a.held))]
	a.held = a.held[len(out):]
	return out, nil
}

// replayApply applies what keepApply wrote to dir on a copy of the
// newcomer's profile (in work) and prints the apply's row.
func replayApply(ctx context.Context, dir, work string) error {
	k, id, dk, err := loadKept(dir)
	if err != nil {
		return err
	}
	profile, err := os.ReadFile(filepath.Join(dir, "newcomer.db"))
	if err != nil {
		return err
	}
	path := filepath.Join(work, "newcomer.db")
	if err := os.WriteFile(path, profile, 0o600); err != nil {
		return err
	}
	db, r, err := openKept(ctx, path, k, id, dk)
	if err != nil {
		return err
	}
	defer db.Close()
	f, err := os.Open(filepath.Join(dir, "chunks"))
	if err != nil {
		return err
	}
	defer f.Close()
	in := &applies{r: bufio.NewReaderSize(f, 1<<20), n: replayChunk}
	stop, err := profileApply()
	if err != nil {
		return err
	}
	// The apply's serial part runs on this goroutine (the store's work,
	// every rule in order): locked to its thread, its own CPU is counted
	// apart from the workers' (load-robust, unlike the wall time).
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start, cpu0, io0, serial0 := time.Now(), cpuTime(), readFileIO(), threadCPU()
	total, applies := 0, 0
	for {
		raws, err := in.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			stop()
			return err
		}
		t0, c0, g0 := time.Now(), threadCPU(), goroutinesCreated()
		if _, err := r.Apply(ctx, raws); err != nil {
			stop()
			return err
		}
		total += len(raws)
		if replaySteps {
			fmt.Fprintf(os.Stderr, "apply %d: %d envelopes in %s, %s on the applying goroutine, %d goroutines started\n", applies, len(raws),
				time.Since(t0).Round(time.Millisecond), (threadCPU() - c0).Round(time.Millisecond), goroutinesCreated()-g0)
		}
		applies++
	}
	// A bulk leaves its write-ahead log to be checkpointed later (store
	// Bulk): counted here, as the code before checkpointed at each commit.
	t0 := time.Now()
	if err := db.Checkpoint(ctx); err != nil {
		stop()
		return err
	}
	if replaySteps {
		fmt.Fprintf(os.Stderr, "checkpoint: %s\n", time.Since(t0).Round(time.Millisecond))
	}
	took, cpu, io, serial := time.Since(start), cpuTime()-cpu0, io0.perEnvelope(total), threadCPU()-serial0
	stop()
	if !r.Holds(roles.FrontDesk) {
		return fmt.Errorf("the newcomer was not granted the front desk")
	}
	_, peak := rssKB()
	fmt.Printf("| new receptionist applies the clinic (replica only, no network; replayed from %s) | %d envelopes in %s (%.0f/s; CPU %.0f µs each, all cores, %.1f µs on the applying goroutine; %s); peak RSS %d MB | ≥ 10,000/s |\n",
		dir, total, took.Round(100*time.Millisecond), float64(total)/took.Seconds(), float64(cpu.Microseconds())/float64(total),
		float64(serial.Nanoseconds())/1e3/float64(total), io, peak>>10)
	return nil
}

// replayIn replays the apply kept in dir with its copy of the profile in
// work (default: a temporary folder, removed).
func replayIn(ctx context.Context, dir, work string) error {
	if work == "" {
		tmp, err := os.MkdirTemp("", "benchscale-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		work = tmp
	}
	return replayApply(ctx, dir, work)
}

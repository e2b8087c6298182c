package chat

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/app/frontdesk"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/sync/netsync"
	"github.com/medihaven/medihaven/sync/synctest"
	"github.com/medihaven/medihaven/sync/xmpp"
)

// wiretap is a loopback TCP proxy that keeps every byte both ways: what
// an outsider on the clinic's network sees of the Kubo API (plain HTTP).
type wiretap struct {
	addr string
	mu   sync.Mutex
	seen bytes.Buffer
}

func (w *wiretap) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.seen.Write(b)
}

func (w *wiretap) bytes() []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return bytes.Clone(w.seen.Bytes())
}

func tapTo(t testing.TB, target string) *wiretap {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	w := &wiretap{addr: l.Addr().String()}
	go func() {
		for {
			in, err := l.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			go func() { io.Copy(io.MultiWriter(out, w), in); out.Close() }() //nolint:errcheck // a tap
			go func() { io.Copy(io.MultiWriter(in, w), out); in.Close() }()  //nolint:errcheck // a tap
		}
	}()
	return w
}

// TestAttackS25bNothingInClearAnywhere: Attack (session 25, h-rev25b):
// everything a clinic's workstations leave outside their sealed records,
// read by an outsider on the clinic's network (every byte of the Kubo API,
// which is plain HTTP), by a curious account on the clinic's chat server
// (every message and presence of both rooms), by the servers' operator
// (Prosody's and Kubo's folders and logs) and by someone with a stolen
// laptop (the profile folders with their SQLite WAL and freed pages, the
// home and XDG folders, the temporary and runtime folders). A distinctive
// patient is registered, booked, seen (note, problem), written about in
// chat by name and MRN, one to one and in the clinic room; the test then
// greps all of it for her name, MRN, birth date, phone, e-mail, address,
// the appointment's reason and time, the note and the diagnosis.
func TestAttackS25bNothingInClearAnywhere(t *testing.T) {
	tmp := t.TempDir() // before TMPDIR moves: t.TempDir's own parent is fixed at its first call
	t.Setenv("TMPDIR", tmp)
	t.Setenv("SQLITE_TMPDIR", tmp)
	ctx := context.Background()
	c := clinicOnNet(t)
	kuboAddr := strings.TrimPrefix(c.Kubo.API, "/ip4/")
	kuboAddr = strings.Replace(kuboAddr, "/tcp/", ":", 1)
	tap := tapTo(t, kuboAddr)
	host, port, _ := net.SplitHostPort(tap.addr)
	cfg := c.Config()
	cfg.IPFS = "/ip4/" + host + "/tcp/" + port
	start := func(s *app.Session) {
		y, err := s.StartSync(ctx, cfg, New(s.Core()).SyncHooks())
		if err != nil {
			t.Fatal(err)
		}
		c.Syncers[s] = y
		t.Cleanup(y.Stop)
	}

	// A curious account on the clinic's chat server, in both rooms.
	var heardMu sync.Mutex
	var heard bytes.Buffer
	note := func(format string, a ...any) {
		heardMu.Lock()
		fmt.Fprintf(&heard, format+"\n", a...)
		heardMu.Unlock()
	}
	addr := c.XMPP.Register(t, "curious", "curious-password")
	xs, err := xmpp.Dial(ctx, xmpp.Config{JID: addr, Password: "curious-password", Addr: c.XMPP.Addr, TLS: c.XMPP.TLSConfig(),
		OnPresence: func(p xmpp.Presence) { note("presence %+v", p) }}, func(m xmpp.Message) { note("message %+v", m) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { xs.Close() })
	for _, room := range []string{netsync.RoomUser, netsync.ChatRoomUser} {
		if err := xs.JoinRoom(ctx, room+"@"+c.XMPP.MUC, "curious"); err != nil {
			t.Fatalf("the curious account joins %s: %v", room, err)
		}
	}

	for _, s := range []*app.Session{c.Admin, c.Recep, c.Phys, c.Phys2} {
		start(s)
	}
	waitOnline(t, c.Recep, c.Phys, c.Admin)

	p, err := c.Recep.RegisterPatient(ctx, app.Patient{Family: "Quirrelbottom", Given: "Ottoline", Birth: "1933-11-23", Sex: "female",
		Phone: "+41 79 555 98 76", Email: "ottoline.q@example.net", Address: "42 Zebrawood Crescent"})
	if err != nil {
		t.Fatal(err)
	}
	when := time.Now().Add(time.Hour).Truncate(time.Minute)
	a, err := frontdesk.New(c.Recep.Core()).Book(ctx, records.Appointment{Patient: p.ID, Physician: c.Phys.Fingerprint(), Start: when,
		Minutes: 25, Reason: "Quirrelbottom eyelid lump"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the physician sees the appointment", 30*time.Second, func() bool {
		_, err := c.Phys.Patient(ctx, p.ID)
		if err != nil {
			return false
		}
		_, err = chart.New(c.Phys.Core()).StartVisit(ctx, a.ID, true)
		return err == nil
	})
	en, err := chart.New(c.Phys.Core()).StartVisit(ctx, a.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	n, err := chart.New(c.Phys.Core()).WriteNote(ctx, chart.Note{Patient: p.ID, Encounter: en.ID, Subjective: "Ottoline noticed a yellowish plaque",
		Assessment: "Xanthelasmoid plaque, left upper lid", Plan: "Lipid panel via Vexmoorlab"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chart.New(c.Phys.Core()).AddProblem(ctx, records.Problem{Patient: p.ID, Name: "Xanthelasmoid plaque"}); err != nil {
		t.Fatal(err)
	}
	sendChat(t, c.Recep, c.Phys.Fingerprint(), "Ottoline Quirrelbottom is in the waiting room", p.MRN)
	sendChat(t, c.Phys, Room, "Lipid panel for "+p.MRN+" (Quirrelbottom), Vexmoorlab courier at four", p.MRN)
	waitChat(t, c.Phys, c.Recep.Fingerprint(), "Ottoline Quirrelbottom is in the waiting room")
	waitChat(t, c.Recep, Room, "Lipid panel for "+p.MRN+" (Quirrelbottom), Vexmoorlab courier at four")
	waitFor(t, "the second physician reads the note", 30*time.Second, func() bool {
		ch, err := chart.New(c.Phys2.Core()).OpenChart(ctx, p.ID)
		return err == nil && len(ch.Notes) == 1 && ch.Notes[0].Assessment == n.Assessment && len(ch.Problems) == 1
	})
	if len(tap.bytes()) == 0 {
		t.Fatal("nothing went through the tap to Kubo")
	}

	needles := []string{"Quirrelbottom", "Ottoline", p.MRN, "1933-11-23", "19331123", "555 98 76", "5559876", "ottoline.q",
		"Zebrawood", "eyelid lump", "Xanthelasm", "yellowish plaque", "Vexmoorlab", "waiting room",
		strconv.FormatInt(when.UnixMilli(), 10), strconv.FormatInt(when.Unix(), 10), when.UTC().Format("2006-01-02T15:04"),
		when.Format("2006-01-02T15:04"), when.Format("15:04 on 2 Jan")}
	look := func(where string, b []byte) {
		lower := bytes.ToLower(b)
		for _, s := range needles {
			if bytes.Contains(lower, []byte(strings.ToLower(s))) {
				t.Errorf("%s holds %q in clear", where, s)
			}
		}
	}
	// The taps saw the traffic they are meant to: packs put, the room's
	// encrypted chat and announcements heard.
	if !bytes.Contains(tap.bytes(), []byte("/api/v0/block/put")) {
		t.Error("the tap saw no pack put on Kubo")
	}
	heardMu.Lock()
	for _, want := range []string{"mh1chat ", "mh1 head "} {
		if !bytes.Contains(heard.Bytes(), []byte(want)) {
			t.Errorf("the curious account heard no %q", want)
		}
	}
	heardMu.Unlock()
	look("the Kubo API's traffic", tap.bytes())
	heardMu.Lock()
	look("what a curious account in the rooms heard", heard.Bytes())
	heardMu.Unlock()
	// What Kubo names: pins, MFS, keys.
	bin, err := synctest.IPFSBinary()
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"pin", "ls", "--names"}, {"files", "ls", "-l", "/"}, {"key", "list", "-l"}} {
		out, err := exec.Command(bin, append([]string{"--api", c.Kubo.API}, args...)...).CombinedOutput()
		if err != nil {
			t.Errorf("ipfs %v: %v %s", args, err, out)
		}
		look("ipfs "+strings.Join(args, " "), out)
	}
	// Every file: the profiles, both servers' folders and logs, the temporary
	// folder, the home and XDG folders, the runtime folder.
	roots := []string{tmp, c.Dir, filepath.Dir(c.Kubo.Dir), filepath.Dir(c.XMPP.DataDir)}
	for _, v := range []string{"HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME", "XDG_RUNTIME_DIR"} {
		if d := os.Getenv(v); d != "" && d != "/" && d != "/root" {
			roots = append(roots, d)
		}
	}
	files := 0
	for _, root := range roots {
		filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error { //nolint:errcheck // what cannot be read is not looked at
			if err != nil || d.IsDir() || !d.Type().IsRegular() {
				return nil
			}
			b, err := os.ReadFile(path)
			if err == nil {
				files++
				look(path, b)
			}
			return nil
		})
	}
	if os.Getenv("MEDIHAVEN_S25B_SHOW") != "" {
		os.WriteFile(os.Getenv("MEDIHAVEN_S25B_SHOW"), append(heard.Bytes(), tap.bytes()...), 0o600) //nolint:errcheck // a look
	}
	t.Logf("%d bytes of Kubo API traffic, %d bytes heard in the rooms, %d files read", len(tap.bytes()), heard.Len(), files)
}

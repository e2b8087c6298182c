package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/app/cli"
	"github.com/medihaven/medihaven/sync/server"
	"github.com/medihaven/medihaven/ui"
	uiadmin "github.com/medihaven/medihaven/ui/admin"
	"github.com/medihaven/medihaven/ui/kit"
)

const adminPass = "correct horse battery staple"

// clinicKeepingItsServers is a fresh HOME whose administrator made the
// clinic with "Run the clinic's servers on this computer", then closed
// Medihaven: the servers' folder is here and nothing runs them. It
// returns the server folder and the administrator's profile.
func clinicKeepingItsServers(t *testing.T) (dir, profile string) {
	t.Helper()
	home, dir, _ := serverFolderInFreshHome(t)
	profile = filepath.Join(home, "admin")
	servers := new(localServers)
	b := backend{g: cli.Global{Profile: profile, Keystore: app.KeystoreFile}, servers: servers}
	s, err := b.CreateClinic(context.Background(), ui.NewClinic{Clinic: "Riverside Family Practice", Zone: "Europe/London",
		Admin: "Alex Morgan", Passphrase: []byte(adminPass), Servers: ui.RunServersHere, Domain: "clinic.test"})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	servers.stop()
	return dir, profile
}

// logIn logs the administrator in as the window does, with this window's
// servers; the session closes when the test ends.
func logIn(t *testing.T, profile string, servers *localServers) syncedSession {
	t.Helper()
	admin, err := login(profile, servers)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	return admin
}

func login(profile string, servers *localServers) (syncedSession, error) {
	b := backend{g: cli.Global{Profile: profile, Keystore: app.KeystoreFile}, servers: servers}
	us, err := b.Login(context.Background(), profile, "Alex Morgan", []byte(adminPass))
	if err != nil {
		return syncedSession{}, err
	}
	admin, ok := us.(syncedSession)
	if !ok {
		us.Close()
		return syncedSession{}, fmt.Errorf("the workstation does not sync (%T)", us)
	}
	return admin, nil
}

// clinicScreen shows the Clinic screen of admin in a test window.
func clinicScreen(t *testing.T, admin syncedSession) fyne.Window {
	t.Helper()
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	kit.Locked(func() {
		w.SetContent(uiadmin.NewClinic(admin, w))
		w.Resize(fyne.NewSize(1000, 800))
	})
	return w
}

// shows waits until the window shows every part (under kit.Locked: the
// card's checks come back on other goroutines).
func shows(t *testing.T, w fyne.Window, what string, parts ...string) {
	t.Helper()
	var text string
	defer func() {
		if t.Failed() {
			t.Logf("the window shows:\n%s", text)
		}
	}()
	apptest.WaitFor(t, what, 30*time.Second, func() bool {
		kit.Locked(func() { text = shownText(w.Content()) })
		for _, p := range parts {
			if !strings.Contains(text, p) {
				return false
			}
		}
		return true
	})
}

// hasButton reports whether the window shows a button labelled text.
func hasButton(w fyne.Window, text string) (found bool) {
	kit.Locked(func() {
		for _, o := range test.LaidOutObjects(w.Content()) {
			if b, ok := o.(*widget.Button); ok && b.Text == text && b.Visible() {
				found = true
			}
		}
	})
	return found
}

// serverRun runs `medihaven server run --dir dir` (this test binary as
// medihaven, TestMain) as a process of its own, until stopped with
// SIGTERM; the test waits until both servers answer.
func serverRun(t *testing.T, dir string) (stop func()) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "server", "run", "--dir", dir)
	cmd.Env = append(os.Environ(), asCLI+"=1")
	cmd.SysProcAttr = deathAttr() // its servers follow it (sync/server)
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(30 * time.Second):
				cmd.Process.Kill()
				t.Errorf("medihaven server run did not stop on SIGTERM:\n%s", out.String())
			}
		})
	}
	t.Cleanup(stop)
	apptest.WaitFor(t, "medihaven server run answering", 60*time.Second, func() bool {
		p, err := server.ProbeServers(context.Background(), dir)
		return err == nil && p.Chat == server.Ours && p.Storage == server.Ours
	})
	t.Logf("medihaven server run printed:\n%s", out.String())
	return stop
}

// TestServersCardTellsWhatRunsOutside: on the computer that keeps the
// clinic's servers, `medihaven server run` (started outside the window)
// runs them when the administrator logs in. The window's own start finds
// their ports busy and leaves them; the workstation syncs through them and
// the Clinic screen says they run, started outside this window, and how to
// stop them, with no Stop button. Once that run stops, "Check again" says
// "Not running" and offers to run them; a program that is not the clinic's
// server on the chat port is named as such; once it is gone, Run starts
// them here, and closing the window leaves no process.
func TestServersCardTellsWhatRunsOutside(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the clinic's servers")
	}
	dir, profile := clinicKeepingItsServers(t)
	stopOutside := serverRun(t, dir)
	servers := new(localServers)
	t.Cleanup(servers.stop)
	admin := logIn(t, profile, servers)
	apptest.WaitFor(t, "the workstation syncing through the servers run outside", 60*time.Second, func() bool {
		return admin.syncer.Status().Connected
	})
	w := clinicScreen(t, admin)
	st := admin.LocalServers()
	shows(t, w, "the card saying who runs the servers", "Running on this computer, started outside this window", st.Chat, st.Storage,
		"They run in `medihaven server run`", "press Ctrl+C in that terminal")
	if servers.running(dir) != nil {
		t.Error("the window runs servers of its own beside `medihaven server run`")
	}
	for _, b := range []string{"Stop the servers", "Run the clinic's servers on this computer"} {
		if hasButton(w, b) {
			t.Errorf("the card offers %q for servers run outside the window", b)
		}
	}

	stopOutside()
	tap := func(text string) { kit.Locked(func() { test.Tap(findButton(t, w, text)) }) }
	tap("Check again")
	shows(t, w, "the card saying nothing runs", "Not running. Other workstations cannot sync or join until they run again.")

	// A web server on the chat port.
	chat, err := net.Listen("tcp", st.Chat)
	if err != nil {
		t.Fatal(err)
	}
	web := &http.Server{Handler: http.NotFoundHandler(), ReadHeaderTimeout: time.Second}
	go web.Serve(chat)
	tap("Check again")
	shows(t, w, "the card naming the program on the chat port", "Not running: the chat server's port ("+st.Chat+") is held by another program (medihaven.test)")
	web.Close()
	tap("Check again")
	shows(t, w, "the card saying nothing runs again", "Not running.")
	tap("Run the clinic's servers on this computer")
	shows(t, w, "the card saying this window runs them", "Running on this computer, started by this window")
	ls := servers.running(dir)
	if ls == nil {
		t.Fatal("Run started nothing")
	}
	p, k := ls.PIDs()
	servers.stop() // the window closes
	for _, pid := range []int{p, k} {
		if listed(t, pid) {
			t.Errorf("process %d still runs after the window closed", pid)
		}
	}
}

// TestLoginDoesNotWaitForTheServers: logging in on the computer that keeps
// the clinic's servers starts them in the background. With their start
// held, Login returns (the home screen does not wait for Prosody and
// Kubo) and the card says they are starting; released, they run, the card
// says so and the workstation syncs through them. A start that fails is
// logged and shown on the card. A window closed in the middle of a start
// leaves no process behind.
func TestLoginDoesNotWaitForTheServers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the clinic's servers")
	}
	dir, profile := clinicKeepingItsServers(t)
	realStart := func(ctx context.Context, dir string) (*app.LocalServers, error) {
		return app.StartLocalServers(ctx, app.LocalSetup{Dir: dir, IPFSBin: os.Getenv("MEDIHAVEN_IPFS_BIN"), NoAdminInvite: true})
	}

	t.Run("held start", func(t *testing.T) {
		release, entered := make(chan struct{}), make(chan struct{}, 1)
		servers := &localServers{start: func(ctx context.Context, dir string) (*app.LocalServers, error) {
			entered <- struct{}{}
			select {
			case <-release:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			return realStart(ctx, dir)
		}}
		t.Cleanup(servers.stop)
		type result struct {
			s   syncedSession
			err error
		}
		logged := make(chan result, 1)
		go func() { s, err := login(profile, servers); logged <- result{s, err} }()
		var admin syncedSession
		select {
		case r := <-logged:
			if r.err != nil {
				t.Fatal(r.err)
			}
			admin = r.s
			t.Cleanup(func() { admin.Close() })
		case <-time.After(2 * time.Minute):
			close(release)
			t.Fatal("Login waited for the servers' start")
		}
		<-entered
		if st := admin.LocalServers(); st.State != uiadmin.ServersStarting {
			t.Errorf("while the start is held the state is %v, want starting", st.State)
		}
		w := clinicScreen(t, admin)
		shows(t, w, "the card saying they are starting", "Starting the chat server and the record store…")
		close(release)
		shows(t, w, "the card saying they run", "Running on this computer, started by this window")
		apptest.WaitFor(t, "the workstation syncing through them", 60*time.Second, func() bool { return admin.syncer.Status().Connected })
		ls := servers.running(dir)
		p, k := ls.PIDs()
		servers.stop()
		for _, pid := range []int{p, k} {
			if listed(t, pid) {
				t.Errorf("process %d still runs after the window closed", pid)
			}
		}
	})

	t.Run("failed start", func(t *testing.T) {
		var logs lockedBuffer
		log.SetOutput(&logs)
		t.Cleanup(func() { log.SetOutput(os.Stderr) })
		servers := &localServers{start: func(context.Context, string) (*app.LocalServers, error) {
			return nil, errors.New("server: start Prosody: exec: \"prosody\": permission denied")
		}}
		t.Cleanup(servers.stop)
		admin := logIn(t, profile, servers)
		w := clinicScreen(t, admin)
		shows(t, w, "the card showing the failed start", "Not running.", "The servers did not start: start Prosody: exec: \"prosody\": permission denied")
		if !strings.Contains(logs.String(), "did not start: server: start Prosody") {
			t.Errorf("the failure was not logged: %q", logs.String())
		}
	})

	t.Run("window closed mid-start", func(t *testing.T) {
		entered := make(chan struct{}, 1)
		servers := &localServers{start: func(ctx context.Context, dir string) (*app.LocalServers, error) {
			entered <- struct{}{}
			return realStart(ctx, dir)
		}}
		logIn(t, profile, servers)
		<-entered
		time.Sleep(300 * time.Millisecond) // Prosody is starting
		servers.stop()
		if servers.running(dir) != nil {
			t.Error("servers run after the window closed")
		}
		if out, _ := exec.Command("ps", "-eo", "pid,args").Output(); bytes.Contains(out, []byte(dir)) {
			t.Errorf("a process of the server folder outlived the window:\n%s", out)
		}
	})
}

// TestNotStarted: the card says "The servers did not start: " itself, so
// the reason it shows does not say it again, whichever way it came.
func TestNotStarted(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("start the clinic's servers: %w", errors.New("a server program is not installed: Prosody")), "a server program is not installed: Prosody"},
		{errors.New("prosody exited"), "prosody exited"},
	} {
		if got := notStarted(tc.err); !strings.EqualFold(got, tc.want) {
			t.Errorf("notStarted(%q) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

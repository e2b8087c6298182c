package admin

import (
	"context"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

// fakeServers is a session on the computer that keeps the clinic's
// servers: LocalServers answers now, CheckLocalServers what the servers'
// addresses answered.
type fakeServers struct {
	mu       sync.Mutex
	now      LocalServers // LocalServers
	checked  LocalServers // CheckLocalServers, unless now is Starting or RunHere
	startErr error
	stops    int
}

func (f *fakeServers) LocalServers() LocalServers {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeServers) CheckLocalServers(context.Context) LocalServers {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.now.State == ServersStarting || f.now.State == ServersRunHere {
		return f.now
	}
	return f.checked
}

func (f *fakeServers) StartLocalServers(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.startErr != nil {
		f.now.Failed = f.startErr.Error()
		return f.startErr
	}
	f.now.State, f.now.Failed = ServersRunHere, ""
	return nil
}

func (f *fakeServers) StopLocalServers() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stops++
	f.now.State = ServersUnchecked
	f.checked = at(ServersDown)
}

func (f *fakeServers) set(now, checked LocalServers) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now, f.checked = now, checked
}

// at is the servers of a folder on loopback in state st.
func at(st ServersState) LocalServers {
	return LocalServers{Here: true, State: st, Dir: "/home/alex/.local/share/medihaven/server",
		Chat: "127.0.0.1:5222", Storage: "127.0.0.1:5001", Desk: "127.0.0.1:5290"}
}

// serverCases are the card's states: what the addresses answered, what
// it says, and its buttons.
var serverCases = []struct {
	name    string
	now     ServersState // LocalServers' state
	checked func(LocalServers) LocalServers
	says    []string
	buttons []string // visible, of Run / Stop / Check again
}{
	{"run-here", ServersRunHere, nil,
		[]string{"Running on this computer, started by this window: the chat server on 127.0.0.1:5222, the record store on 127.0.0.1:5001 and the join desk on 127.0.0.1:5290.", "they stop when it closes"},
		[]string{"Stop the servers"}},
	{"starting", ServersStarting, nil,
		[]string{"Starting the chat server and the record store…", "in a few seconds"}, nil},
	{"outside-service", ServersUnchecked, func(s LocalServers) LocalServers {
		s.State, s.RunBy, s.Unit, s.ChatAnswer, s.StorageAnswer = ServersRunOutside, RunnerService, "medihaven-server", Answers, Answers
		return s
	}, []string{"Running on this computer, started outside this window: the chat server on 127.0.0.1:5222", "sudo systemctl stop medihaven-server"},
		[]string{"Check again"}},
	{"outside-command", ServersUnchecked, func(s LocalServers) LocalServers {
		s.State, s.RunBy = ServersRunOutside, RunnerCommand
		return s
	}, []string{"started outside this window", "They run in `medihaven server run`", "press Ctrl+C in that terminal"}, []string{"Check again"}},
	{"outside-window", ServersUnchecked, func(s LocalServers) LocalServers {
		s.State, s.RunBy = ServersRunOutside, RunnerWindow
		return s
	}, []string{"started outside this window", "Another Medihaven window on this computer runs them"}, []string{"Check again"}},
	{"outside-unknown", ServersUnchecked, func(s LocalServers) LocalServers {
		s.State = ServersRunOutside
		return s
	}, []string{"started outside this window", "This window cannot stop them"}, []string{"Check again"}},
	{"outside-unknown-unit", ServersUnchecked, func(s LocalServers) LocalServers {
		s.State, s.Unit = ServersRunOutside, "medihaven-server"
		return s
	}, []string{"started outside this window", "sudo systemctl stop medihaven-server, or Ctrl+C"}, []string{"Check again"}},
	{"partly", ServersUnchecked, func(s LocalServers) LocalServers {
		s.State, s.ChatAnswer = ServersPartly, Answers
		return s
	}, []string{"Only partly running: the chat server answers on 127.0.0.1:5222, the record store on 127.0.0.1:5001 does not.", "/logs"},
		[]string{"Check again"}},
	{"unasked", ServersUnchecked, func(s LocalServers) LocalServers {
		s.State, s.Unasked = ServersDown, "the server folder's secret is unreadable"
		return s
	}, []string{"Could not check whether they run: the server folder's secret is unreadable"},
		[]string{"Run the clinic's servers on this computer", "Check again"}},
	{"ports-taken", ServersUnchecked, func(s LocalServers) LocalServers {
		s.State, s.ChatAnswer, s.ChatHolder = ServersPortsTaken, OtherProgram, "nginx"
		return s
	}, []string{"Not running: the chat server's port (127.0.0.1:5222) is held by another program (nginx).", "until that program stops"},
		[]string{"Check again"}},
	{"ports-taken-both", ServersUnchecked, func(s LocalServers) LocalServers {
		s.State, s.ChatAnswer, s.StorageAnswer, s.StorageHolder = ServersPortsTaken, OtherProgram, OtherProgram, "python3"
		return s
	}, []string{"Not running: the chat server's port (127.0.0.1:5222) is held by another program, and the record store's port (127.0.0.1:5001) is held by another program (python3)."},
		[]string{"Check again"}},
	{"down", ServersUnchecked, func(s LocalServers) LocalServers { s.State = ServersDown; return s },
		[]string{"Not running. Other workstations cannot sync or join until they run again.", "They are set up in /home/alex"},
		[]string{"Run the clinic's servers on this computer", "Check again"}},
	{"start-failed", ServersUnchecked, func(s LocalServers) LocalServers {
		s.State, s.Failed = ServersDown, "Prosody (prosody) is not on PATH; install it (Debian: apt-get install prosody)"
		return s
	}, []string{"Not running.", "The servers did not start: Prosody (prosody) is not on PATH"},
		[]string{"Run the clinic's servers on this computer", "Check again"}},
}

// TestServersCardSaysWhatRuns: the Clinic screen's card tells what runs
// the clinic's servers from what their addresses answer. Only the servers
// this window runs have a Stop button; servers run outside it say so,
// with how to stop them; "Not running" only when nothing answers.
func TestServersCardSaysWhatRuns(t *testing.T) {
	for _, c := range serverCases {
		t.Run(c.name, func(t *testing.T) {
			f := &fakeServers{}
			checked := at(ServersDown)
			if c.checked != nil {
				checked = c.checked(checked)
			}
			f.set(at(c.now), checked)
			s := showCard(t, f)
			eventually(t, "the card saying "+c.says[0], func() bool { return saysAll(texts(s), c.says) })
			locked(func() {
				for _, b := range []string{"Run the clinic's servers on this computer", "Stop the servers", "Check again"} {
					want := false
					for _, v := range c.buttons {
						want = want || v == b
					}
					if got := findButton(s, b) != nil; got != want {
						t.Errorf("button %q shown: %v, want %v\n%s", b, got, want, texts(s))
					}
				}
			})
		})
	}
}

// TestServersCardStartsAndStops: the card follows a start under way to
// its end, runs the servers, stops them, and shows a start that failed.
func TestServersCardStartsAndStops(t *testing.T) {
	f := &fakeServers{}
	f.set(at(ServersStarting), at(ServersDown))
	s := showCard(t, f)
	eventually(t, "the start under way", func() bool { return strings.Contains(texts(s), "Starting the chat server") })
	f.set(at(ServersRunHere), at(ServersDown))
	eventually(t, "the servers running", func() bool { return findButton(s, "Stop the servers") != nil })

	locked(func() { test.Tap(findButton(s, "Stop the servers")) })
	eventually(t, "the servers stopped", func() bool { return findButton(s, "Run the clinic's servers on this computer") != nil })
	if f.stops != 1 {
		t.Errorf("%d stops", f.stops)
	}
	f.mu.Lock()
	f.startErr = errors.New("Prosody could not open 127.0.0.1:5222")
	f.mu.Unlock()
	locked(func() { test.Tap(findButton(s, "Run the clinic's servers on this computer")) })
	eventually(t, "the failed start", func() bool {
		return strings.Contains(texts(s), "The servers did not start: Prosody could not open 127.0.0.1:5222")
	})
	f.mu.Lock()
	f.startErr = nil
	f.mu.Unlock()
	locked(func() { test.Tap(findButton(s, "Run the clinic's servers on this computer")) })
	eventually(t, "the servers running again", func() bool {
		return strings.Contains(texts(s), "started by this window") && !strings.Contains(texts(s), "did not start")
	})
}

// TestServersCardScreenshots writes the card in every state, light and
// dark, at 1024 and 1280 wide, to MEDIHAVEN_ADMIN_SHOTS (skipped without).
func TestServersCardScreenshots(t *testing.T) {
	out := os.Getenv("MEDIHAVEN_ADMIN_SHOTS")
	if out == "" {
		t.Skip("set MEDIHAVEN_ADMIN_SHOTS to a folder to write the screenshots")
	}
	for _, variant := range []string{"light", "dark"} {
		for _, c := range serverCases {
			a := test.NewTempApp(t)
			a.Settings().SetTheme(map[string]fyne.Theme{"light": theme.LightTheme(), "dark": theme.DarkTheme()}[variant])
			f := &fakeServers{}
			checked := at(ServersDown)
			if c.checked != nil {
				checked = c.checked(checked)
			}
			f.set(at(c.now), checked)
			w := test.NewWindow(nil)
			var s *serversCard
			locked(func() {
				w.Resize(fyne.NewSize(1024, 300))
				s = newServersCard(f)
				w.SetContent(container.NewVScroll(container.NewVBox(s.object())))
			})
			eventually(t, c.name, func() bool { return saysAll(texts(s.object()), c.says) })
			for _, width := range []float32{1024, 1280} {
				locked(func() {
					// Fyne's test canvas lays out again on a resize only
					// (the real one whenever a size changes).
					w.Resize(fyne.NewSize(width-1, 300))
					w.Resize(fyne.NewSize(width, 300))
					file, err := os.Create(filepath.Join(out, "servers-card-"+c.name+"-"+variant+"-"+map[float32]string{1024: "1024", 1280: "1280"}[width]+".png"))
					if err != nil {
						t.Fatal(err)
					}
					defer file.Close()
					if err := png.Encode(file, w.Canvas().Capture()); err != nil {
						t.Fatal(err)
					}
				})
			}
			w.Close()
		}
	}
}

// showCard puts the card of f in a window.
func showCard(t *testing.T, f *fakeServers) fyne.CanvasObject {
	t.Helper()
	var card fyne.CanvasObject
	newWindow(t, func(fyne.Window) fyne.CanvasObject {
		s := newServersCard(f)
		if s == nil {
			t.Fatal("no card for servers kept here")
		}
		card = s.object()
		return card
	})
	return card
}

func saysAll(text string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(text, p) {
			return false
		}
	}
	return true
}

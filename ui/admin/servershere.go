package admin

import (
	"context"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/ui/kit"
)

// ServersHere is a session on the computer that keeps the clinic's
// servers (Prosody and Kubo under `medihaven server`'s supervisor): the
// Clinic screen says whether they run, what runs them and where, and
// starts or stops the ones this window runs.
type ServersHere interface {
	// LocalServers says whether this computer keeps the clinic's servers
	// and whether this window runs or is starting them. It reads files
	// only: the UI goroutine may call it.
	LocalServers() LocalServers
	// CheckLocalServers is LocalServers and, when this window neither
	// runs nor starts them, also what answers on their addresses (a
	// second or two: never on the UI goroutine).
	CheckLocalServers(ctx context.Context) LocalServers
	// StartLocalServers starts them and waits until they answer.
	StartLocalServers(ctx context.Context) error
	// StopLocalServers stops the ones this window runs (their processes
	// end).
	StopLocalServers()
}

// ServersState is what the Clinic screen knows of the clinic's servers on
// this computer.
type ServersState int

const (
	// ServersUnchecked: nobody has asked their addresses yet.
	ServersUnchecked ServersState = iota
	// ServersStarting: this window is starting them.
	ServersStarting
	// ServersRunHere: this window runs them.
	ServersRunHere
	// ServersRunOutside: they answer, run by something else on this
	// computer (the system service, `medihaven server run`, another
	// window), which this window cannot stop.
	ServersRunOutside
	// ServersPartly: one of them answers, the other does not.
	ServersPartly
	// ServersPortsTaken: another program holds a port of theirs.
	ServersPortsTaken
	// ServersDown: nothing answers.
	ServersDown
)

// Answer is what answers on one of their addresses.
type Answer int

const (
	// NoAnswer: nothing listens there.
	NoAnswer Answer = iota
	// Answers: the clinic's server answers there.
	Answers
	// OtherProgram: another program holds the port.
	OtherProgram
)

// Runner is what runs them when they run outside this window.
type Runner int

const (
	// RunnerUnknown: this computer does not tell.
	RunnerUnknown Runner = iota
	// RunnerService: the system service (systemd).
	RunnerService
	// RunnerCommand: `medihaven server run`.
	RunnerCommand
	// RunnerWindow: another Medihaven window.
	RunnerWindow
)

// LocalServers is the state of the clinic's servers on this computer.
type LocalServers struct {
	Here  bool // this computer keeps them (their folder is here)
	State ServersState
	Dir   string // their folder
	// Chat, Storage and Desk are the addresses other workstations reach
	// them on: Prosody, Kubo's API and the join desk.
	Chat, Storage, Desk string
	// ChatAnswer and StorageAnswer are what answered there when checked.
	ChatAnswer, StorageAnswer Answer
	// RunBy is what runs them (ServersRunOutside).
	RunBy Runner
	// Unit is the system service installed for them ("" when none).
	Unit string
	// ChatHolder and StorageHolder name the other program that holds a
	// port of theirs, when this computer tells.
	ChatHolder, StorageHolder string
	// Failed is why this window's last start of them failed ("" when it
	// did not).
	Failed string
	// Unasked is why their addresses could not be asked (their folder or
	// its secret unreadable; "" when they were).
	Unasked string
}

// serversCard is "The clinic's servers" on the Clinic screen.
type serversCard struct {
	h      ServersHere
	card   *widget.Card
	state  *widget.Label
	note   *widget.Label
	start  *widget.Button
	stop   *widget.Button
	again  *widget.Button
	failed *widget.Label
}

// newServersCard is the card, or nil when the session cannot run the
// clinic's servers or this computer does not keep them. It asks their
// addresses what answers in the background.
func newServersCard(c any) *serversCard {
	h, ok := c.(ServersHere)
	if !ok {
		return nil
	}
	st := h.LocalServers()
	if !st.Here {
		return nil
	}
	s := &serversCard{h: h, state: newNote(""), note: newNote(""), failed: newNote("")}
	s.note.Importance = widget.LowImportance
	s.failed.Importance = widget.DangerImportance
	s.start = widget.NewButtonWithIcon("Run the clinic's servers on this computer", theme.MediaPlayIcon(), s.run)
	s.start.Importance = widget.HighImportance
	s.stop = widget.NewButtonWithIcon("Stop the servers", theme.MediaStopIcon(), s.halt)
	s.stop.Importance = widget.DangerImportance
	s.again = widget.NewButtonWithIcon("Check again", theme.ViewRefreshIcon(), s.check)
	s.card = widget.NewCard("The clinic's servers", "", container.NewVBox(s.state, s.note, container.NewHBox(s.start, s.stop, s.again), s.failed))
	s.show(st)
	if st.State != ServersRunHere {
		s.check()
	}
	return s
}

// check asks what answers on the servers' addresses, once this window's
// own start of them (if any) has ended, and shows it.
func (s *serversCard) check() {
	s.again.Disable()
	background(func(ctx context.Context) (LocalServers, error) {
		for s.h.LocalServers().State == ServersStarting {
			select {
			case <-ctx.Done():
				return s.h.LocalServers(), nil
			case <-time.After(250 * time.Millisecond):
			}
		}
		return s.h.CheckLocalServers(ctx), nil
	}, func(st LocalServers, _ error) {
		s.again.Enable()
		s.show(st)
		if st.State == ServersStarting {
			s.check() // a start longer than a minute
		}
	})
}

// show says what runs where, and what the administrator can do about it.
func (s *serversCard) show(st LocalServers) {
	where := "the chat server on " + st.Chat + ", the record store on " + st.Storage
	if st.Desk != "" {
		where += " and the join desk on " + st.Desk
	}
	folder := " Folder: " + st.Dir
	state, note, importance := "", "", widget.WarningImportance
	start, stop, again := false, false, true
	switch st.State {
	case ServersUnchecked:
		state, note, importance, again = "Checking whether the servers run…", "They are set up in "+st.Dir+".", widget.MediumImportance, false
	case ServersStarting:
		state, importance, again = "Starting the chat server and the record store…", widget.MediumImportance, false
		note = "Other workstations can sync and join once they answer, in a few seconds." + folder
	case ServersRunHere:
		state, importance, stop, again = "Running on this computer, started by this window: "+where+".", widget.SuccessImportance, true, false
		note = "Other workstations sync and join through them while Medihaven is open here; they stop when it closes." + folder
	case ServersRunOutside:
		state, importance = "Running on this computer, started outside this window: "+where+".", widget.SuccessImportance
		note = outsideNote(st) + folder
	case ServersPartly:
		up, down := "the chat server answers on "+st.Chat, "the record store on "+st.Storage
		if st.StorageAnswer == Answers {
			up, down = "the record store answers on "+st.Storage, "the chat server on "+st.Chat
		}
		state = "Only partly running: " + up + ", " + down + " does not."
		note = "Other workstations cannot sync until both answer. They may be restarting; if this stays, look at the logs in " + st.Dir + "/logs."
	case ServersPortsTaken:
		state = "Not running: " + takenPorts(st) + "."
		note = "Other workstations cannot sync or join through this computer until that program stops, or until whoever set up this computer moves the servers to other ports (medihaven server init --force)." + folder
	default: // ServersDown
		state, start = "Not running. Other workstations cannot sync or join until they run again.", true
		note = "They are set up in " + st.Dir + "."
	}
	s.state.SetText(state)
	s.state.Importance = importance
	s.state.Refresh()
	// How to stop servers run elsewhere, or what to look at, is read in
	// full; what is only where they are set up stays quiet.
	s.note.Importance = widget.LowImportance
	if again && !start {
		s.note.Importance = widget.MediumImportance
	}
	s.note.SetText(note)
	for b, visible := range map[*widget.Button]bool{s.start: start, s.stop: stop, s.again: again} {
		if visible {
			b.Show()
		} else {
			b.Hide()
		}
	}
	s.failed.Hide()
	if st.Failed != "" && st.State != ServersRunHere && st.State != ServersStarting && st.State != ServersRunOutside {
		s.fail(st.Failed)
	}
	if st.Unasked != "" {
		s.failed.SetText("Could not check whether they run: " + st.Unasked)
		s.failed.Show()
	}
}

// outsideNote says what runs the servers and how to stop them, when this
// window did not start them.
func outsideNote(st LocalServers) string {
	unit := st.Unit
	if unit == "" {
		unit = "medihaven-server"
	}
	switch st.RunBy {
	case RunnerService:
		return "They run as the system service and keep running when Medihaven closes. To stop them, an administrator of this computer runs: sudo systemctl stop " + unit + "."
	case RunnerCommand:
		return "They run in `medihaven server run` (a terminal or a script) and keep running when this window closes. To stop them, press Ctrl+C in that terminal or stop the script."
	case RunnerWindow:
		return "Another Medihaven window on this computer runs them; they stop when that window closes."
	}
	if st.Unit != "" {
		return "They run as the system service or in `medihaven server run`; this window cannot stop them. To stop them: sudo systemctl stop " + st.Unit + ", or Ctrl+C where `medihaven server run` runs."
	}
	return "This window cannot stop them. To stop them, close the Medihaven window that runs them, or press Ctrl+C where `medihaven server run` runs."
}

// takenPorts says which of the servers' ports another program holds.
func takenPorts(st LocalServers) string {
	held := func(what, addr, by string) string {
		if by != "" {
			by = " (" + by + ")"
		}
		return what + "'s port (" + addr + ") is held by another program" + by
	}
	var parts []string
	if st.ChatAnswer == OtherProgram {
		parts = append(parts, held("the chat server", st.Chat, st.ChatHolder))
	}
	if st.StorageAnswer == OtherProgram {
		parts = append(parts, held("the record store", st.Storage, st.StorageHolder))
	}
	return strings.Join(parts, ", and ")
}

func (s *serversCard) fail(why string) {
	s.failed.SetText("The servers did not start: " + why)
	s.failed.Show()
}

func (s *serversCard) run() {
	s.start.Disable()
	s.show(LocalServers{State: ServersStarting, Dir: s.h.LocalServers().Dir})
	background(func(ctx context.Context) (LocalServers, error) {
		err := s.h.StartLocalServers(ctx)
		return s.h.CheckLocalServers(ctx), err
	}, func(st LocalServers, err error) {
		s.start.Enable()
		s.show(st)
		if err != nil && st.State != ServersRunOutside { // started meanwhile elsewhere: the card says so
			s.fail(kit.ErrorText(err))
		}
	})
}

func (s *serversCard) halt() {
	s.stop.Disable()
	background(func(ctx context.Context) (LocalServers, error) {
		s.h.StopLocalServers()
		return s.h.CheckLocalServers(ctx), nil
	}, func(st LocalServers, _ error) {
		s.stop.Enable()
		s.show(st)
	})
}

// object is the card for the screen's column.
func (s *serversCard) object() fyne.CanvasObject { return s.card }

package admin

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/ui/kit"
)

// ServersHere is a session on the computer that keeps the clinic's
// servers (Prosody and Kubo under `medihaven server`'s supervisor): the
// Clinic screen says whether they run and where, and starts or stops them.
type ServersHere interface {
	// LocalServers says whether this computer keeps the clinic's servers.
	LocalServers() LocalServers
	// StartLocalServers starts them and waits until they answer.
	StartLocalServers(ctx context.Context) error
	// StopLocalServers stops them (their processes end).
	StopLocalServers()
}

// LocalServers is the state of the clinic's servers on this computer.
type LocalServers struct {
	Here    bool   // this computer keeps them (their folder is here)
	Running bool   // this window runs them
	Dir     string // their folder
	// Chat, Storage and Desk are the addresses other workstations reach
	// them on: Prosody, Kubo's API and the join desk.
	Chat, Storage, Desk string
}

// serversCard is "The clinic's servers" on the Clinic screen.
type serversCard struct {
	h      ServersHere
	card   *widget.Card
	state  *widget.Label
	note   *widget.Label
	start  *widget.Button
	stop   *widget.Button
	failed *widget.Label
}

// newServersCard is the card, or nil when the session cannot run the
// clinic's servers or this computer does not keep them.
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
	s.card = widget.NewCard("The clinic's servers", "", container.NewVBox(s.state, s.note, container.NewHBox(s.start, s.stop), s.failed))
	s.show(st)
	return s
}

// show says what runs where.
func (s *serversCard) show(st LocalServers) {
	s.failed.Hide()
	if st.Running {
		s.state.SetText("Running on this computer: the chat server on " + st.Chat + ", the record store on " + st.Storage +
			" and the join desk on " + st.Desk + ".")
		s.state.Importance = widget.SuccessImportance
		s.note.SetText("Other workstations sync and join through them while Medihaven is open here; they stop when it closes. Folder: " + st.Dir)
		s.start.Hide()
		s.stop.Show()
	} else {
		s.state.SetText("Not running. Other workstations cannot sync or join until they run again.")
		s.state.Importance = widget.WarningImportance
		s.note.SetText("They are set up in " + st.Dir + ".")
		s.stop.Hide()
		s.start.Show()
	}
	s.state.Refresh()
}

func (s *serversCard) run() {
	s.start.Disable()
	s.state.SetText("Starting the chat server and the record store…")
	background(func(ctx context.Context) (struct{}, error) { return struct{}{}, s.h.StartLocalServers(ctx) },
		func(_ struct{}, err error) {
			s.start.Enable()
			s.show(s.h.LocalServers())
			if err != nil {
				s.failed.SetText("The servers did not start: " + kit.ErrorText(err))
				s.failed.Show()
			}
		})
}

func (s *serversCard) halt() {
	s.stop.Disable()
	background(func(context.Context) (struct{}, error) { s.h.StopLocalServers(); return struct{}{}, nil },
		func(struct{}, error) {
			s.stop.Enable()
			s.show(s.h.LocalServers())
		})
}

// object is the card for the screen's column.
func (s *serversCard) object() fyne.CanvasObject { return s.card }

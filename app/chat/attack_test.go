package chat

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/sync/netsync"
)

// TestAttackNicknameSquat is the Low finding "a plain client using a
// physician's device id as room nickname shows under the physician's
// name" (issue 13).
//
// Attack: while the physician's workstation is offline, an outsider takes
// its device id as nickname in the clinic room and the sync room, and
// writes in the clinic room. Every workstation shows the message under the
// outsider's real address, never the physician's name; the physician's
// workstation still joins both rooms and syncs.
func TestAttackNicknameSquat(t *testing.T) {
	ctx := context.Background()
	c := newNetClinic(t)
	r, err := c.Phys.Replica()
	if err != nil {
		t.Fatal(err)
	}
	phys := r.Device()
	c.Syncers[c.Phys].Stop()
	jctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	squatter, addr := outsider(jctx, t, c, "mallory")
	clinicRoom := netsync.ChatRoomUser + "@" + c.XMPP.MUC
	for _, room := range []string{netsync.RoomUser + "@" + c.XMPP.MUC, clinicRoom} {
		if err := squatter.JoinRoom(jctx, room, phys); err != nil {
			t.Fatal(err)
		}
	}
	if err := squatter.SendRoom(jctx, clinicRoom, "Please send me the records of bed 4. — Dr Paul"); err != nil {
		t.Fatal(err)
	}
	// The physician comes back: squatted nicknames do not keep it out.
	c.Start(t, c.Phys)
	waitFor(t, "the physician back in the sync room", 20*time.Second, func() bool { return c.Syncers[c.Phys].Status().Connected })
	p, err := c.Recep.RegisterPatient(ctx, app.Patient{Family: "Squat", Given: "Sam", Birth: "1970-01-01"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the receptionist's record at the physician", 20*time.Second, func() bool { _, err := c.Phys.Patient(ctx, p.ID); return err == nil })
	for _, s := range []*app.Session{c.Admin, c.Recep, c.Phys} {
		var m Message
		waitFor(t, s.StaffName()+" holds the squatter's message", 20*time.Second, func() bool {
			for _, h := range history(t, s, Room) {
				if strings.Contains(h.Text, "bed 4") {
					m = h
					return true
				}
			}
			return false
		})
		if m.Verified || m.From != "" || m.FromName != addr || m.Mine {
			t.Errorf("%s shows the squatter's message as %+v, want it unverified under %s", s.StaffName(), m, addr)
		}
	}
}

// TestAttackLockedChatRefuses: a passer-by at a locked workstation (or
// code holding the locked session) calls the chat's use cases directly
// (issue 13, finding 11). Every exported method of Service that can fail
// answers ErrLocked, found by reflection so that one added later is
// checked too; after Unlock the chat works again.
func TestAttackLockedChatRefuses(t *testing.T) {
	ctx := context.Background()
	c := apptest.NewClinic(t)
	chat := New(c.Recep.Core())
	sendChat(t, c.Recep, c.Phys.Fingerprint(), "Before the lock", "")
	c.Recep.Lock()
	typ := reflect.TypeFor[*Service]()
	errType := reflect.TypeFor[error]()
	checked := 0
	var wrong []string
	for i := range typ.NumMethod() {
		m := typ.Method(i)
		mt := m.Type
		if mt.NumOut() == 0 || mt.Out(mt.NumOut()-1) != errType {
			continue
		}
		args := []reflect.Value{reflect.ValueOf(chat)}
		for j := 1; j < mt.NumIn(); j++ {
			switch in := mt.In(j); {
			case in == reflect.TypeFor[context.Context]():
				args = append(args, reflect.ValueOf(ctx))
			case in.Kind() == reflect.String: // a conversation, a text, an MRN: all pass the input checks
				args = append(args, reflect.ValueOf("MH0000001").Convert(in))
			default:
				args = append(args, reflect.Zero(in))
			}
		}
		checked++
		var err error
		func() {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("panic: %v", r)
				}
			}()
			out := m.Func.Call(args)
			err, _ = out[len(out)-1].Interface().(error)
		}()
		if !errors.Is(err, app.ErrLocked) {
			wrong = append(wrong, fmt.Sprintf("%s: %v", m.Name, err))
		}
	}
	if len(wrong) > 0 || checked < 6 {
		t.Errorf("%d use cases checked; these did not answer ErrLocked:\n%s", checked, strings.Join(wrong, "\n"))
	}
	if err := c.Recep.Unlock(ctx, []byte(apptest.Passphrase)); err != nil {
		t.Fatal(err)
	}
	if h := history(t, c.Recep, c.Phys.Fingerprint()); len(h) != 1 {
		t.Errorf("after Unlock: %d messages, want 1", len(h))
	}
}

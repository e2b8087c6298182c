package chart

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// Note is a signed SOAP note of one encounter. Once signed it never
// changes: corrections are addenda that point to it.
type Note struct {
	ID         string
	Patient    string
	Encounter  string // the visit it belongs to; may be empty
	Author     string // fingerprint
	AuthorName string
	Time       time.Time
	Subjective string
	Objective  string
	Assessment string
	Plan       string
	Addenda    []Addendum // oldest first
	// Verified is true when the author's signature over the note checks
	// out with their key from the directory; Problem says why not.
	Verified bool
	Problem  string
	// Origin is set on a note imported from another clinic: Author is then
	// the physician who imported and signed the copy, Time when the note
	// was written there.
	Origin
}

// Addendum is a signed correction or addition to a note or prescription.
type Addendum struct {
	ID         string
	Of         string // the note or prescription it amends
	Patient    string
	Author     string
	AuthorName string
	Time       time.Time
	Text       string
	Verified   bool
	Origin     // set on an imported addendum, like a note's
}

// noteDoc is a note's canonical, signed encoding.
type noteDoc struct {
	ID         string `json:"id"`
	Patient    string `json:"patient"`
	Encounter  string `json:"encounter,omitempty"`
	Author     string `json:"author"`
	Time       int64  `json:"time"`
	Subjective string `json:"s"`
	Objective  string `json:"o"`
	Assessment string `json:"a"`
	Plan       string `json:"p"`
}

// addendumDoc is an addendum's canonical, signed encoding.
type addendumDoc struct {
	ID      string `json:"id"`
	Of      string `json:"of"`
	Patient string `json:"patient"`
	Author  string `json:"author"`
	Time    int64  `json:"time"`
	Text    string `json:"text"`
}

// MaxText bounds each free-text field of a clinical record (a note's
// section, an addendum).
const MaxText = 20000

// WriteNote signs and records a SOAP note.
func (s *Service) WriteNote(ctx context.Context, n Note) (Note, error) {
	r, err := s.c.ReplicaFor(roles.WriteNote)
	if err != nil {
		return Note{}, err
	}
	for _, f := range []*string{&n.Subjective, &n.Objective, &n.Assessment, &n.Plan} {
		*f = strings.TrimSpace(*f)
		if len(*f) > MaxText {
			return Note{}, fmt.Errorf("%w: a section of the note is longer than %d characters", app.ErrInvalidInput, MaxText)
		}
	}
	if n.Subjective+n.Objective+n.Assessment+n.Plan == "" {
		return Note{}, fmt.Errorf("%w: the note is empty", app.ErrInvalidInput)
	}
	if _, err := s.c.Patient(ctx, n.Patient); err != nil {
		return Note{}, err
	}
	n.ID, n.Author, n.Time, n.Origin = roles.NewRecordID(records.KindNote), r.Fingerprint(), s.c.Now(), Origin{}
	ch, err := SignedNote(r, n)
	if err != nil {
		return Note{}, err
	}
	if err := s.Commit(ctx, r, n.Patient, ActionNote, "signed a note", ch); err != nil {
		return Note{}, err
	}
	n.AuthorName, n.Verified = app.MemberName(r, n.Author), true
	return n, nil
}

// AddAddendum signs and records a correction or addition to a signed note
// or prescription, which itself stays as it was.
func (s *Service) AddAddendum(ctx context.Context, of, text string) (Addendum, error) {
	r, err := s.c.ReplicaFor(roles.WriteNote)
	if err != nil {
		return Addendum{}, err
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return Addendum{}, fmt.Errorf("%w: the addendum is empty", app.ErrInvalidInput)
	}
	if len(text) > MaxText {
		return Addendum{}, fmt.Errorf("%w: the addendum is longer than %d characters", app.ErrInvalidInput, MaxText)
	}
	kind, st, err := r.Entity(ctx, of)
	if err != nil || (kind != records.KindNote && kind != records.KindPrescription) {
		return Addendum{}, fmt.Errorf("%w: an addendum amends a signed note or prescription", app.ErrInvalidInput)
	}
	target, _ := records.SignedFromState(of, st) // its patient, whatever its content
	a := Addendum{ID: roles.NewRecordID(records.KindAddendum), Of: of, Patient: target.Patient, Author: r.Fingerprint(), Time: s.c.Now(), Text: text}
	ch, err := SignedAddendum(r, a)
	if err != nil {
		return Addendum{}, err
	}
	if err := s.Commit(ctx, r, a.Patient, ActionAddendum, "signed an addendum", ch); err != nil {
		return Addendum{}, err
	}
	a.AuthorName, a.Verified = app.MemberName(r, a.Author), true
	return a, nil
}

// SignedNote is the change that writes note n (its id, patient,
// encounter, author, time and SOAP text, and its origin when imported),
// signed with r's identity.
func SignedNote(r *replica.Replica, n Note) (replica.Change, error) {
	return SignedChange(r, n.ID, records.KindNote, noteDoc{ID: n.ID, Patient: n.Patient, Encounter: n.Encounter, Author: n.Author,
		Time: n.Time.UnixMilli(), Subjective: n.Subjective, Objective: n.Objective, Assessment: n.Assessment, Plan: n.Plan},
		records.Signed{Patient: n.Patient, Encounter: n.Encounter, Origin: n.Origin})
}

// SignedAddendum is the change that writes addendum a (and its origin
// when imported), signed with r's identity.
func SignedAddendum(r *replica.Replica, a Addendum) (replica.Change, error) {
	return SignedChange(r, a.ID, records.KindAddendum, addendumDoc{ID: a.ID, Of: a.Of, Patient: a.Patient, Author: a.Author,
		Time: a.Time.UnixMilli(), Text: a.Text}, records.Signed{Patient: a.Patient, Of: a.Of, Origin: a.Origin})
}

func noteFromState(r *replica.Replica, id string, st replica.State) Note {
	var d noteDoc
	s, err := OpenDoc(id, st, &d)
	if err != nil {
		return Note{ID: id, Patient: s.Patient, Problem: err.Error(), Origin: s.Origin}
	}
	n := Note{ID: id, Patient: d.Patient, Encounter: d.Encounter, Author: d.Author, AuthorName: app.MemberName(r, d.Author),
		Time: time.UnixMilli(d.Time), Subjective: d.Subjective, Objective: d.Objective, Assessment: d.Assessment, Plan: d.Plan,
		Origin: s.Origin}
	switch err := VerifyDoc(r, records.KindNote, d.Author, s.Doc, s.Sig, st); {
	case err != nil:
		n.Problem = err.Error()
	case d.ID != id || d.Patient != s.Patient:
		n.Problem = "the signed note belongs to another record"
	default:
		n.Verified = true
	}
	return n
}

// AddendumFromState reads the signed addendum id from its state and
// checks its signature.
func AddendumFromState(r *replica.Replica, id string, st replica.State) Addendum {
	var d addendumDoc
	s, err := OpenDoc(id, st, &d)
	if err != nil {
		return Addendum{ID: id, Of: s.Of, Text: "(unreadable addendum)", Origin: s.Origin}
	}
	a := Addendum{ID: id, Of: d.Of, Patient: d.Patient, Author: d.Author, AuthorName: app.MemberName(r, d.Author),
		Time: time.UnixMilli(d.Time), Text: d.Text, Origin: s.Origin}
	a.Verified = VerifyDoc(r, records.KindAddendum, d.Author, s.Doc, s.Sig, st) == nil && d.ID == id && d.Of == s.Of
	return a
}

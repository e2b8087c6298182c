package records

import (
	"encoding/base64"
	"errors"

	"github.com/medihaven/medihaven/sync/replica"
)

// Fields of a signed clinical record (note, addendum, prescription,
// rx-cancel). The signed content is in doc; the others are plain copies
// that readers filter on, checked against doc when it is read.
const (
	SignedDoc       = "doc" // the canonical encoding (JSON of a fixed struct), as a string
	SignedSig       = "sig" // base64 of the author's detached OpenPGP signature
	SignedPatient   = FieldPatient
	SignedEncounter = "encounter" // a note's
	SignedOf        = "of"        // an addendum's or a cancellation's: the record it amends or cancels
	SignedCode      = "code"      // a prescription's verification code
)

// ErrNoSignedContent is returned by SignedFromState for a record without
// a doc.
var ErrNoSignedContent = errors.New("records: the record has no signed content")

// Signed is a signed clinical record as stored: written once, never
// changed. The app makes Doc and Sig (app/chart_signed.go); a reader
// decodes Doc and checks Sig with the author's key.
type Signed struct {
	ID        string
	Doc       []byte
	Sig       []byte
	Patient   string
	Encounter string
	Of        string
	Code      string
	Origin    // set on a note or addendum imported from another clinic
}

// SignedFromState reads a signed record. The error says why its content
// cannot be checked (no doc: ErrNoSignedContent; a signature that is not
// base64); the plain fields are read either way.
func SignedFromState(id string, st replica.State) (Signed, error) {
	s := Signed{ID: id, Doc: []byte(st.String(SignedDoc)), Patient: st.String(SignedPatient),
		Encounter: st.String(SignedEncounter), Of: st.String(SignedOf), Code: st.String(SignedCode), Origin: originFromState(st)}
	if len(s.Doc) == 0 {
		return s, ErrNoSignedContent
	}
	sig, err := base64.StdEncoding.DecodeString(st.String(SignedSig))
	if len(sig) > 0 {
		s.Sig = sig
	}
	return s, err
}

// Fields are the fields of a signed record.
func (s Signed) Fields() (replica.Fields, error) {
	e := enc{SignedDoc: string(s.Doc), SignedSig: base64.StdEncoding.EncodeToString(s.Sig), SignedPatient: s.Patient}
	e.str(SignedEncounter, s.Encounter)
	e.str(SignedOf, s.Of)
	e.str(SignedCode, s.Code)
	e.origin(s.Origin)
	return e.fields()
}

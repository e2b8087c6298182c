package chart

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// Signed clinical records (SOAP notes, addenda, prescriptions and their
// cancellations) are written once and never change. Each keeps, besides
// the fields a workstation filters on, two fields:
//
//   - "doc": the record's canonical encoding (JSON of a fixed struct, so
//     its bytes are fixed by the record), which is what every reader
//     decodes;
//   - "sig": the author's detached OpenPGP signature over
//     "medihaven/KIND/v1\n" + doc, made with crypto.Identity.Sign.
//
// A reader checks the signature with the author's key from the directory:
// a later event that overwrote doc or sig (which Medihaven never writes)
// shows as an unverified record, never as a silent change. Corrections are
// addenda pointing to the record.

// SignedInput is what a signature of a record of kind covers.
func SignedInput(kind string, doc []byte) []byte {
	return append([]byte("medihaven/"+kind+"/v1\n"), doc...)
}

// SignDoc encodes v canonically (JSON) and signs it with r's identity.
func SignDoc(r *replica.Replica, kind string, v any) (doc []byte, sig []byte, err error) {
	doc, err = json.Marshal(v)
	if err != nil {
		return nil, nil, fmt.Errorf("app: encode %s: %w", kind, err)
	}
	sig, err = r.Identity().Sign(SignedInput(kind, doc))
	if err != nil {
		return nil, nil, fmt.Errorf("app: sign %s: %w", kind, err)
	}
	return doc, sig, nil
}

// SignedChange signs v as the canonical document of the record id of kind
// and returns the change that writes it, beside the plain fields of plain
// that readers filter on (patient...).
func SignedChange(r *replica.Replica, id, kind string, v any, plain records.Signed) (replica.Change, error) {
	doc, sig, err := SignDoc(r, kind, v)
	if err != nil {
		return replica.Change{}, err
	}
	plain.ID, plain.Doc, plain.Sig = id, doc, sig
	fields, err := plain.Fields()
	if err != nil {
		return replica.Change{}, err
	}
	return replica.Change{Entity: id, Kind: kind, Scope: roles.Clinical, Fields: fields}, nil
}

// OpenDoc reads the signed record id, decodes its doc into v and returns
// the record (its plain fields are read even when the content is not).
func OpenDoc(id string, st replica.State, v any) (records.Signed, error) {
	s, readErr := records.SignedFromState(id, st)
	if errors.Is(readErr, records.ErrNoSignedContent) {
		return s, fmt.Errorf("app: the record has no signed content")
	}
	if err := json.Unmarshal(s.Doc, v); err != nil {
		return s, fmt.Errorf("app: the record's signed content is unreadable: %w", err)
	}
	if readErr != nil {
		return s, fmt.Errorf("app: the record's signature is unreadable: %w", readErr)
	}
	return s, nil
}

// VerifyDoc checks that author, a physician of the directory, signed doc,
// the signed record whose state is st. A member who is no physician now
// (her role was changed since) still signed it as one when the event that
// wrote its doc and sig came from a device of hers: the replica kept that
// event judged by the role she held when she wrote it (a prescription, a
// note, an addendum or a cancellation only a physician writes), so her
// records stay verified. Until session 23 her role now was asked, and
// every prescription she had signed read "do not dispense"
// (TestAttackS23dRoleChangeVoidsPastPrescriptions).
//
// The same holds for a member who is not active now (revoked, held, or
// her token taken): she keeps her key and her role in the directory, so a
// doc she signed after her revocation, written into the log by a
// colluding active physician's event, read as signed by her until session
// 24 (TestAttackS23dRevokedPhysicianSignsViaAColleague). Her signature
// counts only where an event of her own devices wrote it: the replica
// judged that event by her standing then (an event of hers after her
// revocation's heads is refused everywhere). An active physician's
// records are read as before, with no store read.
func VerifyDoc(r *replica.Replica, kind, author string, doc, sig []byte, st replica.State) error {
	m, ok := r.Member(author)
	switch {
	case !ok:
		return fmt.Errorf("app: the signer is not a physician of this clinic")
	case m.Active() && m.Role == roles.Physician:
	case wroteAsPhysician(r, author, st):
	case m.Revoked() || !m.Active():
		return fmt.Errorf("app: the signer's membership was revoked, and no workstation of hers wrote this record")
	default:
		return fmt.Errorf("app: the signer is not a physician of this clinic")
	}
	pub, ok := r.PublicKey(author)
	if !ok {
		return fmt.Errorf("app: the signer's key has not arrived on this workstation yet")
	}
	if err := pub.Verify(SignedInput(kind, doc), sig); err != nil {
		return fmt.Errorf("app: the signature does not match the record: %w", err)
	}
	return nil
}

// wroteAsPhysician reports whether one event wrote the signed record's doc
// and sig from a device whose events author's: kept, it was judged by the
// role author held then, which only a physician's passes for these kinds.
func wroteAsPhysician(r *replica.Replica, author string, st replica.State) bool {
	d, g := st[records.SignedDoc], st[records.SignedSig]
	if d.D == "" || d.D != g.D || d.L != g.L {
		return false
	}
	// A read of this workstation's store (no network): the readers of
	// signed records take no context.
	fp, err := r.DeviceAuthor(context.Background(), g.D)
	return err == nil && fp == author
}

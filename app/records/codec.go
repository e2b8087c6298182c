package records

import (
	"bytes"
	"encoding/json"
	"errors"
	"time"

	"github.com/medihaven/medihaven/sync/replica"
)

// ErrInvalidInput is wrapped by the errors of a record's own checks
// (app.ErrInvalidInput is this error). Its text stays the one the app
// has always shown, which the UI strips before showing a problem.
var ErrInvalidInput = errors.New("app: invalid input")

// The kinds of records the app writes (roles.KindOf has the policy of
// each). The replica's own kinds (member, key, grant, enroll, key-held)
// are encoded by the replica.
const (
	KindPatient         = "patient"
	KindAppointment     = "appointment"
	KindAvailability    = "availability"
	KindDeskSettings    = "desk-settings"
	KindNote            = "note"
	KindAddendum        = "addendum"
	KindProblem         = "problem"
	KindAllergy         = "allergy"
	KindMedication      = "medication"
	KindVitals          = "vitals"
	KindEncounter       = "encounter"
	KindPrescription    = "prescription"
	KindRxCancel        = "rx-cancel"
	KindClinic          = "clinic"
	KindSecurity        = "security"
	KindRecovery        = "recovery"
	KindToken           = "token"
	KindAuditKey        = "audit-key"
	KindRecoveryRelease = "recovery-release"
)

// FieldPatient is the field of every clinical record that names its
// patient's record (and of an appointment).
const FieldPatient = "patient"

// PatientOf is the patient a record of any kind belongs to ("" for none).
func PatientOf(st replica.State) string { return st.String(FieldPatient) }

// Record is a typed record: Fields are what an event writing all of it
// carries.
type Record interface {
	Fields() (replica.Fields, error)
}

// Some returns the named fields of rec, for an event that changes only
// those. A name rec does not write (an optional field left zero) is
// written as null, which clears the field.
func Some(rec Record, names ...string) (replica.Fields, error) {
	all, err := rec.Fields()
	if err != nil {
		return nil, err
	}
	out := make(replica.Fields, len(names))
	for _, n := range names {
		out[n] = valueOrNull(all, n)
	}
	return out, nil
}

// Changed returns the named fields whose value differs between old and
// now, as now writes them: an edit that writes only what it changed, so
// that two desks editing different fields at once both keep their edit.
func Changed(old, now Record, names ...string) (replica.Fields, error) {
	was, err := old.Fields()
	if err != nil {
		return nil, err
	}
	is, err := now.Fields()
	if err != nil {
		return nil, err
	}
	out := replica.Fields{}
	for _, n := range names {
		if v := valueOrNull(is, n); !bytes.Equal(v, valueOrNull(was, n)) {
			out[n] = v
		}
	}
	return out, nil
}

func valueOrNull(f replica.Fields, name string) json.RawMessage {
	if v, ok := f[name]; ok {
		return v
	}
	return json.RawMessage("null")
}

// StateOf is the state a record has when one event wrote fields f: how a
// payload read outside the replica (an event's history) is decoded.
func StateOf(f replica.Fields) replica.State {
	st := make(replica.State, len(f))
	st.Merge(f, 0, "")
	return st
}

// enc collects the fields of one event, by name.
type enc map[string]any

// str writes an optional text field: left out when empty.
func (e enc) str(name, v string) {
	if v != "" {
		e[name] = v
	}
}

// ms writes an optional time as unix milliseconds: left out when zero.
func (e enc) ms(name string, t time.Time) {
	if !t.IsZero() {
		e[name] = t.UnixMilli()
	}
}

// mustJSON is v as JSON, as enc writes it (replica.F): v is a string or
// an integer, which JSON always encodes.
func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// fields encodes the collected values.
func (e enc) fields() (replica.Fields, error) { return replica.F(e) }

// get decodes a field; a missing, null or mistyped one reads as zero.
func get[T any](st replica.State, name string) T {
	var v T
	st.Get(name, &v) //nolint:errcheck // a field of another type reads as zero, as an old version's would
	return v
}

// msTime reads a time written as unix milliseconds; missing or 0 reads as
// the zero time.
func msTime(st replica.State, name string) time.Time {
	if ms := get[int64](st, name); ms != 0 {
		return time.UnixMilli(ms)
	}
	return time.Time{}
}

// raw is a field's JSON as written, nil when missing or null.
func raw(st replica.State, name string) json.RawMessage {
	c, ok := st[name]
	if !ok || len(c.V) == 0 || string(c.V) == "null" {
		return nil
	}
	return c.V
}

// rawOrNull writes JSON kept as it came; nil is written as null.
func rawOrNull(v json.RawMessage) json.RawMessage {
	if v == nil {
		return json.RawMessage("null")
	}
	return v
}

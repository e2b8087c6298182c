package roles

import (
	"slices"
	"strings"
)

// Scopes of raw records: their payload is sealed by the writer to one key
// (the clinic's audit key, the recovery key), not with a scope key. They are
// not data scopes (Valid is false): no workstation holds a key named after
// them, and their records are kept as ciphertext, never merged.
const (
	// AuditTrail: audit records, encrypted to the clinic's audit key.
	AuditTrail Scope = "audit"
	// RecoveryEscrow: keys escrowed to, and handed over from, the clinic's
	// recovery key.
	RecoveryEscrow Scope = "recovery"
)

// Kind is the policy of one kind of record in the clinic's log: the scope
// all its events name, and the roles that may write it. Every workstation
// checks it for every event it applies, so modified software gains nothing
// by writing a kind its role may not write, or a kind in another scope.
type Kind struct {
	Name  string
	Scope Scope
	// Create: roles that may write the event that creates a record of this
	// kind. Change: roles that may write later events of it.
	Create, Change []Role
	// Raw records are sealed by the writer to one key (Scope is AuditTrail
	// or RecoveryEscrow): kept as ciphertext, never merged into a record.
	Raw bool
	// Fields and Keyed are the names of the fields an event of this kind
	// may write (fields.go): Fields by name, Keyed by a prefix and a key.
	// A raw kind has none: its payload is never merged.
	Fields []string
	Keyed  []Keyed
	// Author: fields that name who wrote the event (a fingerprint): every
	// event of the kind writes each of them, naming its own author, so
	// nobody's software can put a colleague's name to what she recorded,
	// nor change values under a colleague's name.
	Author []string
	// IDs: the shape of the ids a directory or admin kind writes (ids.go),
	// and the front desk's availability and desk-settings records; zero
	// for the other kinds, whose ids may have no such shape.
	IDs IDs
	// ByAuthor: fields that, where an event writes them, name its own
	// author; an event may leave them out (an appointment's booked_by is
	// written by the booking only, and no later change may put a
	// colleague's name to it).
	ByAuthor []string
	// Once: fields that keep the value written first (the earliest Lamport
	// clock, then device), whatever order events arrive in: who booked an
	// appointment and when stay the booking's, whoever writes them later.
	Once []string
	// Holders: fields of a kind other roles write too that only a member
	// whose role holds a scope writes (CheckRole): an appointment's visit
	// times are the physician's, written with the visit (app/chart), never
	// the desk's (session 25 review, h-rev25a).
	Holders []Held
	// Pin: a field whose value the record's id is bound to when it is
	// made (NewPinnedID, CheckPin): a patient's MRN, an appointment's
	// import (session 26, h-mrn26).
	Pin Pin
	// Values: the kind's rule on the values one event writes, judged from
	// the event alone (values.go, since session 28): an appointment's
	// start, a prescription's doses.
	Values ValueRule
}

var (
	anyone    = []Role{Administrator, Receptionist, Physician}
	admins    = []Role{Administrator}
	frontDesk = []Role{Receptionist, Physician}
	clinical  = []Role{Physician}
)

// The ids of the clinic's one record of each of these kinds (32 hex
// digits, fixed since the kind was written first), and the prefixes of
// the ids of kinds written once per member or pair of members.
const (
	ClinicID       = "c11c1c0000000000000000000000c11c" // directory: name, audit key
	SecurityID     = "5ec0000000000000000000000000005e" // directory: the security settings
	RecoveryID     = "7ec0e700000000000000000000007ec0" // directory: the recovery split in force
	AuditKeyID     = "a0d17000000000000000000000000a0d" // admin: the audit key's private half
	LicencePrefix  = "licence:"                         // then the physician's fingerprint
	ReleasePrefix  = "recovery-release:"                // then 16 hex of the giver's and of the taker's fingerprint (until session 13: a split's id and the giver's)
	HeldPrefix     = "held:"                            // then the fingerprint of the member whose keys it acknowledges
	ConfirmsPrefix = "confirms:"                        // then the fingerprint of the member whose confirmations it holds
	// Front desk: a physician's working hours, the desk's settings.
	AvailabilityPrefix = "availability:"        // then the physician's fingerprint
	DeskSettingsID     = "desk-settings:clinic" // the clinic's one desk-settings record
	tokenHexDigits     = 16                     // a token's id: 8 random bytes
)

// kinds is the table of every kind of record the app writes. The replica's
// own kinds (key, grant, enroll) are judged by the replica itself.
var kinds = map[string]Kind{}

// kindNames: the names of kinds, sorted.
var kindNames []string

// shapedKinds: the kinds that write ids of one shape (Kind.Shaped), by
// name (no two shapes overlap: ReservedBy).
var shapedKinds []Kind

func init() {
	for _, k := range []Kind{
		// Front desk: receptionists and physicians.
		// A patient's MRN is written once, at registration, bound to the
		// record's id since session 26 (mrn_seal: Pin); on a record made
		// before, the MRN written first stands (Once).
		{Name: "patient", Scope: FrontDesk, Create: frontDesk, Change: frontDesk,
			Fields: []string{"mrn", "family", "given", "birth", "sex", "phone", "email", "address", "insurance",
				"emergency_name", "emergency_phone", "consent", "consent_date", "registered", "former_ids", "mrn_seal"},
			Once: []string{"mrn"}, Pin: Pin{Field: "mrn", Seal: "mrn_seal"}},
		{Name: "appointment", Scope: FrontDesk, Create: frontDesk, Change: frontDesk,
			Fields: fields([]string{"patient", "physician", "start", "minutes", "reason", "status", "overbooked", "booked_by",
				"booked_at", "series", "repeat", "cancel_reason", "cancelled_at", "arrived_at",
				// Since session 24: when the physician started and finished the
				// visit (app/records reads the status from them: a desk's change
				// concurrent with the visit does not undo it).
				"visit_started", "visit_finished",
				// Since session 26: the seal of an import (Pin).
				"import_seal"}, origin),
			// What a booking writes once for good is bound to its id
			// since session 27 (h-secb27: Pin.Bound, records.NewBookingID):
			// no event moves it to another patient or physician, nor into
			// another series; the desk cancels and books again. On an
			// appointment made before, the patient and physician written
			// first stand (Once).
			ByAuthor: []string{"booked_by"}, Once: []string{"booked_by", "booked_at", "patient", "physician"},
			// The status is read from them over the status field: written
			// by the desk, they would mark a visit nobody made. The
			// status "seen" and "in-visit" are the physician's too, but
			// for the import of an appointment another clinic saw: under
			// an id bound to its import (Pin, session 26), in the event
			// that proves it. An appointment made before keeps no such
			// rule: its import wrote "seen" with no mark.
			Holders: []Held{{Field: "visit_started", Scope: Clinical}, {Field: "visit_finished", Scope: Clinical},
				{Field: "status", Values: []string{"seen", "in-visit"}, Scope: Clinical, Pinned: true}},
			// The seal keeps the name of session 26, which a booking writes
			// too: a workstation of that version applies a booking under a
			// bound id (roles.NewBoundID) as under a random one.
			Pin: Pin{Field: "imported", Seal: "import_seal", With: "status",
				Bound: []string{"patient", "physician", "series", "repeat", "booked_by", "booked_at", "attribution"}},
			// A start is a time within reach of when the event was written
			// (session 28, h-secb28; the desk's records.CheckStart).
			Values: startRule},
		// A physician's working hours and the desk's settings have ids of
		// their own shape, one record each (ids.go), so no other kind's
		// event takes them (session 18 review h-sec18b F2).
		{Name: "availability", Scope: FrontDesk, Create: frontDesk, Change: frontDesk,
			IDs:    IDs{Prefix: AvailabilityPrefix, Hex: fingerprint},
			Fields: fields([]string{"physician", "slot"}, weekdays), Keyed: daysOff},
		{Name: "desk-settings", Scope: FrontDesk, Create: frontDesk, Change: frontDesk, IDs: IDs{Fixed: DeskSettingsID},
			Fields: []string{"zone", "country"}},
		// Clinical: physicians only.
		{Name: "note", Scope: Clinical, Create: clinical, Change: clinical,
			// Former: notes before they were signed.
			Fields: fields(signed, []string{"author", "time", "subjective", "objective", "assessment", "plan"})},
		{Name: "addendum", Scope: Clinical, Create: clinical, Change: clinical, Fields: signed},
		{Name: "problem", Scope: Clinical, Create: clinical, Change: clinical,
			Fields: fields([]string{"patient", "name", "status", "onset", "resolved", "noted", "codes"}, origin)},
		{Name: "allergy", Scope: Clinical, Create: clinical, Change: clinical,
			Fields: fields([]string{"patient", "substance", "reaction", "severity", "status", "noted", "codes"}, origin)},
		{Name: "medication", Scope: Clinical, Create: clinical, Change: clinical,
			Fields: fields([]string{"patient", "name", "dose", "since", "status", "stopped", "encounter",
				"intent", "rx_status", "authored", "status_reason", "dosage", "dispense", "notes",
				"codes", "unchecked", "formulary"}, origin)},
		{Name: "vitals", Scope: Clinical, Create: clinical, Change: clinical,
			Fields: fields([]string{"patient", "encounter", "time", "systolic", "diastolic", "pulse", "temp", "resp",
				"spo2", "weight", "height", "recorded_by"}, origin), Author: []string{"recorded_by"}},
		{Name: "encounter", Scope: Clinical, Create: clinical, Change: clinical,
			Fields: fields([]string{"patient", "appointment", "physician", "start", "finished", "reason", "types", "class"}, origin)},
		{Name: "prescription", Scope: Clinical, Create: clinical, Change: clinical,
			// Former: prescriptions before they were signed.
			Fields: fields(signed, []string{"prescriber", "time", "drug", "dose", "frequency", "days", "instructions"}),
			Values: doseRule},
		{Name: "rx-cancel", Scope: Clinical, Create: clinical, Change: clinical, Fields: signed},
		// Imported from other systems (FHIR): results, procedures,
		// immunizations and diagnostic reports.
		{Name: "result", Scope: Clinical, Create: clinical, Change: clinical,
			Fields: fields([]string{"patient", "encounter", "category", "categories", "status", "code", "effective", "issued",
				"value", "range", "interpretation", "components", "note"}, origin)},
		{Name: "procedure", Scope: Clinical, Create: clinical, Change: clinical,
			Fields: fields([]string{"patient", "encounter", "status", "code", "start", "end", "reason"}, origin)},
		{Name: "immunization", Scope: Clinical, Create: clinical, Change: clinical,
			Fields: fields([]string{"patient", "encounter", "status", "vaccine", "date", "lot", "primary"}, origin)},
		{Name: "report", Scope: Clinical, Create: clinical, Change: clinical,
			Fields: fields([]string{"patient", "encounter", "status", "category", "code", "effective", "issued", "results",
				"conclusion", "forms"}, origin)},
		// Directory: administrators write the staff list and the clinic's
		// public records; every member acknowledges the keys it holds.
		{Name: "member", Scope: Directory, Create: admins, Change: admins, IDs: IDs{Hex: fingerprint},
			Fields: []string{"name", "role", "status", "token", "admitted_by", "joined", "devices", "revoked_heads",
				"revoked_by", "revoked", "role_changes", "role_heads"},
			Keyed: roleChanges},
		{Name: "clinic", Scope: Directory, Create: admins, Change: admins, IDs: IDs{Fixed: ClinicID},
			Fields: []string{"name", "audit_pub", "address", "phone", "zone"}},
		{Name: "licence", Scope: Directory, Create: admins, Change: admins, // a physician's licence number, printed on prescriptions
			IDs: IDs{Prefix: LicencePrefix, Hex: fingerprint}, Fields: []string{"member", "number"}},
		{Name: "security", Scope: Directory, Create: admins, Change: admins, IDs: IDs{Fixed: SecurityID}, Fields: []string{"idle_minutes", "max_attempts"}},
		{Name: "recovery", Scope: Directory, Create: admins, Change: admins, IDs: IDs{Fixed: RecoveryID},
			// Former: pub and shares, of the split of a recovery key.
			Fields: []string{"id", "threshold", "admins", "set_by", "set_at", "sig", "pub", "shares"}},
		{Name: "key-held", Scope: Directory, Create: anyone, Change: anyone, IDs: IDs{Prefix: HeldPrefix, Hex: fingerprint}, Keyed: heldKeys},
		// A physician's or receptionist's confirmations of colleagues she
		// met in person: the clinical and front-desk keys go only to
		// members so confirmed, never on an administrator's word alone.
		// A field whose scope the role its writer held at the event
		// does not hold is refused: a receptionist's "member/" and
		// "recovery/" fields (replica's checkRoleOfFields).
		{Name: "confirms", Scope: Directory, Create: frontDesk, Change: frontDesk,
			IDs: IDs{Prefix: ConfirmsPrefix, Hex: fingerprint}, Keyed: confirmedColleagues},
		// Admin: token secrets, the audit key's private half, recovery
		// shares released to a coordinating administrator.
		{Name: "token", Scope: Admin, Create: admins, Change: admins, IDs: IDs{Hex: []int{tokenHexDigits}},
			Fields: []string{"role", "status", "issued_by", "issued", "expires", "secret", "used_by", "used_at",
				"revoked_by", "revoked", "approval"}},
		{Name: "audit-key", Scope: Admin, Create: admins, Change: admins, IDs: IDs{Fixed: AuditKeyID}, Fields: []string{"locked", "pass"}},
		{Name: "recovery-release", Scope: Admin, Create: admins, Change: admins, IDs: IDs{Prefix: ReleasePrefix},
			// Former: recovery and share, of a released share of a recovery key.
			Fields: []string{"from", "to", "shares", "recovery", "share"}},
		// Raw: every member audits; holders of the front-desk and clinical
		// keys escrow them to the administrators; administrators hand
		// recovered keys over.
		{Name: "audit", Scope: AuditTrail, Create: anyone, Change: anyone, Raw: true},
		{Name: "recovery-escrow", Scope: RecoveryEscrow, Create: frontDesk, Change: frontDesk, Raw: true},
		{Name: "recovery-handover", Scope: RecoveryEscrow, Create: admins, Change: admins, Raw: true},
	} {
		kinds[k.Name] = k
		kindNames = append(kindNames, k.Name)
	}
	slices.Sort(kindNames)
	for _, name := range kindNames {
		if k := kinds[name]; k.Shaped() {
			shapedKinds = append(shapedKinds, k)
		}
	}
}

// KindOf returns the policy of a kind of record; false for a kind the
// clinic does not know, which every workstation refuses.
func KindOf(name string) (Kind, bool) {
	k, ok := kinds[name]
	return k, ok
}

// Kinds returns every kind of record, by name.
func Kinds() []Kind {
	out := make([]Kind, 0, len(kinds))
	for _, k := range kinds {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b Kind) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// MayCreate reports whether role r may write the first event of a record
// of this kind.
func (k Kind) MayCreate(r Role) bool { return hasRole(k.Create, r) }

// MayChange reports whether role r may write a later event of a record of
// this kind.
func (k Kind) MayChange(r Role) bool { return hasRole(k.Change, r) }

// Precedence decides which kind a record is when events of two kinds name
// the same record id (only modified software does that): the higher wins
// on every workstation, whatever order the events arrive in. Records that
// administrators write (directory and admin) come first, since the
// directory is the clinic's root of trust and an administrator can already
// change any member's role (so it gains nothing by hiding a record); then
// clinical records, which only physicians write; then front-desk records,
// which physicians may write too. So a receptionist cannot take over or
// hide a clinical or directory record by naming its id, nor a physician a
// directory record. Within one precedence the earliest claim wins, which
// gives the writer nothing it could not do by changing the record.
//
// Since session 17 a directory or admin kind's ids have a shape of their
// own, which no other kind's id has (IDs, CheckID), so precedence never
// decides between a directory or admin record and a data record: it
// decides between clinical and front-desk claims.
func (k Kind) Precedence() int {
	switch k.Scope {
	case Directory, Admin:
		return 3
	case Clinical:
		return 2
	case FrontDesk:
		return 1
	}
	return 0
}

// Within reports whether everything role r may do, role o may do too:
// write every kind r may create or change, and hold every scope r holds.
// Where a workstation cannot tell which of two roles a member wrote an
// event in, it judges the event by the role within the other, if one is
// (replica's roleAt).
func (r Role) Within(o Role) bool {
	for _, k := range kinds {
		if k.MayCreate(r) && !k.MayCreate(o) || k.MayChange(r) && !k.MayChange(o) {
			return false
		}
	}
	for _, s := range Scopes {
		if r.Holds(s) && !o.Holds(s) {
			return false
		}
	}
	for _, a := range Actions {
		if r.Can(a) && !o.Can(a) {
			return false
		}
	}
	return true
}

func hasRole(rs []Role, r Role) bool {
	for _, have := range rs {
		if have == r {
			return true
		}
	}
	return false
}

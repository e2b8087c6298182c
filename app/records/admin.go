package records

import (
	"encoding/base64"
	"time"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// The directory's records an administrator writes (clinic, security,
// recovery) and the admin scope's (token, audit-key, recovery-release).
// Binary values are written as standard base64.

// b64 reads a base64 field; missing or unreadable reads as nil.
func b64(st replica.State, name string) []byte {
	b, _ := base64.StdEncoding.DecodeString(st.String(name))
	if len(b) == 0 {
		return nil
	}
	return b
}

func toB64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// Fields of the clinic's public record (directory scope).
const (
	ClinicName     = "name"
	ClinicAuditPub = "audit_pub" // the audit key's public half
	ClinicAddress  = "address"
	ClinicPhone    = "phone"
	ClinicZone     = "zone" // IANA time zone name, as the founder gave it
)

// Clinic is the clinic's public record: its name, address, phone and time
// zone as the founder gave them, and the public half of the audit key
// every member encrypts audit records to.
type Clinic struct {
	Name     string
	AuditPub []byte // OpenPGP public key
	Address  string
	Phone    string
	Zone     string
}

// ClinicFromState reads the clinic's public record.
func ClinicFromState(st replica.State) Clinic {
	return Clinic{Name: st.String(ClinicName), AuditPub: b64(st, ClinicAuditPub),
		Address: st.String(ClinicAddress), Phone: st.String(ClinicPhone), Zone: st.String(ClinicZone)}
}

// Fields are the fields of the clinic's public record (the optional ones
// left out when empty).
func (c Clinic) Fields() (replica.Fields, error) {
	e := enc{ClinicName: c.Name, ClinicAuditPub: toB64(c.AuditPub)}
	e.str(ClinicAddress, c.Address)
	e.str(ClinicPhone, c.Phone)
	e.str(ClinicZone, c.Zone)
	return e.fields()
}

// Fields of the clinic's security settings (directory scope).
const (
	SecurityIdleMinutes = "idle_minutes"
	SecurityMaxAttempts = "max_attempts"
)

// Security are the clinic's workstation rules as an administrator wrote
// them.
type Security struct {
	IdleMinutes int // lock a workstation after this long without input
	MaxAttempts int // wrong passphrases in a row before the login locks out
}

// SecurityFromState reads the security settings.
func SecurityFromState(st replica.State) Security {
	return Security{IdleMinutes: get[int](st, SecurityIdleMinutes), MaxAttempts: get[int](st, SecurityMaxAttempts)}
}

// Fields are the fields of the security settings.
func (s Security) Fields() (replica.Fields, error) {
	return enc{SecurityIdleMinutes: s.IdleMinutes, SecurityMaxAttempts: s.MaxAttempts}.fields()
}

// Fields of the clinic's recovery split (directory scope).
const (
	RecoveryID        = "id"
	RecoveryThreshold = "threshold"
	RecoveryAdmins    = "admins"
	RecoverySetBy     = "set_by"
	RecoverySetAt     = "set_at" // unix ms
	RecoverySig       = "sig"    // the setter's signature over the split
)

// Recovery is the directory's record of a recovery split: which
// administrators share the recoverable keys, and how many must meet.
type Recovery struct {
	ID        string
	Threshold int
	Admins    []string // sorted fingerprints
	SetBy     string
	SetAt     time.Time
	Sig       []byte
}

// RecoveryFromState reads the recovery split.
func RecoveryFromState(st replica.State) Recovery {
	return Recovery{ID: st.String(RecoveryID), Threshold: get[int](st, RecoveryThreshold),
		Admins: get[[]string](st, RecoveryAdmins), SetBy: st.String(RecoverySetBy), SetAt: time.UnixMilli(get[int64](st, RecoverySetAt)),
		Sig: b64(st, RecoverySig)}
}

// Fields are the fields of the recovery split.
func (r Recovery) Fields() (replica.Fields, error) {
	return enc{RecoveryID: r.ID, RecoveryThreshold: r.Threshold, RecoveryAdmins: r.Admins, RecoverySetBy: r.SetBy,
		RecoverySetAt: r.SetAt.UnixMilli(), RecoverySig: toB64(r.Sig)}.fields()
}

// Fields of a release of recovery shares (admin scope).
const (
	ReleaseFrom   = "from"
	ReleaseTo     = "to"
	ReleaseShares = "shares" // sealed to the recipient, signed by the sender
)

// RecoveryRelease is one administrator's recovery shares released to the
// administrator who coordinates a recovery.
type RecoveryRelease struct {
	ID     string
	From   string
	To     string
	Shares []byte // an OpenPGP message
}

// RecoveryReleaseFromState reads a release of shares.
func RecoveryReleaseFromState(id string, st replica.State) RecoveryRelease {
	return RecoveryRelease{ID: id, From: st.String(ReleaseFrom), To: st.String(ReleaseTo), Shares: b64(st, ReleaseShares)}
}

// Fields are the fields of a release of shares.
func (r RecoveryRelease) Fields() (replica.Fields, error) {
	return enc{ReleaseFrom: r.From, ReleaseTo: r.To, ReleaseShares: toB64(r.Shares)}.fields()
}

// Fields of a registration token (admin scope).
const (
	TokenRole      = "role"
	TokenStatus    = "status" // active or revoked as written
	TokenIssuedBy  = "issued_by"
	TokenIssued    = "issued"  // unix ms
	TokenExpires   = "expires" // unix ms
	TokenSecret    = "secret"
	TokenUsedBy    = "used_by"
	TokenUsedAt    = "used_at" // unix ms
	TokenRevokedBy = "revoked_by"
	TokenRevoked   = "revoked" // unix ms
)

// Token is a registration token as the administrators keep it; its
// secret never leaves the admin scope except inside the token string.
type Token struct {
	ID        string
	Role      roles.Role
	Status    string
	IssuedBy  string
	Issued    time.Time
	Expires   time.Time
	Secret    []byte
	UsedBy    string
	UsedAt    time.Time
	RevokedBy string
	Revoked   time.Time
}

// TokenFromState reads a registration token.
func TokenFromState(id string, st replica.State) Token {
	return Token{ID: id, Role: roles.Role(st.String(TokenRole)), Status: st.String(TokenStatus),
		IssuedBy: st.String(TokenIssuedBy), Issued: time.UnixMilli(get[int64](st, TokenIssued)), Expires: time.UnixMilli(get[int64](st, TokenExpires)),
		Secret: b64(st, TokenSecret), UsedBy: st.String(TokenUsedBy), UsedAt: msTime(st, TokenUsedAt),
		RevokedBy: st.String(TokenRevokedBy), Revoked: msTime(st, TokenRevoked)}
}

// Fields are the fields of a registration token.
func (t Token) Fields() (replica.Fields, error) {
	e := enc{TokenRole: t.Role, TokenStatus: t.Status, TokenIssuedBy: t.IssuedBy, TokenIssued: t.Issued.UnixMilli(),
		TokenExpires: t.Expires.UnixMilli(), TokenSecret: toB64(t.Secret)}
	e.str(TokenUsedBy, t.UsedBy)
	e.ms(TokenUsedAt, t.UsedAt)
	e.str(TokenRevokedBy, t.RevokedBy)
	e.ms(TokenRevoked, t.Revoked)
	return e.fields()
}

// Fields of the audit key's private half (admin scope).
const (
	AuditKeyLocked = "locked" // the OpenPGP key, locked with Pass
	AuditKeyPass   = "pass"
)

// AuditKey is the private half of the clinic's audit key, which only
// administrators hold.
type AuditKey struct {
	Locked []byte
	Pass   string
}

// AuditKeyFromState reads the audit key's private half.
func AuditKeyFromState(st replica.State) AuditKey {
	return AuditKey{Locked: b64(st, AuditKeyLocked), Pass: st.String(AuditKeyPass)}
}

// Fields are the fields of the audit key's private half.
func (a AuditKey) Fields() (replica.Fields, error) {
	return enc{AuditKeyLocked: toB64(a.Locked), AuditKeyPass: a.Pass}.fields()
}

package records

import (
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// KindLicence is a physician's licence or registration number as an
// administrator recorded it (directory scope: every workstation prints it
// on the physician's prescriptions). Its entity is LicenceEntity(fp).
const KindLicence = "licence"

// Fields of a licence record.
const (
	LicenceMember = "member" // the physician's key fingerprint
	LicenceNumber = "number"
)

// LicenceEntity is the entity of the licence record of the member fp.
func LicenceEntity(fp string) string { return roles.LicencePrefix + fp }

// Licence is a physician's licence or registration number.
type Licence struct {
	Member string
	Number string
}

// LicenceFromState reads a licence record.
func LicenceFromState(st replica.State) Licence {
	return Licence{Member: st.String(LicenceMember), Number: st.String(LicenceNumber)}
}

// Fields are the fields of a licence record.
func (l Licence) Fields() (replica.Fields, error) {
	return enc{LicenceMember: l.Member, LicenceNumber: l.Number}.fields()
}

package interop

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/ipfs"
)

// A patient's own copy of their record: the FHIR R4 bundle and a readable
// PDF summary, each sealed as a standard OpenPGP message to a passphrase
// made here (crypto.EncryptWithPassphrase: AES-256, SEIPD v1, which GnuPG
// 2.2 opens), put on the clinic's Kubo node as one pinned UnixFS directory
// with a plain README.txt (no patient data), so the patient fetches it with
// `ipfs get CID` or from a public gateway. The passphrase is printed on the
// handout and kept nowhere else. The copy holds what this workstation's keys
// read: a receptionist's copy holds demographics and appointments only.

// Names of the files of a patient's copy on IPFS.
const (
	CopyRecordFile  = "record.json.gpg"
	CopySummaryFile = "summary.pdf.gpg"
	CopyReadmeFile  = "README.txt"
)

// ErrNoIPFS means the workstation has no IPFS node configured.
var ErrNoIPFS = errors.New("app: no IPFS node is configured for this workstation")

// handOutTimeout bounds putting a copy on the clinic's node.
const handOutTimeout = 2 * time.Minute

// HandOutPatientCopy makes a patient's own copy of their record, puts it
// on IPFS (pinned) and returns the handout to print. The handout is
// audited; when the audit cannot be written the handout is not given (the
// copy, sealed under a passphrase nobody saw, stays on the node).
func (s *Service) HandOutPatientCopy(ctx context.Context, patientID string) (PatientCopy, error) {
	if _, err := s.c.ReplicaFor(roles.HandOutPatientCopy); err != nil {
		return PatientCopy{}, err
	}
	api := s.c.Profile().Servers.IPFS
	if api == "" {
		return PatientCopy{}, fmt.Errorf("%w: set the clinic's IPFS (Kubo) address in Settings or with `medihaven settings --ipfs ADDRESS`, then try again", ErrNoIPFS)
	}
	p, err := s.c.Patient(ctx, patientID)
	if err != nil {
		return PatientCopy{}, err
	}
	client := ipfs.New(api, ipfs.WithBearer(s.c.Profile().Servers.IPFSSecret), ipfs.WithPin(s.c.Profile().Servers.XMPPCertPin))
	ctx, cancel := context.WithTimeout(ctx, handOutTimeout)
	defer cancel()
	if err := client.Ping(ctx); err != nil {
		return PatientCopy{}, fmt.Errorf("app: the copy cannot be put on IPFS: %w", err)
	}
	sum, err := s.patientSummary(ctx, p)
	if err != nil {
		return PatientCopy{}, err
	}
	bundle, err := s.PatientBundle(ctx, patientID)
	if err != nil {
		return PatientCopy{}, fmt.Errorf("app: the patient's FHIR record: %w", err)
	}
	summaryPDF, err := renderSummary(sum)
	if err != nil {
		return PatientCopy{}, err
	}
	pass, err := newCopyPassphrase()
	if err != nil {
		return PatientCopy{}, err
	}
	now := s.c.Now()
	files := []ipfs.File{{Name: CopyReadmeFile, Data: []byte(copyReadme)}}
	for _, f := range []struct {
		name, inner string
		data        []byte
	}{{CopyRecordFile, "record.json", bundle}, {CopySummaryFile, "summary.pdf", summaryPDF}} {
		sealed, err := crypto.EncryptWithPassphrase(f.data, []byte(pass), f.inner, now)
		if err != nil {
			return PatientCopy{}, fmt.Errorf("app: seal the patient's copy: %w", err)
		}
		files = append(files, ipfs.File{Name: f.name, Data: sealed})
	}
	cid, err := client.PutDir(ctx, files)
	if err != nil {
		return PatientCopy{}, fmt.Errorf("app: the copy could not be put on IPFS: %w", err)
	}
	rec := app.AuditRecord{Action: "hand-out-copy", Entity: p.ID, Patient: p.MRN,
		Detail: fmt.Sprintf("patient's own copy (%s) on IPFS as %s", sum.holds(), cid)}
	if err := s.c.Audit(ctx, rec); err != nil {
		// The copy stays pinned on the clinic's node (a workstation's
		// secret does not reach pin/rm): nothing is lost, for it is sealed
		// under a passphrase that was never shown and is forgotten here,
		// and its CID is given to nobody.
		return PatientCopy{}, fmt.Errorf("app: the handout could not be audited, so it was not given: %w", err)
	}
	pc := PatientCopy{Patient: p.ID, MRN: p.MRN, CID: cid, Passphrase: pass, Created: now,
		Clinic: s.c.Clinic(), PatientName: strings.TrimSpace(p.Given + " " + p.Family), Clinical: sum.Clinical, HandedOutBy: s.c.StaffName()}
	if pc.Handout, err = RenderHandout(pc); err != nil {
		return PatientCopy{}, err
	}
	return pc, nil
}

// copyReadme goes next to the sealed files, in clear: it names nobody.
const copyReadme = `This folder is a person's own copy of their health record, made by their
clinic with Medihaven. Both files are encrypted (OpenPGP). They open with the
passphrase printed on the paper the person was given; nobody else has it.

  summary.pdf.gpg   a readable summary of the record (PDF)
  record.json.gpg   the full record as FHIR R4 JSON, for another clinic or a health app

To open them, use GnuPG (gnupg.org; Gpg4win on Windows, GPG Suite on a Mac)
or any other OpenPGP tool:

  gpg --decrypt summary.pdf.gpg > summary.pdf
  gpg --decrypt record.json.gpg > record.json

and type the passphrase exactly as printed, with its dashes.
`

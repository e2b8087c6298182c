package replica

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// A Pack is what one workstation puts on IPFS: a run of consecutive
// envelopes of its own device, and the CID of its previous pack, so a
// workstation that missed some walks back from the newest pack it was told
// of. A pack adds no trust: every envelope in it is verified on its own and
// the chain hashes tie them together.
type Pack struct {
	Device string `json:"device"`
	From   uint64 `json:"from"` // seq of the first envelope
	To     uint64 `json:"to"`   // seq of the last envelope
	Prev   string `json:"prev"` // CID of the device's previous pack, "" for the first
	// Resent is set (unix ms) on a pack sent again because a workstation
	// asked for events it received altered: it makes a new CID, since the
	// altered block may still sit under the old one.
	Resent    int64    `json:"resent,omitempty"`
	Envelopes [][]byte `json:"envelopes"`
}

// Limits of what a workstation accepts from the network.
const (
	MaxPackBytes     = 16 << 20
	MaxPackEnvelopes = 20000
)

// ErrMalformedPack is wrapped by ParsePack.
var ErrMalformedPack = errors.New("replica: malformed pack")

var (
	reDevice = regexp.MustCompile(`^[0-9a-f]{32}$`)
	reCID    = regexp.MustCompile(`^[A-Za-z0-9]{10,128}$`)
)

// ValidDevice reports whether s has the form of a device id (32 lower-case
// hex digits), as a workstation's XMPP account name does.
func ValidDevice(s string) bool { return reDevice.MatchString(s) }

// Encode returns the pack's bytes.
func (p Pack) Encode() ([]byte, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	return json.Marshal(p)
}

// ParsePack reads a pack fetched from the network, strictly.
func ParsePack(b []byte) (Pack, error) {
	var p Pack
	if len(b) > MaxPackBytes {
		return p, fmt.Errorf("%w: %d bytes is more than %d", ErrMalformedPack, len(b), MaxPackBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return Pack{}, fmt.Errorf("%w: %w", ErrMalformedPack, err)
	}
	if dec.More() {
		return Pack{}, fmt.Errorf("%w: trailing data", ErrMalformedPack)
	}
	if err := p.check(); err != nil {
		return Pack{}, err
	}
	return p, nil
}

func (p Pack) check() error {
	switch {
	case !reDevice.MatchString(p.Device):
		return fmt.Errorf("%w: bad device id", ErrMalformedPack)
	case p.From == 0 || p.To < p.From:
		return fmt.Errorf("%w: bad sequence range %d..%d", ErrMalformedPack, p.From, p.To)
	case p.To-p.From+1 != uint64(len(p.Envelopes)):
		return fmt.Errorf("%w: range %d..%d holds %d envelopes", ErrMalformedPack, p.From, p.To, len(p.Envelopes))
	case len(p.Envelopes) > MaxPackEnvelopes:
		return fmt.Errorf("%w: too many envelopes", ErrMalformedPack)
	case p.Prev != "" && !reCID.MatchString(p.Prev):
		return fmt.Errorf("%w: bad previous CID", ErrMalformedPack)
	}
	return nil
}

// Announcement is what a workstation says on the clinic's sync channel:
// ids and a CID, never a payload.
type Announcement struct {
	Device string
	Seq    uint64
	Hash   string // hash of the device's envelope at Seq
	CID    string // CID of the pack holding it
}

const announcePrefix = "mh1 head "

// String is the announcement's wire form: "mh1 head DEVICE SEQ HASH CID".
func (a Announcement) String() string {
	return fmt.Sprintf("%s%s %d %s %s", announcePrefix, a.Device, a.Seq, a.Hash, a.CID)
}

var reHash = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ParseAnnouncement reads an announcement; ok is false for any other text
// (the sync channel may carry other messages, which are ignored).
func ParseAnnouncement(s string) (Announcement, bool) {
	if len(s) > 512 || !strings.HasPrefix(s, announcePrefix) {
		return Announcement{}, false
	}
	f := strings.Fields(strings.TrimPrefix(s, announcePrefix))
	if len(f) != 4 || !reDevice.MatchString(f[0]) || !reHash.MatchString(f[2]) || !reCID.MatchString(f[3]) {
		return Announcement{}, false
	}
	seq, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil || seq == 0 {
		return Announcement{}, false
	}
	return Announcement{Device: f[0], Seq: seq, Hash: f[2], CID: f[3]}, true
}

// Want asks, on the sync channel, the workstation of Device to send its
// events from Seq again: this workstation received them altered (or not at
// all) and the rest of that device's chain waits for them.
type Want struct {
	Device string
	Seq    uint64
}

const wantPrefix = "mh1 want "

// String is the want's wire form: "mh1 want DEVICE SEQ".
func (w Want) String() string {
	return fmt.Sprintf("%s%s %d", wantPrefix, w.Device, w.Seq)
}

// ParseWant reads a want; ok is false for any other text.
func ParseWant(s string) (Want, bool) {
	if len(s) > 128 || !strings.HasPrefix(s, wantPrefix) {
		return Want{}, false
	}
	f := strings.Fields(strings.TrimPrefix(s, wantPrefix))
	if len(f) != 2 || !reDevice.MatchString(f[0]) {
		return Want{}, false
	}
	seq, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil || seq == 0 {
		return Want{}, false
	}
	return Want{Device: f[0], Seq: seq}, true
}

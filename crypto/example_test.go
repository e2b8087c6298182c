package crypto_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/medihaven/medihaven/crypto"
)

// A physician records a note; another workstation checks and reads it.
func Example_envelope() {
	physician, err := crypto.GenerateIdentity("Dr. Ana Souza")
	if err != nil {
		panic(err)
	}
	clinical, err := crypto.NewScopeKey("clinical", 1)
	if err != nil {
		panic(err)
	}
	h := crypto.Header{
		ID:      crypto.NewEventID(),
		Entity:  crypto.NewEventID(), // the patient's chart id
		Kind:    "note",
		Scope:   clinical.Scope,
		Epoch:   clinical.Epoch,
		Author:  physician.Fingerprint(),
		Device:  crypto.NewEventID(),
		Seq:     1,
		Lamport: 1,
		Time:    time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC).UnixMilli(),
	}
	env, err := crypto.Seal(h, []byte("BP 120/80, no complaints."), clinical, physician)
	if err != nil {
		panic(err)
	}

	// Elsewhere: the same bytes, from IPFS or the local store.
	got, err := crypto.ParseEnvelope(env.Raw)
	if err != nil {
		panic(err)
	}
	if err := got.Verify(physician.Public()); err != nil {
		panic(err)
	}
	note, err := got.Open(clinical)
	fmt.Printf("%s %v\n", note, err)

	// A receptionist's workstation holds only the frontdesk key.
	frontdesk, _ := crypto.NewScopeKey("frontdesk", 1)
	_, err = got.Open(frontdesk)
	fmt.Println(errors.Is(err, crypto.ErrCannotOpen))
	// Output:
	// BP 120/80, no complaints. <nil>
	// true
}

// An administrator grants the frontdesk key to a new receptionist.
func ExampleSealGrant() {
	admin, _ := crypto.GenerateIdentity("Admin")
	receptionist, _ := crypto.GenerateIdentity("Receptionist")
	frontdesk, _ := crypto.NewScopeKey("frontdesk", 2)

	sealed, err := crypto.SealGrant(frontdesk, receptionist.Public(), admin)
	if err != nil {
		panic(err)
	}
	k, err := crypto.OpenGrant(sealed, receptionist, admin.Public())
	fmt.Println(k, k == frontdesk, err)
	// Output: frontdesk/2 true <nil>
}

func ExampleParseToken() {
	admin, _ := crypto.GenerateIdentity("Admin")
	tok, err := crypto.NewToken(crypto.NewEventID(), "receptionist", admin.Fingerprint(), time.Now().Add(72*time.Hour))
	if err != nil {
		panic(err)
	}
	tok.XMPP = "clinic.example:5222"
	s := tok.String() // hand this to the newcomer

	got, err := crypto.ParseToken(s)
	fmt.Println(got.Role, got.XMPP, got.Issuer == admin.Fingerprint(), err)

	typo := []byte(s)
	typo[40] = map[bool]byte{true: 'B', false: 'A'}[typo[40] == 'A']
	_, err = crypto.ParseToken(string(typo))
	fmt.Println(err)
	// Output:
	// receptionist clinic.example:5222 true <nil>
	// crypto: this is not a valid registration token: a character was mistyped; compare it with the original
}

func ExampleNamePrefixes() {
	fmt.Println(crypto.Normalize("  Zoë  O'Brien-Müller "))
	fmt.Println(crypto.NamePrefixes("Zoë Li", 3))
	// Output:
	// zoe obrien muller
	// [zoe li]
}

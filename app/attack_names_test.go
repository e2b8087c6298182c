package app

// Attack (session 10, finding 2): a newcomer chooses her own directory
// name (her enrollment request carries it), and the chat shows a verified
// room message under that name with "✔ Verified". A receptionist who
// calls herself as a physician is called, or who hides text-direction or
// invisible characters in her name, would speak as that physician.

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
)

// TestAttackDirectoryNamesCannotImpersonate: five hostile names, typed
// into an unmodified workstation, and the same sent by modified software
// that skips Redeem's check. Redeem refuses those holding hidden
// characters; the administrator's workstation refuses every one (a name
// that folds to an active member's included, with what to do), writes
// nothing for it, and no two active members read alike.
func TestAttackDirectoryNamesCannotImpersonate(t *testing.T) {
	c := newClinic(t)
	ctx := context.Background()
	join := func(dir, name string, role roles.Role) *Session {
		tok, err := c.admin.IssueToken(ctx, role, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		s, err := Redeem(ctx, c.env, Redemption{Dir: filepath.Join(c.dir, dir), Token: tok.String(), Name: name, Passphrase: []byte(testPass)})
		if err != nil {
			t.Logf("Redeem %q refused: %v", name, err)
			return nil
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	hostile := []struct {
		name   string
		hidden bool // Redeem itself refuses it
	}{
		{"Dr Paul Physician", false},            // the physician's name, exactly
		{"dr  paul PHYSICIAN", false},           // the same once folded
		{"Ｄｒ Ｐａｕｌ Ｐｈｙｓｉｃｉａｎ", false},            // full-width letters: the same under NFKC
		{"Dr Paul\u200b Physician", true},       // a zero-width space inside
		{"Rita \u202enaicisyhP luaP rD", true},  // right-to-left override: shows "Rita Dr Paul Physician"
		{"Rita\x00Reception", true},             // a control character
		{"Dr Paul Physici\u2068an\u2069", true}, // a bidi isolate
		{"Dr Paul Physician\ufeff", true},       // a byte order mark at the end
		{"Dr Paul Phy\u00adsician", true},       // a soft hyphen
		{"Rita Re\xffception", true},            // not UTF-8
		{"Dr \u0420aul Physician", true},        // a Cyrillic "Р" in a Latin word
		{"Dr Paul Phy\u0455ician", true},        // a Cyrillic "ѕ"
	}
	ss := []*Session{c.admin}
	for i, h := range hostile {
		s := join("hostile"+string(rune('a'+i)), h.name, roles.Receptionist)
		if h.hidden && s != nil {
			t.Errorf("Redeem took %q", h.name)
		}
		if s != nil {
			ss = append(ss, s)
		}
		// Modified software skips Redeem's check: the administrator's
		// workstation must refuse the name itself.
		ss = append(ss, redeemUnchecked(t, c, "modified"+string(rune('a'+i)), h.name, roles.Receptionist))
	}
	mustSync(t, ss...)
	adm, err := c.admin.Admit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	refused := 0
	for _, a := range adm {
		switch {
		case a.Err == nil:
			t.Errorf("%q admitted", a.Name)
		case !errors.Is(a.Err, ErrNameRefused):
			t.Errorf("%q refused for another reason: %v", a.Name, a.Err)
		default:
			refused++
			if strings.Contains(a.Err.Error(), "reads the same") && !strings.Contains(a.Err.Error(), "middle initial") {
				t.Errorf("the refusal of %q does not say what to do: %v", a.Name, a.Err)
			}
			if strings.IndexFunc(a.Name, roles.Hidden) >= 0 {
				t.Errorf("the administrator is shown %q with its hidden characters", a.Name)
			}
		}
	}
	if want := len(hostile) + 3; refused != want { // every modified one, and the three look-alikes Redeem took
		t.Errorf("%d requests refused for their names, want %d", refused, want)
	}
	mustSync(t, ss...)
	r := rep(t, c.admin)
	seen := map[string]string{}
	fold := func(s string) string {
		s = strings.Map(func(r rune) rune {
			if unicode.Is(unicode.Cf, r) || unicode.IsControl(r) {
				return -1
			}
			return r
		}, s)
		return roles.FoldName(s)
	}
	for _, m := range r.Members() {
		if !m.Active() {
			continue
		}
		if i := strings.IndexFunc(m.Name, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }); i >= 0 {
			t.Errorf("the directory admitted %s (%s) under a name holding %U: %q", m.Fingerprint[:8], m.Role, []rune(m.Name[i:])[0], m.Name)
		}
		if other, ok := seen[fold(m.Name)]; ok {
			t.Errorf("two active members are shown as %q: %s and %s (%s)", m.Name, other[:8], m.Fingerprint[:8], m.Role)
		}
		seen[fold(m.Name)] = m.Fingerprint
	}
}

// TestAdmissionNameTakenAgainAfterRevocation: a revoked member's name may
// be taken by a newcomer, and the name the directory holds is the one
// typed with its white space folded.
func TestAdmissionNameTakenAgainAfterRevocation(t *testing.T) {
	c := newClinic(t)
	ctx := context.Background()
	mustSync(t, c.all()...)
	if err := c.admin.RevokeMember(ctx, c.recep.Fingerprint()); err != nil {
		t.Fatal(err)
	}
	tok, err := c.admin.IssueToken(ctx, roles.Receptionist, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Redeem(ctx, c.env, Redemption{Dir: filepath.Join(c.dir, "again"), Token: tok.String(), Name: "  Rita\u00a0 Reception\t", Passphrase: []byte(testPass)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustSync(t, c.admin, s)
	m, ok := rep(t, c.admin).Member(s.Fingerprint())
	if !ok || !m.Active() || m.Name != "Rita Reception" {
		t.Errorf("the newcomer's entry: %+v (found %v), want active as %q", m, ok, "Rita Reception")
	}
}

// redeemUnchecked is Redeem as modified software runs it: the request
// names the newcomer with name as given, unchecked.
func redeemUnchecked(t *testing.T, c *clinic, dir, name string, role roles.Role) *Session {
	t.Helper()
	ctx := context.Background()
	issued, err := c.admin.IssueToken(ctx, role, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := ParseToken(issued.String(), c.env.Now)
	if err != nil {
		t.Fatal(err)
	}
	p := Profile{ClinicID: tok.Clinic, Servers: tokenServers(tok)}
	s, err := newProfile(ctx, c.env.defaults(), filepath.Join(c.dir, dir), p, []byte(testPass), me{Name: "Mallory", Role: role, Token: tok.ID},
		[]string{tok.Issuer}, func(s *Session) error {
			fields, err := boundRequest(tok, name, role, s.rep.Fingerprint(), s.prof.Device)
			if err != nil {
				return err
			}
			_, err = s.rep.Enroll(ctx, tok.ID, crypto.TokenKey(tok.Secret[:]), fields)
			return err
		})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

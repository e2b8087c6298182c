package server

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// deskCall is one request to d's handler from the address from, with the
// bearer secret s3cret and the extra headers hdr (name, value, ...).
func deskCall(t *testing.T, d *desk, from, method, path, body string, hdr ...string) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.RemoteAddr = from
	req.Header.Set("Authorization", "Bearer s3cret")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	d.handler().ServeHTTP(rec, req)
	var out map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	return rec.Code, out
}

func writeHash(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:])
}

// TestDeskStateNeedsTheTokensKey: a member's workstation holds the bearer
// secret, and token ids are in clear headers, but it cannot mark another
// administrator's token refused (the newcomer's screen would say so): a
// state change needs the token's desk key, whose hash came with the
// deposit, and a second deposit of the token under the member's own key
// (or none) is kept apart, its state not the token's as the newcomer asks
// it. (sec-s9 finding 5, TestSecDeskAnyMember.)
func TestDeskStateNeedsTheTokensKey(t *testing.T) {
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	d, err := openDesk(t.TempDir(), "s3cret", func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	const admin, member = "127.0.0.2:40000", "127.0.0.66:40000"
	code, tok, key := strings.Repeat("ab", 16), "0123456789abcdef", strings.Repeat("5a", 32)
	deposit := fmt.Sprintf(`{"token":%q,"expires":%d,"sealed":"c2VhbGVk"}`, tok, now.Add(deskMaxTTL).Unix())
	if status, _ := deskCall(t, d, admin, "PUT", "/v1/code/"+code, deposit, HeaderWriteHash, writeHash(key)); status != http.StatusCreated {
		t.Fatalf("the administrator's deposit: %d", status)
	}
	refuse := `{"state":"refused"}`
	for _, tc := range []struct {
		name, from, method, path, body string
		hdr                            []string
		want                           int
		state                          string // the token's state afterwards
	}{
		{"a member refuses it with the secret alone", member, "PUT", "/v1/state/" + tok, refuse, nil, 403, DeskActive},
		{"a member refuses it with her own key", member, "PUT", "/v1/state/" + tok, refuse, []string{HeaderWriteKey, strings.Repeat("66", 32)}, 403, DeskActive},
		{"a member refuses it with the key's hash", member, "PUT", "/v1/state/" + tok, refuse, []string{HeaderWriteKey, writeHash(key)}, 403, DeskActive},
		{"a member deposits the token again under her own key", member, "PUT", "/v1/code/" + strings.Repeat("cd", 16), deposit,
			[]string{HeaderWriteHash, writeHash(strings.Repeat("66", 32))}, 201, DeskActive},
		{"and refuses it with her own key", member, "PUT", "/v1/state/" + tok, refuse, []string{HeaderWriteKey, strings.Repeat("66", 32)}, 200, DeskActive},
		{"a member deposits the token again with no key", member, "PUT", "/v1/code/" + strings.Repeat("ce", 16), deposit, nil, 201, DeskActive},
		{"and refuses it with the secret alone", member, "PUT", "/v1/state/" + tok, refuse, nil, 200, DeskActive},
		{"a deposit with a malformed hash", member, "PUT", "/v1/code/" + strings.Repeat("ef", 16), deposit, []string{HeaderWriteHash, "xyz"}, 400, DeskActive},
		{"the newcomer resolves the code", member, "GET", "/v1/code/" + code, "", nil, 200, DeskActive},
		{"an administrator deposits it under a second code", admin, "PUT", "/v1/code/" + strings.Repeat("12", 16), deposit,
			[]string{HeaderWriteHash, writeHash(key)}, 201, DeskActive},
		{"an administrator refuses it", admin, "PUT", "/v1/state/" + tok, refuse, []string{HeaderWriteKey, key}, 200, DeskRefused},
		{"the newcomer learns it", member, "GET", "/v1/code/" + code, "", nil, 410, DeskRefused},
		{"the second code is refused too", member, "GET", "/v1/code/" + strings.Repeat("12", 16), "", nil, 410, DeskRefused},
	} {
		status, out := deskCall(t, d, tc.from, tc.method, tc.path, tc.body, tc.hdr...)
		if status != tc.want {
			t.Errorf("%s: %d %v, want %d", tc.name, status, out, tc.want)
		}
		// The newcomer asks with the hash of the key it derives from its token.
		if _, st := deskCall(t, d, member, "GET", "/v1/state/"+tok, "", HeaderWriteHash, writeHash(key)); st["state"] != tc.state ||
			st["write_hash"] != writeHash(key) {
			t.Errorf("after %s the token is %v, want %s", tc.name, st, tc.state)
		}
	}
}

// TestDeskOneWorkstationCannotFillIt: a member's workstation that deposits
// junk in a loop is stopped at deskMaxPerSource, and an administrator's
// workstation (another address) still deposits; an IPv6 host counts as
// its /64. (sec-s9 finding 5: 1,999 junk deposits used to fill the desk
// for 38 days.)
func TestDeskOneWorkstationCannotFillIt(t *testing.T) {
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	d, err := openDesk(t.TempDir(), "s3cret", func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	exp := now.Add(deskMaxTTL).Unix()
	junk := func(from string, i int) int {
		status, _ := deskCall(t, d, from, "PUT", fmt.Sprintf("/v1/code/%032x", i),
			fmt.Sprintf(`{"token":"%016x","expires":%d,"sealed":"eA=="}`, i, exp), HeaderWriteHash, writeHash(fmt.Sprint(i)))
		return status
	}
	for _, tc := range []struct {
		name     string
		from     []string // addresses taking turns
		accepted int
	}{
		{"one IPv4 address", []string{"127.0.0.66:1"}, deskMaxPerSource},
		{"one IPv6 /64", []string{"[fd00::1]:1", "[fd00::ffff:2]:2"}, deskMaxPerSource},
		{"one IPv4 address, written as IPv6", []string{"127.0.0.67:1", "[::ffff:127.0.0.67]:2"}, deskMaxPerSource},
	} {
		// Deposit until refused (on a desk without the bound: until full).
		n, start := 0, 1_000_000*len(d.entries)+1
		for i := 0; i < deskMaxEntries; i++ {
			status := junk(tc.from[i%len(tc.from)], start+i)
			if status != http.StatusCreated {
				if status != http.StatusTooManyRequests {
					t.Errorf("%s: junk deposit %d: %d", tc.name, i, status)
				}
				break
			}
			n++
		}
		if n != tc.accepted {
			t.Errorf("%s: %d junk deposits taken, want %d", tc.name, n, tc.accepted)
		}
	}
	status, _ := deskCall(t, d, "127.0.0.2:40000", "PUT", "/v1/code/"+strings.Repeat("cd", 16),
		fmt.Sprintf(`{"token":"fedcba9876543210","expires":%d,"sealed":"c2VhbGVk"}`, exp), HeaderWriteHash, writeHash("admin"))
	if status != http.StatusCreated {
		t.Errorf("an administrator's deposit after the junk: %d", status)
	}
}

// TestDeskKeepsOlderDeposits: what an older desk kept (no key hash, no
// address) and what an older workstation deposits (no key hash) still
// resolve, take a state with the secret alone, as before, expire, and are
// forgotten a week later.
func TestDeskKeepsOlderDeposits(t *testing.T) {
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	old := fmt.Sprintf(`{%q:{"token":"0123456789abcdef","expires":%d,"sealed":"c2VhbGVk"},`+
		`%q:{"token":"1111111111111111","expires":%d,"sealed":"c2VhbGVk"}}`,
		strings.Repeat("ab", 16), now.Add(time.Hour).Unix(), strings.Repeat("cd", 16), now.Add(time.Hour).Unix())
	if err := os.WriteFile(filepath.Join(dir, deskFile), []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	clock := now
	d, err := openDesk(dir, "s3cret", func() time.Time { return clock })
	if err != nil {
		t.Fatal(err)
	}
	const from = "127.0.0.2:1"
	oldWorkstation := fmt.Sprintf(`{"token":"2222222222222222","expires":%d,"sealed":"c2VhbGVk"}`, now.Add(time.Hour).Unix())
	for _, tc := range []struct {
		name, method, path, body string
		want                     int
	}{
		{"an old entry resolves", "GET", "/v1/code/" + strings.Repeat("ab", 16), "", 200},
		{"an old entry takes a state with the secret", "PUT", "/v1/state/1111111111111111", `{"state":"used"}`, 200},
		{"and says so", "GET", "/v1/code/" + strings.Repeat("cd", 16), "", 410},
		{"an older workstation deposits without a key", "PUT", "/v1/code/" + strings.Repeat("ef", 16), oldWorkstation, 201},
		{"and refuses it with the secret", "PUT", "/v1/state/2222222222222222", `{"state":"refused"}`, 200},
	} {
		if status, out := deskCall(t, d, from, tc.method, tc.path, tc.body); status != tc.want {
			t.Errorf("%s: %d %v, want %d", tc.name, status, out, tc.want)
		}
	}
	clock = now.Add(2 * time.Hour)
	if status, out := deskCall(t, d, from, "GET", "/v1/code/"+strings.Repeat("ab", 16), ""); status != 410 || out["state"] != DeskExpired {
		t.Errorf("an old entry past its expiry: %d %v", status, out)
	}
	clock = now.Add(8 * 24 * time.Hour)
	d.mu.Lock()
	d.sweep()
	d.mu.Unlock()
	if len(d.entries) != 0 {
		t.Errorf("old entries a week past their expiry are kept: %d", len(d.entries))
	}
}

// TestAttackDeskTokenSquat: token ids are in clear envelope headers (the
// admin-scope "token" record is written before the deposit, and a token
// given whole is never deposited at all). A member's workstation, which
// holds the bearer secret, deposits junk under a token id it saw, with a
// key of her own, before the administrator does, and marks it refused.
// The newcomer, which asks with the hash of the key its token gives, is
// not told "refused"; an older newcomer, which asks with no hash, is not
// either; and the administrator's deposit is taken, and its refusal is
// what the newcomer learns. (sec-s10 finding 5, TestSec10DeskTokenSquat.)
func TestAttackDeskTokenSquat(t *testing.T) {
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	d, err := openDesk(t.TempDir(), "s3cret", func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	const admin, member, newcomer = "127.0.0.2:40000", "127.0.0.66:40000", "127.0.0.9:1"
	tok := "0123456789abcdef" // seen in a clear header
	mine, key := strings.Repeat("66", 32), strings.Repeat("5a", 32)
	junk := fmt.Sprintf(`{"token":%q,"expires":%d,"sealed":"anVuaw=="}`, tok, now.Add(deskMaxTTL).Unix())
	real := fmt.Sprintf(`{"token":%q,"expires":%d,"sealed":"c2VhbGVk"}`, tok, now.Add(time.Hour).Unix())
	refuse := `{"state":"refused"}`
	for _, tc := range []struct {
		name, from, method, path, body string
		hdr                            []string
		want                           int
		state                          string // the token's state as the newcomer asks it afterwards; "" none
	}{
		{"the member squats the token id", member, "PUT", "/v1/code/" + strings.Repeat("cd", 16), junk, []string{HeaderWriteHash, writeHash(mine)}, 201, ""},
		{"and marks it refused", member, "PUT", "/v1/state/" + tok, refuse, []string{HeaderWriteKey, mine}, 200, ""},
		{"an older newcomer asks with no hash", newcomer, "GET", "/v1/state/" + tok, "", nil, 404, ""},
		{"the administrator deposits the token", admin, "PUT", "/v1/code/" + strings.Repeat("ab", 16), real, []string{HeaderWriteHash, writeHash(key)}, 201, DeskActive},
		{"the member marks it refused again", member, "PUT", "/v1/state/" + tok, refuse, []string{HeaderWriteKey, mine}, 200, DeskActive},
		{"the newcomer resolves its code", newcomer, "GET", "/v1/code/" + strings.Repeat("ab", 16), "", nil, 200, DeskActive},
		{"a question with a malformed hash", newcomer, "GET", "/v1/state/" + tok, "", []string{HeaderWriteHash, "xyz"}, 400, DeskActive},
		{"the administrator refuses it", admin, "PUT", "/v1/state/" + tok, refuse, []string{HeaderWriteKey, key}, 200, DeskRefused},
	} {
		status, out := deskCall(t, d, tc.from, tc.method, tc.path, tc.body, tc.hdr...)
		if status != tc.want {
			t.Errorf("%s: %d %v, want %d", tc.name, status, out, tc.want)
		}
		if _, out := deskCall(t, d, newcomer, "GET", "/v1/state/"+tok, ""); out["state"] == DeskRefused {
			t.Errorf("after %s a newcomer who asks with no hash is told the token was refused", tc.name)
		}
		_, out = deskCall(t, d, newcomer, "GET", "/v1/state/"+tok, "", HeaderWriteHash, writeHash(key))
		if got, _ := out["state"].(string); got != tc.state || (got != "" && out["write_hash"] != writeHash(key)) {
			t.Errorf("after %s the newcomer is told %v, want %q for its own hash", tc.name, out, tc.state)
		}
	}
}

package cli

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"
)

// run runs one command as a person would, with the file keystore (so no OS
// keyring is needed) and the passphrase in the environment.
func run(t testing.TB, profile, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := map[string]string{"MEDIHAVEN_PASSPHRASE": "test passphrase", "MEDIHAVEN_KEYSTORE": "file"}
	if stdin != "" {
		delete(env, "MEDIHAVEN_PASSPHRASE")
	}
	io := IO{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }}
	g, rest, err := ParseGlobal(append([]string{"--profile", profile}, args...), io.Getenv)
	if err != nil {
		t.Fatalf("ParseGlobal: %v", err)
	}
	code = Run(context.Background(), g, rest, io)
	return code, out.String(), errb.String()
}

func TestCommands(t *testing.T) {
	dir := t.TempDir()
	admin := filepath.Join(dir, "admin")
	code, out, errs := run(t, admin, "", "init", "--clinic", "Hillside Clinic", "--admin", "Ada Lovelace")
	if code != 0 || !strings.Contains(out, "Hillside Clinic") {
		t.Fatalf("init: %d %q %q", code, out, errs)
	}
	code, tok, errs := run(t, admin, "", "token", "issue", "--role", "physician", "--expires", "2h")
	tok = strings.TrimSpace(tok)
	if code != 0 || !strings.HasPrefix(tok, "MH1-") || strings.Contains(tok, "\n") {
		t.Fatalf("token issue printed %q (%d, %q): want only the token", tok, code, errs)
	}
	code, out, _ = run(t, admin, "", "token", "list")
	if code != 0 || !strings.Contains(out, "physician") || !strings.Contains(out, "active") {
		t.Fatalf("token list: %d %q", code, out)
	}
	// The passphrase may come on standard input.
	code, out, errs = run(t, filepath.Join(dir, "doc"), "test passphrase\n", "enroll", "--token", tok, "--name", "Dr Who")
	if code != 0 || !strings.Contains(out, "Dr Who") {
		t.Fatalf("enroll: %d %q %q", code, out, errs)
	}
	code, out, _ = run(t, admin, "", "verify")
	if code != 0 || !strings.Contains(out, "OK") {
		t.Fatalf("verify: %d %q", code, out)
	}

	// Bad input: a clear error, a non-zero exit, and nothing changed.
	tests := []struct {
		name    string
		profile string
		args    []string
		code    int
		want    string
	}{
		{"no command", admin, nil, 2, "no command"},
		{"unknown command", admin, []string{"frobnicate"}, 2, "unknown command"},
		{"init twice", admin, []string{"init", "--clinic", "X", "--admin", "Y"}, 1, "already exists"},
		{"init without names", filepath.Join(dir, "x"), []string{"init"}, 2, "--clinic"},
		{"bad role", admin, []string{"token", "issue", "--role", "nurse"}, 2, "unknown role"},
		{"too long", admin, []string{"token", "issue", "--role", "physician", "--expires", "9000h"}, 1, "30 days"},
		{"revoke unknown", admin, []string{"token", "revoke", "0123456789abcdef"}, 1, "unknown"},
		{"malformed token", filepath.Join(dir, "y"), []string{"enroll", "--token", "MH1-XYZ", "--name", "Z"}, 1, "malformed"},
		{"no profile", filepath.Join(dir, "none"), []string{"token", "list"}, 1, "no clinic profile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := listing(t, dir)
			code, _, errs := run(t, tt.profile, "", tt.args...)
			if code != tt.code || !strings.Contains(errs, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", code, errs, tt.code, tt.want)
			}
			if after := listing(t, dir); after != before && tt.name != "revoke unknown" && tt.name != "bad role" {
				t.Errorf("a refused command changed the files:\n%s\nvs\n%s", before, after)
			}
		})
	}
	// Wrong passphrase.
	var errb bytes.Buffer
	io := IO{Stdout: &bytes.Buffer{}, Stderr: &errb, Getenv: func(k string) string {
		return map[string]string{"MEDIHAVEN_PASSPHRASE": "wrong passphrase", "MEDIHAVEN_KEYSTORE": "file"}[k]
	}}
	if code := Run(context.Background(), Global{Profile: admin, Keystore: "file"}, []string{"token", "list"}, io); code != 1 || !strings.Contains(errb.String(), "wrong passphrase") {
		t.Errorf("wrong passphrase: %d %q", code, errb.String())
	}
}

// listing names every file with its size and time, to see that nothing changed.
func listing(t testing.TB, dir string) string {
	t.Helper()
	var b strings.Builder
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && !strings.HasSuffix(p, "-shm") {
			b.WriteString(p + " " + fi.ModTime().Format(time.RFC3339Nano) + "\n")
		}
		return nil
	})
	return b.String()
}

// TestVerifyDamaged: `verify` names an altered event and exits non-zero.
func TestVerifyDamaged(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "admin")
	if code, _, errs := run(t, dir, "", "init", "--clinic", "Damaged Clinic", "--admin", "Ada"); code != 0 {
		t.Fatal(errs)
	}
	for i := 0; i < 3; i++ {
		if code, _, errs := run(t, dir, "", "token", "issue", "--role", "receptionist"); code != 0 {
			t.Fatal(errs)
		}
	}
	db, err := sql.Open("sqlite3", filepath.Join(dir, "medihaven.db"))
	if err != nil {
		t.Fatal(err)
	}
	var id string
	var raw []byte
	var seq int
	var body int64 // its bytes' row (store 0013: envelope_bytes)
	if err := db.QueryRow("SELECT id, body, (SELECT raw FROM envelope_bytes WHERE n = body), seq FROM envelopes ORDER BY seq DESC LIMIT 1 OFFSET 1").Scan(&id, &body, &raw, &seq); err != nil {
		t.Fatal(err)
	}
	raw[len(raw)/2] ^= 1
	for _, q := range []string{"DROP TRIGGER envelope_bytes_immutable"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec("UPDATE envelope_bytes SET raw = ? WHERE n = ?", raw, body); err != nil {
		t.Fatal(err)
	}
	db.Close()
	// The login finds the store altered (a trigger dropped) and rebuilds
	// it from the signed log first, dropping the event whose bytes do not
	// verify (fetched again from the clinic): verify names the event, or
	// the gap it left.
	code, out, errs := run(t, dir, "", "verify")
	named := strings.Contains(out, id[:8]) || strings.Contains(out, fmt.Sprintf("gap in the chain: expected event %d,", seq))
	if code != 1 || !strings.Contains(out, "BAD") || !named || !strings.Contains(errs, "not intact") {
		t.Fatalf("verify of a damaged log: exit %d\n%s\n%s", code, out, errs)
	}
}

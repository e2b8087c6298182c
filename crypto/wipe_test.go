package crypto

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/ecdh"
	"github.com/ProtonMail/go-crypto/openpgp/eddsa"
)

// secretBytes returns the secret key bytes of an unlocked identity's
// primary key and subkeys (EdDSA and cv25519, as generateIdentity makes).
func secretBytes(t *testing.T, id *Identity) [][]byte {
	t.Helper()
	e := id.key.GetEntity()
	var out [][]byte
	add := func(priv any) {
		switch k := priv.(type) {
		case *eddsa.PrivateKey:
			out = append(out, k.D)
		case *ecdh.PrivateKey:
			out = append(out, k.D)
		default:
			t.Fatalf("unexpected secret key type %T", priv)
		}
	}
	add(e.PrivateKey.PrivateKey)
	for _, sub := range e.Subkeys {
		add(sub.PrivateKey.PrivateKey)
	}
	return out
}

func allZero(b []byte) bool { return len(bytes.Trim(b, "\x00")) == 0 }

func TestClearOverwritesSecretKeys(t *testing.T) {
	id, err := generateIdentity("Temp", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	secrets := secretBytes(t, id)
	if len(secrets) != 2 {
		t.Fatalf("%d secret keys, want 2", len(secrets))
	}
	for _, s := range secrets {
		if allZero(s) {
			t.Fatal("a secret key is zero before Clear")
		}
	}
	id.Clear()
	for i, s := range secrets {
		if !allZero(s) {
			t.Errorf("secret key %d still in memory after Clear", i)
		}
	}
}

// Lock makes and wipes its own copy: the live key keeps working.
func TestLockKeepsTheLiveKey(t *testing.T) {
	id, err := generateIdentity("Temp", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	defer id.Clear()
	if _, err := id.Lock([]byte("pass")); err != nil {
		t.Fatal(err)
	}
	for _, s := range secretBytes(t, id) {
		if allZero(s) {
			t.Fatal("Lock wiped the live key")
		}
	}
	sig, err := id.Sign([]byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	if err := id.Public().Verify([]byte("x"), sig); err != nil {
		t.Fatal(err)
	}
}

func TestCloseKeystoreWipes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys")
	pass := []byte("file passphrase")
	ks, err := OpenFileKeystore(path, pass)
	if err != nil {
		t.Fatal(err)
	}
	if err := ks.Set("device", []byte("wrapped device key")); err != nil {
		t.Fatal(err)
	}
	f := ks.(*fileKeystore)
	key, secret := f.key, f.secrets["device"]
	CloseKeystore(ks)
	if !allZero(key) || !allZero(secret) {
		t.Error("the derived key or a secret is still in memory after CloseKeystore")
	}
	if _, err := ks.Get("device"); err == nil {
		t.Error("Get after CloseKeystore")
	}
	if err := ks.Set("x", []byte("y")); err == nil {
		t.Error("Set after CloseKeystore")
	}
	if err := ks.Delete("device"); err == nil {
		t.Error("Delete after CloseKeystore")
	}
	again, err := OpenFileKeystore(path, pass)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := again.Get("device"); err != nil || string(got) != "wrapped device key" {
		t.Fatalf("the file lost its secret: %q, %v", got, err)
	}
	CloseKeystore(NewMemoryKeystore()) // nothing to do: no panic
	CloseKeystore(NewOSKeystore("x"))
}

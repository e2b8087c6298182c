package crypto

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"
)

func TestRekeyFileKeystore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.mhk")
	ks, err := OpenFileKeystore(path, []byte("old passphrase"))
	if err != nil {
		t.Fatal(err)
	}
	if err := ks.Set("device", []byte("wrapped device key")); err != nil {
		t.Fatal(err)
	}
	if err := ks.Set("identity", []byte("locked with the old")); err != nil {
		t.Fatal(err)
	}
	CloseKeystore(ks)

	if err := RekeyFileKeystore(path, []byte("wrong"), []byte("new passphrase"), nil); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("wrong old passphrase: %v, want ErrWrongPassphrase", err)
	}
	if err := RekeyFileKeystore(path, []byte("old passphrase"), []byte("new passphrase"),
		map[string][]byte{"identity": []byte("locked with the new")}); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenFileKeystore(path, []byte("old passphrase")); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("the old passphrase still opens the file: %v", err)
	}
	ks, err = OpenFileKeystore(path, []byte("new passphrase"))
	if err != nil {
		t.Fatal(err)
	}
	defer CloseKeystore(ks)
	for name, want := range map[string]string{"device": "wrapped device key", "identity": "locked with the new"} {
		got, err := ks.Get(name)
		if err != nil || !bytes.Equal(got, []byte(want)) {
			t.Errorf("%s = %q, %v; want %q", name, got, err, want)
		}
	}
}

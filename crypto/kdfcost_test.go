package crypto

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// lockedS2KCounts returns the S2K count of every secret key in an armored
// locked key (AES-256, iterated and salted SHA-256, as lockKey makes it).
func lockedS2KCounts(t *testing.T, locked []byte) []int {
	t.Helper()
	block, err := armor.Decode(bytes.NewReader(locked))
	if err != nil {
		t.Fatal(err)
	}
	// In a secret key packet the S2K follows the public key: usage 254
	// (SHA-1 check), cipher 9 (AES-256), S2K type 3 (iterated and
	// salted), hash 8 (SHA-256), 8 bytes of salt, then the coded count.
	spec := []byte{254, 9, 3, 8}
	var counts []int
	r := packet.NewOpaqueReader(block.Body)
	for {
		p, err := r.Next()
		if errors.Is(err, io.EOF) {
			return counts
		}
		if err != nil {
			t.Fatal(err)
		}
		if p.Tag != 5 && p.Tag != 7 { // secret key, secret subkey
			continue
		}
		i := bytes.Index(p.Contents, spec)
		if i < 0 || i+len(spec)+8 >= len(p.Contents) {
			t.Fatalf("a secret key packet without the iterated and salted SHA-256 S2K: % x", p.Contents)
		}
		c := int(p.Contents[i+len(spec)+8])
		counts = append(counts, (16+c&15)<<(c>>4+6)) // RFC 4880 3.7.1.3
	}
}

// keystoreKDF returns the Argon2id settings in a keystore file's header.
func keystoreKDF(t *testing.T, path string) kdfCost {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	kdf, err := parseFileHeader(data)
	if err != nil {
		t.Fatal(err)
	}
	return kdfCost{passes: kdf.passes, memory: kdf.memory, lanes: kdf.lanes}
}

// TestRealKDFOutsideTests builds a program that makes keys as medihaven
// does (testdata/kdfprobe) and checks that they carry the real costs: the
// cheap ones are for test binaries only. The keys it made still unlock
// here, where new keys are cheap.
func TestRealKDFOutsideTests(t *testing.T) {
	if realKDF.s2kCount != 65011712 || realKDF.passes != 3 || realKDF.memory != 64<<10 || realKDF.lanes != 4 {
		t.Fatalf("the real KDF costs changed: %+v", realKDF)
	}
	if kdfFor(false) != realKDF || kdfFor(true) != testKDF || newKeyKDF != testKDF {
		t.Fatalf("kdfFor(false) %+v, kdfFor(true) %+v, in this test binary %+v", kdfFor(false), kdfFor(true), newKeyKDF)
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command, to build the probe: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	probe := filepath.Join(dir, "kdfprobe")
	if out, err := exec.CommandContext(ctx, goTool, "build", "-o", probe, "./testdata/kdfprobe").CombinedOutput(); err != nil {
		t.Fatalf("go build ./testdata/kdfprobe: %v\n%s", err, out)
	}
	const pass = "probe passphrase"
	if out, err := exec.CommandContext(ctx, probe, dir, pass).CombinedOutput(); err != nil {
		t.Fatalf("kdfprobe: %v\n%s", err, out)
	}

	locked, err := os.ReadFile(filepath.Join(dir, "identity.asc"))
	if err != nil {
		t.Fatal(err)
	}
	counts := lockedS2KCounts(t, locked)
	if len(counts) != 2 || counts[0] != realKDF.s2kCount || counts[1] != realKDF.s2kCount {
		t.Errorf("the probe's identity is locked with S2K counts %v, want %d for the key and its subkey", counts, realKDF.s2kCount)
	}
	id, err := UnlockIdentity(locked, []byte(pass))
	if err != nil {
		t.Fatalf("unlocking a key made at the real cost: %v", err)
	}
	id.Clear()

	path := filepath.Join(dir, "keystore")
	if got, want := keystoreKDF(t, path), (kdfCost{passes: realKDF.passes, memory: realKDF.memory, lanes: realKDF.lanes}); got != want {
		t.Errorf("the probe's keystore file asks Argon2id %+v, want %+v", got, want)
	}
	ks, err := OpenFileKeystore(path, []byte(pass))
	if err != nil {
		t.Fatalf("opening a keystore file made at the real cost: %v", err)
	}
	defer CloseKeystore(ks)
	if got, err := ks.Get("probe"); err != nil || string(got) != "probe secret" {
		t.Errorf("the probe's secret: %q, %v", got, err)
	}
}

// TestCheapKDFInTests: keys made in a test binary are locked at testKDF,
// and a keystore file rekeyed here takes it too; both open as any other.
func TestCheapKDFInTests(t *testing.T) {
	pass := []byte("cheap passphrase")
	id, locked, err := NewIdentity("Cheap", pass)
	if err != nil {
		t.Fatal(err)
	}
	id.Clear()
	if counts := lockedS2KCounts(t, locked); len(counts) != 2 || counts[0] != testKDF.s2kCount || counts[1] != testKDF.s2kCount {
		t.Errorf("S2K counts %v, want %d", counts, testKDF.s2kCount)
	}
	if _, err := UnlockIdentity(locked, []byte("wrong")); !errors.Is(err, ErrWrongPassphrase) {
		t.Errorf("a wrong passphrase: %v", err)
	}
	path := filepath.Join(t.TempDir(), "keystore")
	ks, err := OpenFileKeystore(path, pass)
	if err != nil {
		t.Fatal(err)
	}
	CloseKeystore(ks)
	next := []byte("next passphrase")
	if err := RekeyFileKeystore(path, pass, next, nil); err != nil {
		t.Fatal(err)
	}
	want := kdfCost{passes: testKDF.passes, memory: testKDF.memory, lanes: testKDF.lanes}
	if got := keystoreKDF(t, path); got != want {
		t.Errorf("Argon2id %+v, want %+v", got, want)
	}
	if ks, err := OpenFileKeystore(path, next); err != nil {
		t.Errorf("opening with the new passphrase: %v", err)
	} else {
		CloseKeystore(ks)
	}
}

// Command kdfprobe makes keys as medihaven makes them, in a program not
// built by go test: an identity locked with a passphrase (dir/identity.asc)
// and a keystore file (dir/keystore). TestRealKDFOutsideTests builds it and
// reads the KDF parameters of both.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/medihaven/medihaven/crypto"
)

func main() {
	if err := probe(os.Args[1], []byte(os.Args[2])); err != nil {
		fmt.Fprintln(os.Stderr, "kdfprobe:", err)
		os.Exit(1)
	}
}

func probe(dir string, pass []byte) error {
	id, locked, err := crypto.NewIdentity("KDF Probe", pass)
	if err != nil {
		return err
	}
	id.Clear()
	if err := os.WriteFile(filepath.Join(dir, "identity.asc"), locked, 0o600); err != nil {
		return err
	}
	ks, err := crypto.OpenFileKeystore(filepath.Join(dir, "keystore"), pass)
	if err != nil {
		return err
	}
	defer crypto.CloseKeystore(ks)
	return ks.Set("probe", []byte("probe secret"))
}

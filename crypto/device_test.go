package crypto

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

func TestDeviceKey(t *testing.T) {
	k, err := NewDeviceKey()
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewDeviceKey()
	plain := []byte("chat history with Dr. Souza")
	ad := []byte("chat:42")
	sealed, err := k.Seal(plain, ad)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, plain) {
		t.Fatal("sealed value holds the plaintext")
	}
	again, _ := k.Seal(plain, ad)
	if bytes.Equal(sealed, again) {
		t.Fatal("two seals are identical: nonce not random")
	}
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	tests := []struct {
		name   string
		key    DeviceKey
		sealed []byte
		ad     []byte
		ok     bool
	}{
		{"same key and ad", k, sealed, ad, true},
		{"other row", k, sealed, []byte("chat:43"), false},
		{"no ad", k, sealed, nil, false},
		{"other key", other, sealed, ad, false},
		{"tampered", k, tampered, ad, false},
		{"truncated", k, sealed[:20], ad, false},
		{"empty", k, nil, ad, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.key.Open(tt.sealed, tt.ad)
			if tt.ok {
				if err != nil || !bytes.Equal(got, plain) {
					t.Fatalf("got (%q, %v)", got, err)
				}
				return
			}
			if !errors.Is(err, ErrCannotOpen) {
				t.Fatalf("got (%q, %v), want ErrCannotOpen", got, err)
			}
		})
	}

	back, err := DeviceKeyFromBytes(k[:])
	if err != nil || back != k {
		t.Fatalf("DeviceKeyFromBytes: %v", err)
	}
	if _, err := DeviceKeyFromBytes(k[:31]); !errors.Is(err, ErrMalformed) {
		t.Fatalf("short key: %v", err)
	}
	if s := fmt.Sprintf("%v %+v %#v %s", k, k, k, k); s != "DeviceKey(hidden) DeviceKey(hidden) DeviceKey(hidden) DeviceKey(hidden)" {
		t.Fatalf("formatting shows the key: %s", s)
	}
}

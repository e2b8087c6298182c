package store

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
)

func TestSecrets(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	names := []string{"grant/clinical/1", "grant/clinical/2", "grant/frontdesk/1", "grant/", "grant", "grant\xff", "chat/history", "\xff\xff"}
	update(t, db, func(tx *Tx) error {
		for _, n := range names {
			if err := tx.PutSecret(ctx, n, []byte("sealed "+n)); err != nil {
				return err
			}
		}
		return tx.PutSecret(ctx, "grant/clinical/2", []byte("resealed"))
	})
	if err := db.Update(ctx, func(tx *Tx) error { return tx.PutSecret(ctx, "", []byte{1}) }); !errors.Is(err, ErrInvalid) {
		t.Errorf("PutSecret with no name: %v, want ErrInvalid", err)
	}
	view(t, db, func(tx *Tx) error {
		got, err := tx.Secret(ctx, "grant/clinical/2")
		if err != nil || string(got) != "resealed" {
			t.Errorf("Secret = %q, %v; want the replaced value", got, err)
		}
		if _, err := tx.Secret(ctx, "missing"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Secret(missing): %v, want ErrNotFound", err)
		}
		return nil
	})

	prefixes := []struct {
		prefix string
		want   []string
	}{
		{"grant/clinical/", []string{"grant/clinical/1", "grant/clinical/2"}},
		{"grant/", []string{"grant/", "grant/clinical/1", "grant/clinical/2", "grant/frontdesk/1"}},
		{"grant", []string{"grant", "grant/", "grant/clinical/1", "grant/clinical/2", "grant/frontdesk/1", "grant\xff"}},
		{"\xff", []string{"\xff\xff"}},
		{"%", nil},
		{"", names},
	}
	for _, p := range prefixes {
		view(t, db, func(tx *Tx) error {
			got, err := tx.SecretsWithPrefix(ctx, p.prefix)
			if err != nil {
				t.Fatal(err)
			}
			if !sameNames(got, p.want) {
				t.Errorf("SecretsWithPrefix(%q) = %q, want %q", p.prefix, sortedKeys(got), p.want)
			}
			return nil
		})
	}

	update(t, db, func(tx *Tx) error {
		if err := tx.DeleteSecret(ctx, "grant/clinical/1"); err != nil {
			return err
		}
		return tx.DeleteSecret(ctx, "never stored")
	})
	view(t, db, func(tx *Tx) error {
		if _, err := tx.Secret(ctx, "grant/clinical/1"); !errors.Is(err, ErrNotFound) {
			t.Errorf("deleted secret: %v, want ErrNotFound", err)
		}
		return nil
	})
}

func sameNames(got map[string][]byte, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for _, n := range want {
		if string(got[n]) == "" {
			return false
		}
	}
	return true
}

func sortedKeys(m map[string][]byte) []string {
	return slices.Sorted(maps.Keys(m))
}

// FuzzSecretsWithPrefix checks the byte-range query against
// strings.HasPrefix for arbitrary names and prefixes.
func FuzzSecretsWithPrefix(f *testing.F) {
	f.Add("grant/a", "grant/b", "other", "grant/")
	f.Add("\xff", "\xff\xff", "\xfe\xff", "\xff")
	f.Add("a\x00b", "a", "", "a\x00")
	db := openTest(f)
	f.Fuzz(func(t *testing.T, n1, n2, n3, prefix string) {
		ctx := context.Background()
		err := db.Update(ctx, func(tx *Tx) error {
			want := map[string]bool{}
			for _, n := range []string{n1, n2, n3} {
				if n == "" {
					continue
				}
				if err := tx.PutSecret(ctx, n, []byte{1}); err != nil {
					return err
				}
				if strings.HasPrefix(n, prefix) {
					want[n] = true
				}
			}
			got, err := tx.SecretsWithPrefix(ctx, prefix)
			if err != nil {
				return err
			}
			if len(got) != len(want) {
				t.Errorf("SecretsWithPrefix(%q) over %q %q %q = %q", prefix, n1, n2, n3, sortedKeys(got))
			}
			for n := range got {
				if !want[n] {
					t.Errorf("SecretsWithPrefix(%q) returned %q", prefix, n)
				}
			}
			return errRollBack
		})
		if !errors.Is(err, errRollBack) {
			t.Error(err)
		}
	})
}

// errRollBack ends a transaction a test wants forgotten.
var errRollBack = errors.New("roll back")

func TestPrefixEnd(t *testing.T) {
	tests := []struct {
		prefix, end string
		ok          bool
	}{
		{"", "", false},
		{"a", "b", true},
		{"grant/", "grant0", true},
		{"a\xff", "b", true},
		{"\xff\xff", "", false},
	}
	for _, tt := range tests {
		end, ok := prefixEnd(tt.prefix)
		if end != tt.end || ok != tt.ok {
			t.Errorf("prefixEnd(%q) = %q, %v; want %q, %v", tt.prefix, end, ok, tt.end, tt.ok)
		}
	}
}

package store

import (
	"errors"
	"testing"
)

func TestMeta(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	tests := []struct {
		name  string
		key   string
		value []byte
		want  []byte
		err   error
	}{
		{"device id", "device", []byte("a1b2"), []byte("a1b2"), nil},
		{"replaced", "device", []byte("c3d4"), []byte("c3d4"), nil},
		{"empty value", "clinic", nil, []byte{}, nil},
		{"binary value", "schema", []byte{0, 0xFF}, []byte{0, 0xFF}, nil},
		{"empty key", "", []byte("x"), nil, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := db.Update(ctx, func(tx *Tx) error { return tx.SetMeta(ctx, tt.key, tt.value) })
			if !errors.Is(err, tt.err) {
				t.Fatalf("SetMeta: %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			view(t, db, func(tx *Tx) error {
				got, err := tx.Meta(ctx, tt.key)
				if err != nil || string(got) != string(tt.want) || got == nil {
					t.Errorf("Meta(%q) = %q, %v; want %q", tt.key, got, err, tt.want)
				}
				return nil
			})
		})
	}
	view(t, db, func(tx *Tx) error {
		if _, err := tx.Meta(ctx, "missing"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Meta(missing): %v, want ErrNotFound", err)
		}
		return nil
	})
}

func TestSize(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	before, err := db.Size(ctx)
	if err != nil || before <= 0 {
		t.Fatalf("Size = %d, %v", before, err)
	}
	update(t, db, func(tx *Tx) error { return tx.SetMeta(ctx, "big", make([]byte, 64<<10)) })
	after, err := db.Size(ctx)
	if err != nil || after < before+64<<10 {
		t.Errorf("Size after 64 KiB = %d (before %d), %v", after, before, err)
	}
}

package roles

import (
	"testing"

	"github.com/medihaven/medihaven/crypto"
)

// BenchmarkCheckID: what the kind rule costs an event, for an id bound to
// its kind (every record made since session 18) and a random one.
func BenchmarkCheckID(b *testing.B) {
	k, _ := KindOf("note")
	for _, bc := range []struct{ name, id string }{
		{"bound", NewRecordID("note")},
		{"random", crypto.NewEventID()},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := k.CheckID(bc.id); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestHashMatchesRecordID: the kind rule's check without strings answers
// as recordID does, for every kind.
func TestHashMatchesRecordID(t *testing.T) {
	for range 200 {
		salt := crypto.NewEventID()[:recordSalt]
		for _, k := range kindNames {
			id := recordID(k, salt, recordMark)
			for _, o := range kindNames {
				_, elsewhere := boundElsewhere(id, o)
				if want := o != k; elsewhere != want {
					t.Fatalf("id %s made for %s: bound elsewhere than %s: %v, want %v", id, k, o, elsewhere, want)
				}
			}
		}
	}
}

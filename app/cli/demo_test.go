package cli

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/sync/store"
)

// TestDemoLeavesNoPlaintext seeds a demo clinic and greps every byte of every
// profile (the SQLite file, its WAL, the key file) for what identifies a
// patient: names, birth dates, phone numbers, and the clinical words.
func TestDemoLeavesNoPlaintext(t *testing.T) {
	n := 1000
	if testing.Short() {
		n = 100
	}
	dir := t.TempDir()
	start := time.Now()
	code, out, errs := run(t, dir, "", "demo", "--patients", fmt.Sprint(n), "--seed", "3")
	if code != 0 {
		t.Fatalf("demo: %d %q %q", code, out, errs)
	}
	t.Logf("demo --patients %d took %s", n, time.Since(start))
	// The same seed gives the same patients: regenerate what was seeded.
	rng := rand.New(rand.NewPCG(3, 42))
	var needles []string
	for i := 0; i < n; i++ {
		p := demoPatient(rng)
		if (p.Sex == "female") != slices.Contains([]string{"Olivia", "Emma", "Ava", "Sophia", "Isabella", "Mia", "Amelia", "Harper", "Evelyn", "Luna", "Zoe", "Priya", "Fatima", "Aiko", "Ingrid", "Yara", "Nadia", "Leila", "Sara", "Hana"}, p.Given) {
			t.Errorf("demo patient %s %s is recorded %s", p.Given, p.Family, p.Sex)
		}
		if i < 60 {
			rng.IntN(len(demoVisits))
		}
		if i%10 == 0 {
			rng.IntN(len(demoDrugs))
		}
		if i < 50 {
			needles = append(needles, p.Given+" "+p.Family, p.Birth, p.Phone)
		}
	}
	needles = append(needles, "Feels well overall", "Review in 6 months", "Heart sounds normal", "Childhood rash only", "Complete the course", "Riverside Family Practice", "Rosa Delgado", "Okafor", "Amoxicillin")
	var files int
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		files++
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.HasSuffix(p, "profile.json") {
			// The login screen names the workstation's person: a colleague, not a patient.
			b = regexp.MustCompile(`"staff": "[^"]*"`).ReplaceAll(b, nil)
		}
		lower := bytes.ToLower(b)
		for _, needle := range needles {
			if needle == "Riverside Family Practice" && strings.HasSuffix(p, "profile.json") {
				continue // the clinic's name is shown on the login screen
			}
			if bytes.Contains(lower, []byte(strings.ToLower(needle))) {
				t.Errorf("%s contains %q in clear", p, needle)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 8 {
		t.Fatalf("only %d files in the demo profiles", files)
	}
	for _, p := range []string{"admin", "reception", "physician", "physician2"} {
		if code, out, errs := run(t, filepath.Join(dir, p), "", "verify"); code != 0 {
			t.Errorf("verify %s: %q %q", p, out, errs)
		}
		// No workstation refused anything the demo wrote (the fields rule,
		// or any other).
		db, err := store.Open(context.Background(), filepath.Join(dir, p, "medihaven.db"))
		if err != nil {
			t.Fatal(err)
		}
		var count map[store.EnvelopeState]int
		err = db.View(context.Background(), func(tx *store.Tx) error {
			count, err = tx.CountEnvelopes(context.Background())
			return err
		})
		db.Close()
		if err != nil || count[store.Rejected] != 0 || count[store.Applied] == 0 {
			t.Errorf("%s's workstation: %v envelopes by state (rejected is %d), %v", p, count, store.Rejected, err)
		}
	}
}

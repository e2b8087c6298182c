package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestBench(t *testing.T) {
	dir := t.TempDir()
	if code, out, errs := run(t, dir, "", "demo", "--patients", "40", "--seed", "5"); code != 0 {
		t.Fatalf("demo: %d %q %q", code, out, errs)
	}
	tests := []struct {
		profile string
		args    []string
		code    int
		want    []string
	}{
		{"reception", []string{"bench", "--rounds", "5"}, 0, []string{"search: MRN", "calendar: one physician's day", "envelope: seal"}},
		{"physician", []string{"bench", "--rounds", "5"}, 0, []string{"search: birth date", "envelope: verify + open"}},
		{"admin", []string{"bench", "--rounds", "5"}, 0, []string{"envelope: seal"}},
		{"reception", []string{"bench", "--rounds", "0"}, 2, []string{"--rounds is 1 to 100000"}},
	}
	for _, tt := range tests {
		code, out, errs := run(t, filepath.Join(dir, tt.profile), "", tt.args...)
		if code != tt.code {
			t.Errorf("%s %v: exit %d, want %d (%q)", tt.profile, tt.args, code, tt.code, errs)
		}
		for _, w := range tt.want {
			if !strings.Contains(out+errs, w) {
				t.Errorf("%s %v: no %q in %q", tt.profile, tt.args, w, out+errs)
			}
		}
	}
	if code, out, _ := run(t, filepath.Join(dir, "admin"), "", "bench", "--rounds", "5"); code == 0 && strings.Contains(out, "search:") {
		t.Error("an administrator's workstation searched patients")
	}
}

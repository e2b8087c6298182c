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

// TestWindowEnv: bench window's --env takes NAME=VALUE settings, in order,
// and refuses anything else before a window opens.
func TestWindowEnv(t *testing.T) {
	for _, c := range []struct {
		name string
		in   []string
		want string // String() after the good ones; "error" when one is refused
	}{
		{"none", nil, ""},
		{"two, in order", []string{"GOGC=50", "GLIBC_TUNABLES=glibc.malloc.arena_max=1"}, "GOGC=50 GLIBC_TUNABLES=glibc.malloc.arena_max=1"},
		{"an empty value", []string{"MEDIHAVEN_TRACE_HEAP="}, "MEDIHAVEN_TRACE_HEAP="},
		{"no '='", []string{"GOGC"}, "error"},
		{"no name", []string{"=50"}, "error"},
		{"a space in the name", []string{"GO GC=50"}, "error"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var e windowEnv
			got := ""
			for _, v := range c.in {
				if err := e.Set(v); err != nil {
					got = "error"
					break
				}
			}
			if got == "" {
				got = e.String()
			}
			if got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

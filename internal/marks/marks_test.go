package marks

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	st := Read()
	if st.RSSKB <= 0 || st.HWMKB < st.RSSKB {
		t.Errorf("memory: %+v", st)
	}
	if st.AgeMillis < 0 || st.AgeMillis > 24*3600*1000 {
		t.Errorf("age: %d ms", st.AgeMillis)
	}
}

func TestOf(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	for _, c := range []struct {
		pid  string
		some bool
	}{{"self", true}, {"0", false}, {"not-a-pid", false}} {
		st := Of(c.pid)
		if got := st.RSSKB > 0 && st.FileKB > 0 && st.AnonKB > 0; got != c.some {
			t.Errorf("Of(%q) = %+v", c.pid, st)
		}
	}
}

func TestShownCallsTheHookUntilStopped(t *testing.T) {
	var got []string
	OnShown(func(s string) { got = append(got, s) })
	Shown("Today")
	OnShown(nil)
	Shown("Calendar")
	if strings.Join(got, ",") != "Today" {
		t.Errorf("got %v", got)
	}
}

func TestMarkIsOffWithoutTheVariable(t *testing.T) {
	if os.Getenv(Env) != "" {
		t.Skip(Env + " is set")
	}
	if Enabled() {
		t.Error("marks on without " + Env)
	}
	Mark("nothing") // must not panic or write
}

// TestHeapSamplingLinkedOut builds a program that uses marks: without
// -tags heapprofile nothing in it reads Go's heap profile, so the linker
// turns the runtime's heap sampling off (MemProfileRate 0 from the start, as
// GODEBUG=memprofilerate=0 does) and the window keeps no profiler buckets;
// with the tag, MEDIHAVEN_TRACE_HEAP's profile can be written and Go's
// default rate stays.
func TestHeapSamplingLinkedOut(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	for _, c := range []struct{ tags, rate string }{
		{"", "0"},
		{"heapprofile", "524288"},
	} {
		t.Run("tags="+c.tags, func(t *testing.T) {
			bin := filepath.Join(t.TempDir(), "heapoff")
			build := exec.Command("go", "build", "-tags", c.tags, "-o", bin, "./testdata/heapoff")
			if out, err := build.CombinedOutput(); err != nil {
				t.Fatalf("go build: %v\n%s", err, out)
			}
			run := exec.Command(bin)
			run.Env = append(os.Environ(), "GODEBUG=", Env+"=", HeapEnv+"=")
			out, err := run.Output()
			if err != nil {
				t.Fatalf("heapoff: %v", err)
			}
			if got := strings.TrimSpace(string(out)); got != c.rate {
				t.Errorf("MemProfileRate %s, want %s", got, c.rate)
			}
		})
	}
}

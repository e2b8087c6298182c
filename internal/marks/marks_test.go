package marks

import (
	"os"
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

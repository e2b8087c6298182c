package marks

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Env is the environment variable naming the file the marks go to.
const Env = "MEDIHAVEN_TRACE"

// HeapEnv names a file for a heap profile (pprof) taken at the "home"
// mark, to see what the memory after login is made of.
const HeapEnv = "MEDIHAVEN_TRACE_HEAP"

// CPUEnv names a file for a CPU profile (pprof) of the cold start: from
// this package's init to the "login-form" mark, or to the mark named by
// MEDIHAVEN_TRACE_CPU_UNTIL (e.g. "home": the login too).
const CPUEnv = "MEDIHAVEN_TRACE_CPU"

var cpuFile *os.File

func init() {
	if path := os.Getenv(CPUEnv); path != "" && os.Getenv(Env) != "" {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			cpuFile = f
		}
	}
}

var (
	out     io.Writer // nil: marks are off
	outOnce sync.Once
	mu      sync.Mutex
	shown   atomic.Pointer[func(string)]
)

func sink() io.Writer {
	outOnce.Do(func() {
		switch path := os.Getenv(Env); path {
		case "":
		case "-":
			out = os.Stderr
		default:
			f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
			if err != nil {
				fmt.Fprintf(os.Stderr, "medihaven: %s: %v\n", Env, err)
				return
			}
			out = f // open for the process's life: marks come until it ends
		}
	})
	return out
}

// Enabled reports whether marks are written.
func Enabled() bool { return sink() != nil }

// Mark writes the moment name (a fixed word such as "login-form") with
// the process's age and memory; nothing when marks are off.
func Mark(name string) {
	w := sink()
	if w == nil {
		return
	}
	now := time.Now()
	st := Read()
	mu.Lock()
	defer mu.Unlock()
	if until := os.Getenv(CPUEnv + "_UNTIL"); cpuFile != nil && (name == until || until == "" && name == "login-form") {
		pprof.StopCPUProfile()
		cpuFile.Close()
		cpuFile = nil
	}
	if path := os.Getenv(HeapEnv); path != "" && name == "home" {
		writeHeap(path)
	}
	w.Write(format(name, Line{Stat: st, UnixNS: now.UnixNano()})) //nolint:errcheck // a trace is best effort
}

// format is the line Mark writes for a mark.
// Fail writes the mark name, then why on a line of its own ("why NAME
// text"), for a moment that ends what the window benchmark waits for (a
// login that failed): the benchmark stops waiting and tells why. why is
// written in the clear, so it must hold no patient data.
func Fail(name, why string) {
	w := sink()
	if w == nil {
		return
	}
	Mark(name)
	mu.Lock()
	defer mu.Unlock()
	w.Write([]byte("why " + name + " " + strings.Join(strings.Fields(why), " ") + "\n")) //nolint:errcheck // a trace is best effort
}

// Why returns what Fail wrote with the mark name in data, "" if nothing.
func Why(data []byte, name string) string {
	prefix := "why " + name + " "
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, prefix); ok {
			return strings.TrimSpace(rest)
		}
	}
	return ""
}

func format(name string, l Line) []byte {
	b := []byte("mark " + name)
	for _, k := range keys {
		b = fmt.Appendf(b, " %s=%d", k.name, *k.of(&l))
	}
	return append(b, '\n')
}

// Line is one mark as Parse reads it back from a trace.
type Line struct {
	Stat
	UnixNS int64 // when it was written
}

// keys are a mark line's fields in the order Mark writes them; Parse
// reads the same list.
var keys = []struct {
	name string
	of   func(*Line) *int64
}{
	{"age_ms", func(l *Line) *int64 { return &l.AgeMillis }},
	{"rss_kb", func(l *Line) *int64 { return &l.RSSKB }},
	{"hwm_kb", func(l *Line) *int64 { return &l.HWMKB }},
	{"anon_kb", func(l *Line) *int64 { return &l.AnonKB }},
	{"file_kb", func(l *Line) *int64 { return &l.FileKB }},
	{"go_kb", func(l *Line) *int64 { return &l.GoKB }},
	{"heap_kb", func(l *Line) *int64 { return &l.HeapKB }},
	{"unix_ns", func(l *Line) *int64 { return &l.UnixNS }},
}

// Parse reads the marks of a trace by name (the first of each name).
// Other lines, unknown fields and bad numbers are skipped, so a trace
// that is still being written, or cut short, reads as far as it goes.
func Parse(data []byte) map[string]Line {
	out := map[string]Line{}
	s := bufio.NewScanner(bytes.NewReader(data))
	for s.Scan() {
		f := strings.Fields(s.Text())
		if len(f) < 2 || f[0] != "mark" {
			continue
		}
		if _, seen := out[f[1]]; seen {
			continue
		}
		var l Line
		for _, kv := range f[2:] {
			k, v, _ := strings.Cut(kv, "=")
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				continue
			}
			for _, key := range keys {
				if key.name == k {
					*key.of(&l) = n
				}
			}
		}
		out[f[1]] = l
	}
	return out
}

// Stat is what a mark says about the process.
type Stat struct {
	AgeMillis int64 // since the process started (10 ms resolution), -1 unknown
	RSSKB     int64 // resident memory now (VmRSS)
	HWMKB     int64 // the most it was resident (VmHWM)
	AnonKB    int64 // of RSSKB: anonymous memory (heaps: Go's, C's, the GL driver's)
	FileKB    int64 // of RSSKB: mapped files (the binary, shared libraries)
	GoKB      int64 // memory the Go runtime holds: mapped, less the heap it gave back to the system (runtime/metrics)
	HeapKB    int64 // of GoKB: live and unswept heap objects
}

// Read reads the process's age and memory from /proc (zeros elsewhere).
func Read() Stat {
	st := Of("self")
	st.AgeMillis = age()
	ms := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(ms)
	for _, m := range ms {
		if m.Value.Kind() != metrics.KindUint64 {
			return st
		}
	}
	st.GoKB = int64(ms[0].Value.Uint64()-ms[1].Value.Uint64()) / 1024
	st.HeapKB = int64(ms[2].Value.Uint64() / 1024)
	return st
}

// Of reads the memory of process pid ("self", or a number) from
// /proc/PID/status: RSS, peak RSS, anonymous and file pages. Age and Go's
// own numbers are left unknown (-1 and 0).
func Of(pid string) Stat {
	st := Stat{AgeMillis: -1}
	data, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return st
	}
	s := bufio.NewScanner(bytes.NewReader(data))
	for s.Scan() {
		k, v, ok := strings.Cut(s.Text(), ":")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			st.RSSKB = n
		case "VmHWM":
			st.HWMKB = n
		case "RssAnon":
			st.AnonKB = n
		case "RssFile":
			st.FileKB = n
		}
	}
	return st
}

// age is the process's age in milliseconds from /proc/self/stat's start
// time and /proc/uptime (clock ticks of 10 ms), -1 when unknown.
func age() int64 {
	stat, err1 := os.ReadFile("/proc/self/stat")
	up, err2 := os.ReadFile("/proc/uptime")
	if err1 != nil || err2 != nil {
		return -1
	}
	// The command name (field 2) may hold spaces: count after its ')'.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 20 {
		return -1
	}
	ticks, err := strconv.ParseInt(f[19], 10, 64) // field 22: starttime
	if err != nil {
		return -1
	}
	upf := strings.Fields(string(up))
	if len(upf) == 0 {
		return -1
	}
	secs, err := strconv.ParseFloat(upf[0], 64)
	if err != nil {
		return -1
	}
	const hz = 100 // USER_HZ, 100 on every Linux the app runs on
	return int64(secs*1000) - ticks*1000/hz
}

// OnShown sets what Shown calls (the shell, while it waits for its home
// screen); nil stops it.
func OnShown(f func(screen string)) {
	if f == nil {
		shown.Store(nil)
		return
	}
	shown.Store(&f)
}

// Shown is called by a screen, on the UI goroutine, once the data it
// loaded is in its widgets (screen is the section's title). It does
// nothing unless the shell waits for it.
func Shown(screen string) {
	if f := shown.Load(); f != nil {
		(*f)(screen)
	}
}

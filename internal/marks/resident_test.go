package marks

import (
	"runtime"
	"testing"
)

// smapsSample is a cut of /proc/PID/smaps: one mapping of each kind.
const smapsSample = `00400000-00404000 r--p 00000000 fe:00 10030058                           /usr/bin/medihaven
Size:                 16 kB
Rss:                  16 kB
Pss:                  16 kB
VmFlags: rd mr mw me
00404000-012bd000 r-xp 00004000 fe:00 10030058                           /usr/bin/medihaven
Rss:               15008 kB
Anonymous:             0 kB
7f00000000-7f00100000 r-xp 00000000 fe:00 42 /usr/lib/x86_64-linux-gnu/libLLVM-15.so.1
Rss:               57828 kB
7f00200000-7f00300000 r-xp 00000000 fe:00 43 /usr/lib/x86_64-linux-gnu/dri/swrast_dri.so
Rss:                8208 kB
7f00400000-7f00800000 rw-s 00000000 00:01 0 /SYSV00000000 (deleted)
Rss:                4000 kB
7f00900000-7f00a00000 r-xp 00000000 fe:00 44 /usr/lib/x86_64-linux-gnu/libc.so.6
Rss:                1688 kB
02b00000-04000000 rw-p 00000000 00:00 0                                  [heap]
Rss:               26952 kB
1c17b2800000-1c17b8c00000 rw-p 00000000 00:00 0 
Rss:               34928 kB
7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]
Rss:                 132 kB
`

func TestParseSmaps(t *testing.T) {
	for _, c := range []struct {
		name, in, exe string
		want          Resident
	}{
		{"empty", "", "", Resident{}},
		{"every kind", smapsSample, "/usr/bin/medihaven",
			Resident{BinaryKB: 15024, GLKB: 70036, LibsKB: 1688, CHeapKB: 26952, AnonKB: 35060}},
		{"the program unknown: its file is a library", smapsSample, "",
			Resident{GLKB: 70036, LibsKB: 15024 + 1688, CHeapKB: 26952, AnonKB: 35060}},
		{"an Rss before any mapping, bad numbers", "Rss: 5 kB\n00400000-00404000 r--p 00000000 fe:00 1 /x\nRss: many kB\nRss: -3 kB\n", "/x", Resident{}},
		{"a listing cut short", "00400000-00404000 r--p 00000000 fe:00 1 /x\nRss:   12", "/x", Resident{BinaryKB: 12}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := ParseSmaps([]byte(c.in), c.exe)
			if got != c.want {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
			if got.TotalKB() != c.want.BinaryKB+c.want.GLKB+c.want.LibsKB+c.want.CHeapKB+c.want.AnonKB {
				t.Errorf("TotalKB = %d", got.TotalKB())
			}
		})
	}
}

// TestResidentOfSelf: this test process's memory by mapping adds up to
// about its RSS (both read at nearly the same moment).
func TestResidentOfSelf(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	r, st := ResidentOf("self"), Of("self")
	if r.BinaryKB <= 0 || r.AnonKB <= 0 {
		t.Errorf("ResidentOf(self) = %+v", r)
	}
	if d := r.TotalKB() - st.RSSKB; d < -st.RSSKB/10 || d > st.RSSKB/10 {
		t.Errorf("by mapping %d kB, RSS %d kB", r.TotalKB(), st.RSSKB)
	}
	if got := ResidentOf("not-a-pid"); got != (Resident{}) {
		t.Errorf("ResidentOf(not-a-pid) = %+v", got)
	}
}

// FuzzParseSmaps: whatever the listing, ParseSmaps never panics and
// never counts less than nothing.
func FuzzParseSmaps(f *testing.F) {
	f.Add([]byte(smapsSample), "/usr/bin/medihaven")
	f.Add([]byte("Rss: 1 kB\n-\n a-b\n"), "")
	f.Fuzz(func(t *testing.T, data []byte, exe string) {
		r := ParseSmaps(data, exe)
		if r.BinaryKB < 0 || r.GLKB < 0 || r.LibsKB < 0 || r.CHeapKB < 0 || r.AnonKB < 0 {
			t.Errorf("negative: %+v", r)
		}
	})
}

package marks

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
)

// Resident is what a process's resident memory is made of, read from
// /proc/PID/smaps, in kilobytes: the window benchmark tells what is
// Medihaven's own from what the OpenGL driver brings (under Xvfb, Mesa's
// software renderer, llvmpipe: a desktop with a GPU maps its own driver).
type Resident struct {
	BinaryKB int64 // the program's own file: its code, tables and embedded fonts
	GLKB     int64 // Mesa's files (libLLVM, the *_dri.so driver, its shader cache) and the frame it shares with the X server
	LibsKB   int64 // other shared libraries and mapped files
	CHeapKB  int64 // C's heap ([heap]): the GL driver's, SQLite's, X11's small allocations
	AnonKB   int64 // other anonymous memory: Go's heap and stacks, C's large allocations, threads' stacks
}

// TotalKB is the resident memory of every kind together.
func (r Resident) TotalKB() int64 { return r.BinaryKB + r.GLKB + r.LibsKB + r.CHeapKB + r.AnonKB }

// ResidentOf reads the memory of process pid ("self", or a number) by
// mapping; zeros when /proc cannot tell.
func ResidentOf(pid string) Resident {
	exe, _ := os.Readlink("/proc/" + pid + "/exe")
	data, err := os.ReadFile("/proc/" + pid + "/smaps")
	if err != nil {
		return Resident{}
	}
	return ParseSmaps(data, exe)
}

// glFiles are parts of the names of the OpenGL driver's mappings (Mesa's
// and its MIT-SHM frame, which the kernel names /SYSV<key>).
var glFiles = []string{"libLLVM", "_dri.so", "libgallium", "mesa_shader_cache", "/SYSV"}

// ParseSmaps sums the Rss lines of an smaps listing by kind of mapping;
// exe is the program's own file. Lines it does not know are skipped.
func ParseSmaps(data []byte, exe string) Resident {
	var r Resident
	var into *int64
	s := bufio.NewScanner(bytes.NewReader(data))
	for s.Scan() {
		line := s.Text()
		if k, v, ok := strings.Cut(line, ":"); ok && !strings.Contains(k, " ") && !strings.Contains(k, "-") {
			if k == "Rss" && into != nil {
				n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				if err == nil && n > 0 && n < 1<<40 { // a petabyte: no process has more
					*into += n
				}
			}
			continue
		}
		// A mapping's header: address perms offset dev inode [path].
		f := strings.Fields(line)
		if len(f) < 5 || !strings.Contains(f[0], "-") {
			into = nil
			continue
		}
		path := strings.Join(f[5:], " ")
		switch {
		case path == "[heap]":
			into = &r.CHeapKB
		case path == "" || strings.HasPrefix(path, "["):
			into = &r.AnonKB
		case exe != "" && path == exe:
			into = &r.BinaryKB
		case containsAny(path, glFiles):
			into = &r.GLKB
		default:
			into = &r.LibsKB
		}
	}
	return r
}

func containsAny(s string, parts []string) bool {
	for _, p := range parts {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

package marks

import "testing"

func TestParse(t *testing.T) {
	for _, c := range []struct {
		name, in string
		want     map[string]Line
	}{
		{"empty", "", map[string]Line{}},
		{"two", "mark login-form age_ms=412 rss_kb=61234 hwm_kb=61300 unix_ns=17\nmark home age_ms=900 rss_kb=9 hwm_kb=10 unix_ns=18\n",
			map[string]Line{"login-form": {Stat: Stat{AgeMillis: 412, RSSKB: 61234, HWMKB: 61300}, UnixNS: 17}, "home": {Stat: Stat{AgeMillis: 900, RSSKB: 9, HWMKB: 10}, UnixNS: 18}}},
		{"memory", "mark home anon_kb=1 file_kb=2 go_kb=3 heap_kb=4\n", map[string]Line{"home": {Stat: Stat{AnonKB: 1, FileKB: 2, GoKB: 3, HeapKB: 4}}}},
		{"first of a name counts", "mark home unix_ns=1\nmark home unix_ns=2\n", map[string]Line{"home": {UnixNS: 1}}},
		{"other lines and bad numbers are skipped", "medihaven: warning\nmark\nmark shell rss_kb=x unix_ns=5 junk\n",
			map[string]Line{"shell": {UnixNS: 5}}},
		{"a line cut short while written", "mark home age_ms=1 rss_k", map[string]Line{"home": {Stat: Stat{AgeMillis: 1}}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := Parse([]byte(c.in))
			if len(got) != len(c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
			for k, v := range c.want {
				if got[k] != v {
					t.Errorf("%s: got %+v, want %+v", k, got[k], v)
				}
			}
		})
	}
}

// TestParseReadsWhatMarkWrites: every field Mark writes comes back.
func TestParseReadsWhatMarkWrites(t *testing.T) {
	want := Line{Stat: Stat{AgeMillis: 1, RSSKB: 2, HWMKB: 3, AnonKB: 4, FileKB: 5, GoKB: 6, HeapKB: 7}, UnixNS: 8}
	if got := Parse(format("home", want))["home"]; got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestWhy(t *testing.T) {
	trace := "mark login-submit unix_ns=1\nmark login-done unix_ns=2\nmark login-failed unix_ns=3\n" +
		"why login-failed Wrong passphrase: check it and try again\n"
	for _, c := range []struct {
		name, trace, mark, want string
	}{
		{"written", trace, "login-failed", "Wrong passphrase: check it and try again"},
		{"another mark's", trace, "login-done", ""},
		{"none", "", "login-failed", ""},
		{"cut short while written", "why login-failed Wrong pass", "login-failed", "Wrong pass"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := Why([]byte(c.trace), c.mark); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
	// Parse skips the line: it is no mark.
	if got := Parse([]byte(trace)); len(got) != 3 {
		t.Errorf("Parse read %d marks, want 3: %v", len(got), got)
	}
}

package cli

import "testing"

func TestParseMarks(t *testing.T) {
	for _, c := range []struct {
		name, in string
		want     map[string]traceMark
	}{
		{"empty", "", map[string]traceMark{}},
		{"two", "mark login-form age_ms=412 rss_kb=61234 hwm_kb=61300 unix_ns=17\nmark home age_ms=900 rss_kb=9 hwm_kb=10 unix_ns=18\n",
			map[string]traceMark{"login-form": {ageMS: 412, rssKB: 61234, hwmKB: 61300, unixNS: 17}, "home": {ageMS: 900, rssKB: 9, hwmKB: 10, unixNS: 18}}},
		{"memory", "mark home anon_kb=1 file_kb=2 go_kb=3 heap_kb=4\n", map[string]traceMark{"home": {anonKB: 1, fileKB: 2, goKB: 3, heapKB: 4}}},
		{"first of a name counts", "mark home unix_ns=1\nmark home unix_ns=2\n", map[string]traceMark{"home": {unixNS: 1}}},
		{"other lines and bad numbers are skipped", "medihaven: warning\nmark\nmark shell rss_kb=x unix_ns=5 junk\n",
			map[string]traceMark{"shell": {unixNS: 5}}},
		{"a line cut short while written", "mark home age_ms=1 rss_k", map[string]traceMark{"home": {ageMS: 1}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := parseMarks([]byte(c.in))
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

package cli

import "testing"

func TestParseMarks(t *testing.T) {
	for _, c := range []struct {
		name, in string
		want     map[string]traceMark
	}{
		{"empty", "", map[string]traceMark{}},
		{"two", "mark login-form age_ms=412 rss_kb=61234 hwm_kb=61300 unix_ns=17\nmark home age_ms=900 rss_kb=9 hwm_kb=10 unix_ns=18\n",
			map[string]traceMark{"login-form": {412, 61234, 61300, 17}, "home": {900, 9, 10, 18}}},
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

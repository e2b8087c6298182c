package kit

import (
	"errors"
	"testing"
)

func TestErrorText(t *testing.T) {
	tests := []struct{ err, want string }{
		{"app: invalid input: entry 3 (Patient): birthDate is missing", "Entry 3 (Patient): birthDate is missing"},
		{`app: the copy cannot be put on IPFS: ipfs: the clinic's IPFS node (Kubo) is not reachable; check that it is running: Post "http://127.0.0.1:5001/api/v0/version?": dial tcp 127.0.0.1:5001: connect: connection refused`,
			"The copy cannot be put on IPFS: the clinic's IPFS node (Kubo) is not reachable; check that it is running"},
		{"ünicode first", "ünicode first"},
		{"", ""},
	}
	for _, tc := range tests {
		if got := ErrorText(errors.New(tc.err)); got != tc.want {
			t.Errorf("ErrorText(%q) = %q, want %q", tc.err, got, tc.want)
		}
	}
	if ErrorText(nil) != "" {
		t.Error("nil error has a text")
	}
}

func TestCount(t *testing.T) {
	for n, want := range map[int]string{0: "0 keys", 1: "1 key", 2: "2 keys"} {
		if got := Count(n, "key", "keys"); got != want {
			t.Errorf("Count(%d) = %q", n, got)
		}
	}
}

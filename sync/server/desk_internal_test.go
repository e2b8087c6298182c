package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestDesk(t *testing.T) {
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	d, err := openDesk(dir, "s3cret", func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(d.handler())
	defer srv.Close()
	call := func(method, path, secret, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if secret != "" {
			req.Header.Set("Authorization", "Bearer "+secret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	id := strings.Repeat("ab", 16)
	tok := "0123456789abcdef"
	deposit := `{"token":"` + tok + `","expires":` + jsonInt(now.Add(time.Hour).Unix()) + `,"sealed":"c2VhbGVk"}`
	for _, tc := range []struct {
		name, method, path, secret, body string
		want                             int
		state                            string
	}{
		{"deposit without the secret", "PUT", "/v1/code/" + id, "", deposit, 403, ""},
		{"deposit with a wrong secret", "PUT", "/v1/code/" + id, "guess", deposit, 403, ""},
		{"a bad id", "PUT", "/v1/code/xyz", "s3cret", deposit, 400, ""},
		{"a past expiry", "PUT", "/v1/code/" + id, "s3cret", strings.Replace(deposit, jsonInt(now.Add(time.Hour).Unix()), "1", 1), 400, ""},
		{"unknown fields", "PUT", "/v1/code/" + id, "s3cret", `{"token":"` + tok + `","x":1}`, 400, ""},
		{"unknown code", "GET", "/v1/code/" + id, "", "", 404, ""},
		{"deposit", "PUT", "/v1/code/" + id, "s3cret", deposit, 201, "active"},
		{"deposit twice", "PUT", "/v1/code/" + id, "s3cret", deposit, 409, ""},
		{"resolve", "GET", "/v1/code/" + id, "", "", 200, ""},
		{"state", "GET", "/v1/state/" + tok, "", "", 200, "active"},
		{"a state nobody may set", "PUT", "/v1/state/" + tok, "s3cret", `{"state":"active"}`, 400, ""},
		{"refuse without the secret", "PUT", "/v1/state/" + tok, "", `{"state":"refused"}`, 403, ""},
		{"refuse", "PUT", "/v1/state/" + tok, "s3cret", `{"state":"refused"}`, 200, "refused"},
		{"resolve a refused token", "GET", "/v1/code/" + id, "", "", 410, "refused"},
		{"state of a refused token", "GET", "/v1/state/" + tok, "", "", 200, "refused"},
		{"state of an unknown token", "GET", "/v1/state/fedcba9876543210", "", "", 404, ""},
	} {
		status, out := call(tc.method, tc.path, tc.secret, tc.body)
		if status != tc.want || (tc.state != "" && out["state"] != tc.state) {
			t.Errorf("%s: %d %v, want %d %q", tc.name, status, out, tc.want, tc.state)
		}
	}

	// Kept across restarts; an expired token answers "expired", and is
	// forgotten a week later.
	id2, tok2 := strings.Repeat("cd", 16), "fedcba9876543210"
	if status, _ := call("PUT", "/v1/code/"+id2, "s3cret", strings.Replace(deposit, tok, tok2, 1)); status != 201 {
		t.Fatal(status)
	}
	d2, err := openDesk(dir, "s3cret", func() time.Time { return now.Add(2 * time.Hour) })
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = d2.handler()
	if status, out := call("GET", "/v1/code/"+id2, "", ""); status != 410 || out["state"] != "expired" {
		t.Errorf("an expired code: %d %v", status, out)
	}
	d2.now = func() time.Time { return now.Add(8 * 24 * time.Hour) }
	d2.mu.Lock()
	d2.sweep()
	d2.mu.Unlock()
	if status, _ := call("GET", "/v1/code/"+id2, "", ""); status != 404 {
		t.Errorf("a code expired for a week is still kept: %d", status)
	}
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

// FuzzDesk sends the desk arbitrary request bodies and paths: it answers
// every one without failing, and keeps nothing it refused.
func FuzzDesk(f *testing.F) {
	f.Add("PUT", "/v1/code/"+strings.Repeat("ab", 16), `{"token":"0123456789abcdef","expires":1900000000,"sealed":"c2VhbGVk"}`)
	f.Add("PUT", "/v1/state/0123456789abcdef", `{"state":"refused"}`)
	f.Add("GET", "/v1/code/"+strings.Repeat("ab", 16), "")
	f.Add("PUT", "/v1/code/x", `{"sealed":"!!"}`)
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, method, path, body string) {
		if _, err := url.ParseRequestURI(path); err != nil || !strings.HasPrefix(path, "/") ||
			strings.ContainsAny(path, " ?#") || (method != "GET" && method != "PUT") {
			return
		}
		d, err := openDesk(t.TempDir(), "", func() time.Time { return now })
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		rec := httptest.NewRecorder()
		d.handler().ServeHTTP(rec, req)
		if rec.Code >= 500 && rec.Code != http.StatusInsufficientStorage {
			t.Fatalf("%s %s %q: %d %s", method, path, body, rec.Code, rec.Body)
		}
		if rec.Code != http.StatusCreated && len(d.entries) != 0 {
			t.Fatalf("kept an entry after %d", rec.Code)
		}
	})
}

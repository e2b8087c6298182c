package ui

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestMetadataMatchesFyneApp keeps Run's metadata and FyneApp.toml, which
// `fyne package` reads, saying the same.
func TestMetadataMatchesFyneApp(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "FyneApp.toml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got := map[string]string{} // "[Section] Key" -> value, quotes removed
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			section = line
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok {
			got[section+" "+strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"`)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"[Details] ID":        appID,
		"[Details] Name":      appName,
		"[Details] Version":   appVersion,
		"[Details] Build":     strconv.Itoa(appBuild),
		"[Details] Icon":      "assets/icon.png",
		"[Migrations] fyneDo": "true",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("FyneApp.toml %s = %q, want %q", k, got[k], v)
		}
	}
	if _, err := os.Stat(filepath.Join("..", got["[Details] Icon"])); err != nil {
		t.Errorf("FyneApp.toml names an icon that is not there: %v", err)
	}
}

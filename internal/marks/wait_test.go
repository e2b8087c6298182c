package marks

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestWait(t *testing.T) {
	for _, c := range []struct {
		name, trace, want string
		found             bool
	}{
		{name: "written", trace: "mark login-form age_ms=5\nmark home age_ms=9\n", want: "home", found: true},
		{name: "not yet", trace: "mark login-form age_ms=5\n", want: "home"},
		{name: "no file", want: "home"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "trace")
			if c.trace != "" {
				if err := os.WriteFile(path, []byte(c.trace), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			got, err := Wait(ctx, path, c.want)
			if c.found {
				if err != nil || got[c.want].AgeMillis != 9 {
					t.Fatalf("Wait = %v, %v; want the %s mark", got, err, c.want)
				}
				return
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Wait = %v, %v; want the deadline", got, err)
			}
		})
	}
}

func TestWaitSeesAMarkWrittenLater(t *testing.T) {
	path := filepath.Join(t.TempDir(), "trace")
	go func() {
		time.Sleep(50 * time.Millisecond)
		os.WriteFile(path, []byte("mark first-frame age_ms=3\n"), 0o600)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := Wait(ctx, path, "first-frame"); err != nil {
		t.Fatal(err)
	}
}

package main

import (
	"runtime/debug"
	"testing"
)

func TestWindowGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	for _, c := range []struct {
		name, gogc string
		want       int
	}{
		{"GOGC unset: the window's target", "", windowGCPercent},
		{"GOGC set: left as the person set it", "200", 100},
		{"GOGC off: left off", "off", 100},
	} {
		t.Run(c.name, func(t *testing.T) {
			debug.SetGCPercent(100) // what the runtime read from GOGC, in this test
			windowGC(func(k string) string {
				if k == "GOGC" {
					return c.gogc
				}
				return ""
			})
			if got := debug.SetGCPercent(100); got != c.want {
				t.Errorf("collector target %d, want %d", got, c.want)
			}
		})
	}
}

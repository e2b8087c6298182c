package cli

import (
	"context"
	"os"
	"strings"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/frontdesk"
)

// The demo clinic names its time zone before anything is booked (cmdDemo
// runs seedClinicZone first), so every workstation shows the same times
// whatever its own computer's zone.

// demoZoneDefault is the demo clinic's zone when this computer's is not
// known by name.
const demoZoneDefault = "Europe/London"

// demoZone is this computer's IANA zone (TZ, or the /etc/localtime link),
// else demoZoneDefault.
func demoZone() string {
	name := strings.TrimPrefix(os.Getenv("TZ"), ":")
	if name == "" {
		if target, err := os.Readlink("/etc/localtime"); err == nil {
			if _, after, ok := strings.Cut(target, "zoneinfo/"); ok {
				name = after
			}
		}
	}
	if _, err := time.LoadLocation(name); err != nil || name == "" || strings.EqualFold(name, "local") {
		return demoZoneDefault
	}
	return name
}

func seedClinicZone(ctx context.Context, dc DemoClinic) error {
	if err := frontdesk.New(dc.Reception.Core()).SetClinicZone(ctx, demoZone()); err != nil {
		return err
	}
	return app.SyncLocal(ctx, append([]*app.Session{dc.Admin, dc.Reception}, dc.Physicians...)...)
}

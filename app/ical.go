package app

import (
	"context"
	"io"
)

// ExportCalendarICS writes a physician's calendar as iCalendar (RFC 5545).
func (s *Session) ExportCalendarICS(ctx context.Context, w io.Writer, o ICSOptions) (int, error) {
	return 0, errNotBuilt
}

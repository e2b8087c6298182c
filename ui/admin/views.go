package admin

import (
	"context"
	"io"

	"github.com/medihaven/medihaven/app"
	appadmin "github.com/medihaven/medihaven/app/admin"
)

// Views is what the screens need of the session's administration views
// (app/admin): the staff directory and the audit log.
type Views interface {
	StaffDirectory(ctx context.Context) ([]appadmin.StaffMember, error)
	SearchAudit(ctx context.Context, f appadmin.AuditFilter) ([]app.AuditEntry, error)
	VerifyLog(ctx context.Context) (appadmin.Verification, error)
	ExportAuditCSV(ctx context.Context, w io.Writer, f appadmin.AuditFilter) error
	ExportAuditFHIR(ctx context.Context, w io.Writer, f appadmin.AuditFilter) error
	RefusedDesk
}

var _ Views = (*appadmin.Service)(nil)

// viewsOf is the administration views of a session: the session itself
// when it serves Views (a test's fake), else the views of the app's
// session behind it (appadmin.Of).
func viewsOf(s any) (Views, bool) {
	if v, ok := s.(Views); ok {
		return v, true
	}
	if svc, ok := appadmin.Of(s); ok {
		return svc, true
	}
	return nil, false
}

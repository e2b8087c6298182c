// Package prescribing is the physician's e-prescribing: the bundled
// formulary (assets/formulary) and its search, the allergy and
// interaction checks run before signing, signed prescriptions with a
// reason kept for every warning overridden, their signed cancellation and
// renewal, the check of a printed verification code, and the printable
// PDF, each one audited as printed or saved.
//
// A prescription is a signed record of the chart (chart.Prescription):
// once signed it never changes, and the chart shows it. A Service is built
// from a logged-in session (New(s.Core()), or Of from the UI) and checks
// the role policy as the session's own use cases do.
//
// It must not touch SQL or the clinic's keys, nor write anything but
// prescriptions and their cancellations through app.Core; a check that
// cannot be made must never pass silently. It shows nothing (the screens
// are ui/physician). It may import app/chart; neither app nor app/chart
// may import it.
package prescribing

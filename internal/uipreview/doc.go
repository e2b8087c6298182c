// Command uipreview opens Medihaven's window on a demo backend held in
// memory, to look at the screens without a clinic profile: three made-up
// clinics, one staff member per role, passphrase "demo".
//
//	go run ./internal/uipreview -role physician -theme dark
//
// With -role the staff name is prefilled, so typing the passphrase and Enter
// opens that role's shell; Ctrl+L then locks it. With -demo DIR it opens
// the real profiles of a `medihaven demo` clinic instead (without the
// network sync), and with -tour OUT it logs in, opens every section at
// every -sizes and writes a screenshot of each to OUT, for looking at the
// screens under Xvfb.
//
// It is for developers and is not shipped: its made-up backend holds no
// keys and no patient data, and it must not write anything but the
// screenshots it is asked for (a -demo profile is opened as any
// workstation opens it, through app). Nothing imports it.
package main

// Package assets embeds the files Medihaven ships: the application icon
// and, later, bundled data such as the formulary.
//
// It holds data only, no logic, and imports no GUI toolkit, so headless
// commands and tests can use it without cgo. Callers must treat the
// exported byte slices as read-only.
package assets

// Package assets embeds the files Medihaven ships: the application icon
// and bundled data such as the formulary tables that app/prescribing/drugs
// reads (formulary/, CC0, sources in formulary/SOURCE.md).
//
// It holds data only, no logic, and imports no GUI toolkit, so headless
// commands and tests can use it without cgo. Callers must treat the
// exported byte slices as read-only.
package assets

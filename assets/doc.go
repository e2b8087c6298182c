// Package assets embeds the files Medihaven ships: the application icon
// and bundled data such as the formulary.
//
// It holds data only, no logic.
package assets

package assets

import "embed"

// IconPNG is the application icon: a white cross on a teal rounded square,
// 512x512 PNG. The ui package wraps it in a Fyne resource; this package
// stays free of Fyne so headless code can import it.
//
//go:embed icon.png
var IconPNG []byte

// VitalRanges is vitals/ranges.tsv: the reference ranges of vital signs by
// age that app/chart flags readings with (sources in vitals/SOURCE.md).
//
//go:embed vitals/ranges.tsv
var VitalRanges []byte

// FormularySource is formulary/SOURCE.md: the sources and licences of
// the formulary tables.
//
//go:embed formulary/SOURCE.md
var FormularySource []byte

// FormularyFS holds the formulary tables that app/prescribing/drugs
// parses: formulary/classes.tsv, drugs.tsv, interactions.tsv,
// cross_reactivity.tsv and sources.tsv (sources and licences in
// formulary/SOURCE.md).
//
//go:embed formulary/*.tsv
var FormularyFS embed.FS

package assets

import "embed"

// IconPNG is the application icon: a white cross on a teal rounded square,
// 512x512 PNG. The ui package wraps it in a Fyne resource; this package
// stays free of Fyne so headless code can import it.
//
//go:embed icon.png
var IconPNG []byte

// Formulary files: the demo formulary of common primary-care drugs, the
// table of clinically important interacting pairs and the allergy aliases
// and cross-reactivities (CSV, see formulary/SOURCE.md: CC0, written for
// Medihaven, a demo dataset not for clinical use). The app package parses
// them; this package only carries the bytes.
var (
	//go:embed formulary/drugs.csv
	FormularyDrugs []byte
	//go:embed formulary/interactions.csv
	FormularyInteractions []byte
	//go:embed formulary/allergy.csv
	FormularyAllergy []byte
	//go:embed formulary/SOURCE.md
	FormularySource []byte
)

// FormularyFS holds the formulary tables that app/prescribing/drugs
// parses: formulary/classes.tsv, drugs.tsv, interactions.tsv,
// cross_reactivity.tsv and sources.tsv (sources and licences in
// formulary/SOURCE.md).
//
//go:embed formulary/*.tsv
var FormularyFS embed.FS

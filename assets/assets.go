package assets

import _ "embed" // for the embedded files below

// IconPNG is the application icon: a white cross on a teal rounded square,
// 512x512 PNG. The ui package wraps it in a Fyne resource; this package
// stays free of Fyne so headless code can import it.
//
//go:embed icon.png
var IconPNG []byte

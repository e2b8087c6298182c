// Package qrtoken draws a registration token as a QR code (the
// administrator's token screen) and reads it back from a picture of that
// code: a screenshot, or a photo taken with a phone, as PNG or JPEG.
// "Join a clinic" fills the token field with what it reads, so a newcomer
// need not type the code.
//
//	png, err := qrtoken.PNG("MH2-…")  // the token screen's image
//	text, err := qrtoken.Read(data)   // "MH2-…" or "MH1-…"
//
// A picture is outside bytes (a file the person chose): Read refuses
// files and images too large to be a screenshot or a photo before
// decoding them, never panics on what it reads, and says in plain words
// (ErrNotAPicture, ErrTooLarge, ErrNoQRCode, ErrNotAToken) what a person
// can do.
//
// It must not do anything with a token but check its form: resolving a
// short code and joining are the app's (app.Join).
package qrtoken

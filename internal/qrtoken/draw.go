package qrtoken

import (
	"fmt"

	"rsc.io/qr"
)

// Scale is the size of one QR module in the token screen's image, in
// pixels; the image has a quiet zone of four modules around the code.
const Scale = 4

// PNG draws text (a short code, or a whole token when there is none) as
// the token screen shows it: a QR code with medium error correction,
// black on white.
func PNG(text string) ([]byte, error) {
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		return nil, fmt.Errorf("the QR code cannot be drawn: %w", err)
	}
	code.Scale = Scale
	return code.PNG(), nil
}

package qrtoken

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
)

// Scale is the size of one QR module in the token screen's image, in
// pixels; the image has a quiet zone of four modules around the code.
const Scale = 4

// PNG draws text (a short code, or a whole token when there is none) as
// the token screen shows it: a QR code with medium error correction,
// black on white. It is drawn with the same library (a port of ZXing)
// that Read decodes with; rsc.io/qr, used before, wrote some codes whose
// error correction did not check (MH2-EF7Q-AAAB-GS7N-VGSR-ZJKH-EMNC-NUAA).
func PNG(text string) ([]byte, error) {
	hints := map[gozxing.EncodeHintType]any{
		gozxing.EncodeHintType_ERROR_CORRECTION: decoder.ErrorCorrectionLevel_M,
		gozxing.EncodeHintType_MARGIN:           4,
	}
	m, err := qrcode.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, 0, 0, hints)
	if err != nil {
		return nil, fmt.Errorf("the QR code cannot be drawn: %w", err)
	}
	w, h := m.GetWidth(), m.GetHeight()
	img := image.NewGray(image.Rect(0, 0, w*Scale, h*Scale))
	for y := range h * Scale {
		for x := range w * Scale {
			c := color.Gray{Y: 0xff}
			if m.Get(x/Scale, y/Scale) {
				c = color.Gray{}
			}
			img.SetGray(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, fmt.Errorf("the QR code cannot be drawn: %w", err)
	}
	return b.Bytes(), nil
}

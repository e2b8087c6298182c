package qrtoken

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // photos
	_ "image/png"  // screenshots
	"strings"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/medihaven/medihaven/crypto"
)

// Errors, each a sentence a person can act on.
var (
	ErrNotAPicture = errors.New("this file is not a picture Medihaven can read: choose a PNG or JPEG image of the token's QR code")
	ErrTooLarge    = errors.New("this picture is too large to read: take a screenshot of the QR code alone, or a smaller photo")
	ErrNoQRCode    = errors.New("no QR code could be read in this picture: choose a sharp, straight picture of the whole QR code from the token screen, or type the short code")
	ErrNotAToken   = errors.New("the QR code in this picture is not a Medihaven registration token: ask your administrator for the token screen's QR code")
)

// Limits on what is decoded: a 48-megapixel photo is larger than most
// phones take; a file over MaxFile bytes is not a screenshot or a photo.
const (
	MaxFile   = 32 << 20
	maxPixels = 48_000_000
	// readPixels is the most a picture is read at: a larger one is
	// shrunk to grey first (a 48-megapixel photo took ~6 s and 290 MB
	// read whole; a QR code that fills a twentieth of a 4-megapixel
	// picture still has ~5 pixels a module).
	readPixels = 4_000_000
)

// Read reads the QR code in a PNG or JPEG picture and returns the
// registration token or short code it holds, as its text form.
func Read(data []byte) (string, error) {
	text, err := Text(data)
	if err != nil {
		return "", err
	}
	text = strings.TrimSpace(text)
	if crypto.IsShortCode(text) {
		if _, err := crypto.ParseShortCode(text); err != nil {
			return "", fmt.Errorf("%w (%w)", ErrNotAToken, err)
		}
		return text, nil
	}
	if _, err := crypto.ParseToken(text); err != nil {
		return "", fmt.Errorf("%w (%w)", ErrNotAToken, err)
	}
	return text, nil
}

// Text reads the QR code in a PNG or JPEG picture and returns its text,
// whatever it says.
func Text(data []byte) (text string, err error) {
	if len(data) > MaxFile {
		return "", ErrTooLarge
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return "", fmt.Errorf("%w (%w)", ErrNotAPicture, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > maxPixels/cfg.Height {
		return "", ErrTooLarge
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return "", fmt.Errorf("%w (%w)", ErrNotAPicture, err)
	}
	// The decoder is a port of ZXing: a picture nobody made for it must
	// not take the window down with it.
	defer func() {
		if r := recover(); r != nil {
			text, err = "", fmt.Errorf("%w (the decoder stopped: %v)", ErrNoQRCode, r)
		}
	}()
	return decodeScales(img)
}

// minSide is the shorter side, in pixels, below which a picture is not
// read shrunk further: a code across a fifth of it would have under two
// pixels a module.
const minSide = 600

// decodeScales reads img at the least shrink that brings it under
// readPixels and, when no code is found there, at up to three smaller
// scales: ZXing misjudges a code whose modules fall on the pixels in one
// unlucky way (about one whole token in 30 in a 48-megapixel photo, read at
// 1/4: the same photo read at 1/6 or 1/7), and each smaller reading costs
// less than the first.
func decodeScales(img image.Image) (string, error) {
	b := img.Bounds()
	k := 1
	for (b.Dx()/k)*(b.Dy()/k) > readPixels {
		k++
	}
	var first error
	for i := range 4 {
		if i > 0 && min(b.Dx(), b.Dy())/(k+i) < minSide {
			break
		}
		text, err := decode(shrink(img, k+i))
		if err == nil {
			return text, nil
		}
		if first == nil {
			first = err
		}
	}
	return "", first
}

// shrink returns img as it is for k = 1, or else its luminance averaged
// over k x k squares.
func shrink(img image.Image, k int) image.Image {
	if k <= 1 {
		return img
	}
	b := img.Bounds()
	w, h := b.Dx()/k, b.Dy()/k
	out := image.NewGray(image.Rect(0, 0, w, h))
	luma := lumaOf(img)
	sum := make([]uint32, w)
	for y := range h {
		clear(sum)
		for dy := range k {
			for x := range w * k {
				sum[x/k] += luma(b.Min.X+x, b.Min.Y+y*k+dy)
			}
		}
		row := out.Pix[y*out.Stride:]
		for x := range w {
			row[x] = uint8(sum[x] / uint32(k*k))
		}
	}
	return out
}

// lumaOf returns a reader of img's luminance (0-255) at a point, without
// an allocation for the kinds image.Decode gives (JPEG: YCbCr or grey;
// PNG: RGBA, NRGBA, grey, or paletted).
func lumaOf(img image.Image) func(x, y int) uint32 {
	rgb := func(r, g, b uint8) uint32 { return (299*uint32(r) + 587*uint32(g) + 114*uint32(b)) / 1000 }
	switch m := img.(type) {
	case *image.YCbCr:
		return func(x, y int) uint32 { return uint32(m.Y[m.YOffset(x, y)]) }
	case *image.Gray:
		return func(x, y int) uint32 { return uint32(m.Pix[m.PixOffset(x, y)]) }
	case *image.RGBA:
		return func(x, y int) uint32 { p := m.Pix[m.PixOffset(x, y):]; return rgb(p[0], p[1], p[2]) }
	case *image.NRGBA:
		return func(x, y int) uint32 { p := m.Pix[m.PixOffset(x, y):]; return rgb(p[0], p[1], p[2]) }
	}
	return func(x, y int) uint32 { return uint32(color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y) }
}

// decode tries the picture as it is, then inverted (light modules on a
// dark ground, as a dark-themed copy of the code would be); each with two
// binarizers, and as a photo and as a pure drawing. ZXing's finder can
// misjudge a perfectly sharp drawing whose data happens to look like a
// finder pattern (about one short code in 200 as drawn by PNG), which the
// pure-drawing reading does not; a photo needs the finder.
func decode(img image.Image) (string, error) {
	src := gozxing.NewLuminanceSourceFromImage(img)
	photo := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true}
	pure := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true, gozxing.DecodeHintType_PURE_BARCODE: true}
	var first error
	for _, s := range []gozxing.LuminanceSource{src, gozxing.NewInvertedLuminanceSource(src)} {
		for _, b := range []gozxing.Binarizer{gozxing.NewHybridBinarizer(s), gozxing.NewGlobalHistgramBinarizer(s)} {
			bmp, err := gozxing.NewBinaryBitmap(b)
			if err != nil {
				return "", fmt.Errorf("%w (%w)", ErrNoQRCode, err)
			}
			for _, hints := range []map[gozxing.DecodeHintType]any{photo, pure} {
				res, err := qrcode.NewQRCodeReader().Decode(bmp, hints)
				if err == nil {
					return res.GetText(), nil
				}
				if first == nil {
					first = err
				}
			}
		}
	}
	return "", fmt.Errorf("%w (%w)", ErrNoQRCode, first)
}

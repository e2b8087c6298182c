package qrtoken

import (
	"bytes"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"
	"time"

	xdraw "golang.org/x/image/draw"

	"github.com/medihaven/medihaven/crypto"
)

// texts are what the token screen puts in its QR code: a short code, or
// the whole token when the join desk gave none.
func texts(t testing.TB) map[string]string {
	t.Helper()
	code, err := crypto.NewShortCode("127.0.0.1:5290")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := crypto.NewToken(crypto.NewEventID(), "receptionist", strings.Repeat("ab", 20), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	tok.IPFS, tok.XMPP, tok.Domain, tok.Desk = "/ip4/127.0.0.1/tcp/5001", "127.0.0.1:5222", "clinic.example", "127.0.0.1:5290"
	tok.Invite, tok.IPFSSecret, tok.XMPPCertPin = "Xk3_p9-QwErTy0123456789", strings.Repeat("s", 43), strings.Repeat("0f", 32)
	return map[string]string{"short code": code.String(), "whole token": tok.String()}
}

func decodePNG(t testing.TB, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// photo puts img, scaled by f with smooth interpolation, on a grey ground
// with a margin, as a screenshot of the window or a cropped photo is.
func photo(img image.Image, f float64, margin int, ground color.Color) *image.RGBA {
	b := img.Bounds()
	w, h := int(float64(b.Dx())*f), int(float64(b.Dy())*f)
	out := image.NewRGBA(image.Rect(0, 0, w+2*margin, h+2*margin))
	draw.Draw(out, out.Bounds(), image.NewUniform(ground), image.Point{}, draw.Src)
	xdraw.CatmullRom.Scale(out, image.Rect(margin, margin, margin+w, margin+h), img, b, draw.Over, nil)
	return out
}

func encodePNG(t testing.TB, img image.Image) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func encodeJPEG(t testing.TB, img image.Image, quality int) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// invert is the code light on dark.
func invert(img image.Image) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			out.Set(x, y, color.RGBA{255 - uint8(r>>8), 255 - uint8(g>>8), 255 - uint8(bl>>8), 255})
		}
	}
	return out
}

func TestReadTheTokenScreensQRCode(t *testing.T) {
	grey := color.RGBA{0xe8, 0xe8, 0xe8, 0xff}
	for what, text := range texts(t) {
		drawn, err := PNG(text)
		if err != nil {
			t.Fatal(err)
		}
		img := decodePNG(t, drawn)
		for _, c := range []struct {
			name string
			data []byte
		}{
			{"as drawn", drawn},
			{"scaled 2.5x with a margin", encodePNG(t, photo(img, 2.5, 60, grey))},
			{"scaled 0.75x with a margin", encodePNG(t, photo(img, 0.75, 20, color.White))},
			{"JPEG scaled 1.5x with a margin", encodeJPEG(t, photo(img, 1.5, 40, grey), 70)},
			{"JPEG as drawn", encodeJPEG(t, img, 85)},
			{"light on dark", encodePNG(t, invert(photo(img, 1, 16, color.White)))},
		} {
			t.Run(what+"/"+c.name, func(t *testing.T) {
				got, err := Read(c.data)
				if err != nil {
					t.Fatalf("Read: %v", err)
				}
				if got != text {
					t.Fatalf("Read = %q, want %q", got, text)
				}
			})
		}
	}
}

// pngOfSize is a 1x1 PNG whose header claims w x h pixels.
func pngOfSize(t *testing.T, w, h uint32) []byte {
	b := encodePNG(t, image.NewGray(image.Rect(0, 0, 1, 1)))
	ihdr := b[8+8 : 8+8+13] // after the signature and the chunk's length and type
	putU32 := func(p []byte, v uint32) { p[0], p[1], p[2], p[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v) }
	putU32(ihdr[0:4], w)
	putU32(ihdr[4:8], h)
	putU32(b[8+8+13:], crc32.ChecksumIEEE(b[8+4:8+8+13]))
	return b
}

func TestReadRefusesInPlainWords(t *testing.T) {
	blank := encodePNG(t, image.NewGray(image.Rect(0, 0, 300, 200)))
	noise := image.NewGray(image.Rect(0, 0, 240, 240))
	for i := range noise.Pix {
		noise.Pix[i] = uint8(i * 7919 % 251)
	}
	hello, err := PNG("https://example.org/hello")
	if err != nil {
		t.Fatal(err)
	}
	mistyped, err := PNG("MH2-AAAA-BBBB-CCCC-DDDD-EEEE")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		data []byte
		want error
	}{
		{"empty file", nil, ErrNotAPicture},
		{"a text file", []byte("MH2-AAAA-BBBB"), ErrNotAPicture},
		{"a blank picture", blank, ErrNoQRCode},
		{"a picture of noise", encodeJPEG(t, noise, 80), ErrNoQRCode},
		{"another QR code", hello, ErrNotAToken},
		{"a short code with a wrong checksum", mistyped, ErrNotAToken},
		{"a header claiming 100000x100000 pixels", pngOfSize(t, 100000, 100000), ErrTooLarge},
		{"a file over 32 MB", make([]byte, MaxFile+1), ErrTooLarge},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := Read(c.data)
			if !errors.Is(err, c.want) {
				t.Fatalf("Read = %q, %v; want %v", got, err, c.want)
			}
			msg := err.Error()
			if strings.HasPrefix(msg, "qrtoken:") || !strings.Contains(msg, ":") {
				t.Errorf("message %q is not a plain sentence saying what to do", msg)
			}
		})
	}
}

func FuzzRead(f *testing.F) {
	for _, text := range texts(f) {
		drawn, err := PNG(text)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(drawn)
		f.Add(encodeJPEG(f, decodePNG(f, drawn), 60))
	}
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		text, err := Read(data)
		if err == nil && !crypto.IsShortCode(text) && !strings.HasPrefix(text, "MH1") {
			t.Fatalf("Read gave %q, which is not a token", text)
		}
	})
}

// TestEveryCodeRoundTrips: the drawing reads back for the code that the
// earlier encoder (rsc.io/qr) drew with error correction that did not
// check, and for many random short codes and whole tokens.
func TestEveryCodeRoundTrips(t *testing.T) {
	codes := []string{"MH2-EF7Q-AAAB-GS7N-VGSR-ZJKH-EMNC-NUAA"}
	for range 1000 {
		c, err := crypto.NewShortCode("127.0.0.1:5290")
		if err != nil {
			t.Fatal(err)
		}
		codes = append(codes, c.String())
	}
	for _, text := range texts(t) {
		codes = append(codes, text)
	}
	for _, text := range codes {
		drawn, err := PNG(text)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := Text(drawn); err != nil || got != text {
			t.Errorf("%s: read back (%q, %v)", text, got, err)
		}
	}
}

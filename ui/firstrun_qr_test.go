package ui

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"io"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/internal/qrtoken"
	"github.com/medihaven/medihaven/ui/kit"
)

// pictureChooser stands for the open dialog: it gives the next picture
// (nil: the person cancels) and records which file types it offered.
type pictureChooser struct {
	next    []byte
	openErr error
	offered []string
}

func (c *pictureChooser) opener(fyne.Window) kit.Opener {
	return func(exts []string, done func(string, io.ReadCloser, error)) {
		c.offered = exts
		switch {
		case c.openErr != nil:
			done("", nil, c.openErr)
		case c.next == nil:
			done("", nil, nil)
		default:
			done("token.png", io.NopCloser(bytes.NewReader(c.next)), nil)
		}
	}
}

// TestJoinWithTheQRImage: "QR image…" on "Join a clinic" reads the token
// screen's QR code from a picture into the token field, says plainly
// what is wrong with a picture it cannot read, and the code read joins.
func TestJoinWithTheQRImage(t *testing.T) {
	chooser := &pictureChooser{}
	openPicture = chooser.opener
	t.Cleanup(func() { openPicture = kit.OpenDialog })
	code, err := crypto.NewShortCode("127.0.0.1:5290")
	if err != nil {
		t.Fatal(err)
	}
	qr, err := qrtoken.PNG(code.String())
	if err != nil {
		t.Fatal(err)
	}
	var blank bytes.Buffer
	if err := png.Encode(&blank, image.NewGray(image.Rect(0, 0, 200, 200))); err != nil {
		t.Fatal(err)
	}
	other, err := qrtoken.PNG("https://example.org/")
	if err != nil {
		t.Fatal(err)
	}

	h, f := newFounderHarness(t)
	f.statuses = []string{"approved"}
	test.Tap(button(t, h, "Join a clinic"))
	h.wait()
	form := entriesByHint(h.w.Content())
	token := form["The registration token or its short code (MH2-…), as your administrator gave it"]
	for _, c := range []struct {
		name    string
		picture []byte
		openErr error
		message string
	}{
		{"cancelled", nil, nil, ""},
		{"the dialog fails", nil, errors.New("permission denied"), "The picture could not be opened: Permission denied"},
		{"not a picture", []byte("hello"), nil, "This file is not a picture Medihaven can read: choose a PNG or JPEG image of the token's QR code"},
		{"no QR code", blank.Bytes(), nil, "No QR code could be read in this picture: choose a sharp, straight picture of the whole QR code from the token screen, or type the short code"},
		{"another QR code", other, nil, "The QR code in this picture is not a Medihaven registration token: ask your administrator for the token screen's QR code"},
		{"the token screen's QR code", qr, nil, ""},
	} {
		chooser.next, chooser.openErr = c.picture, c.openErr
		test.Tap(button(t, h, "QR image…"))
		h.wait()
		if got := messageText(h.w.Content()); got != c.message {
			t.Errorf("%s: message %q, want %q", c.name, got, c.message)
		}
		if c.message != "" && token.Text != "" {
			t.Errorf("%s: the token field has %q", c.name, token.Text)
		}
	}
	if token.Text != code.String() {
		t.Fatalf("the token field has %q, want %q", token.Text, code.String())
	}
	if len(chooser.offered) != 3 || chooser.offered[0] != ".png" {
		t.Errorf("the dialog offered %v", chooser.offered)
	}
	if e, _ := kit.AsEntry(h.w.Canvas().Focused()); e != form["Your name as colleagues know it"] {
		t.Error("the name field does not have the focus after the token was read")
	}
	test.Type(form["Your name as colleagues know it"], "Rosa Delgado")
	test.Type(form["At least 8 characters; a few words are best"], "correct horse battery")
	test.Type(form["The same passphrase again"], "correct horse battery")
	test.Tap(button(t, h, "Join the clinic"))
	h.wait()
	if len(f.joins) != 1 || f.joins[0].Token != code.String() {
		t.Fatalf("Join got %+v", f.joins)
	}
}

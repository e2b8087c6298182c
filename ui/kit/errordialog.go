package kit

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// ShowError shows the dialog of something that failed: its title says what
// failed ("Could not revoke the token"), where Fyne's dialog.NewError
// says only "Error", and message says why, as a sentence (its first letter
// raised, a full stop added if it has none). Screens use it instead of dialog.ShowError (TestNoBareErrorDialog),
// and name the button whose work failed: ShowError(…).Back(button).
func ShowError(title, message string, win fyne.Window) *ConfirmDialog {
	if r, n := utf8.DecodeRuneInString(message); r != utf8.RuneError {
		message = string(unicode.ToUpper(r)) + message[n:]
	}
	if message != "" && !strings.ContainsAny(message[len(message)-1:], ".!?:") {
		message += "."
	}
	msg := widget.NewLabel(message)
	msg.Wrapping = fyne.TextWrapWord
	icon := widget.NewIcon(theme.NewErrorThemedResource(theme.ErrorIcon()))
	content := container.NewBorder(nil, nil, container.NewVBox(icon), nil, AtLeast(380, 0, msg))
	// no Back: the caller names it, ShowError(…).Back(button) (TestEveryQuestionGivesTheKeyboardBack).
	return Notice{Title: title, Content: content}.Show(win)
}

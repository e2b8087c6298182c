package kit

import (
	"unicode"
	"unicode/utf8"

	"fyne.io/fyne/v2/widget"
)

// TypeSelect is a Select that a typed letter chooses from: the next
// option starting with it (again to go on to the one after). Fyne's own
// Select ignores letters, so a receptionist tabbing through the
// registration form typed "f" on Sex and nothing happened (only Space,
// the arrows and the pointer chose).
type TypeSelect struct {
	widget.Select
}

// NewTypeSelect is a TypeSelect of options calling changed on a choice.
func NewTypeSelect(options []string, changed func(string)) *TypeSelect {
	s := &TypeSelect{}
	s.Options, s.OnChanged = options, changed
	s.PlaceHolder = "(Select one)"
	s.ExtendBaseWidget(s)
	return s
}

// TypedRune is part of fyne.Focusable.
func (s *TypeSelect) TypedRune(r rune) {
	n := len(s.Options)
	from := s.SelectedIndex() // -1 with none: the search starts at the first
	for k := 1; k <= n; k++ {
		i := (from + k) % n
		if i < 0 {
			i += n
		}
		first, _ := utf8.DecodeRuneInString(s.Options[i])
		if unicode.ToLower(first) == unicode.ToLower(r) {
			s.SetSelectedIndex(i)
			return
		}
	}
}

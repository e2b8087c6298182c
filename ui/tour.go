package ui

// Sections lists the titles of the navigation of the shell on show, none
// while no one is logged in or the keys are locked. With Open it lets a
// tool walk every screen (internal/uipreview -tour) and the keyboard jump
// to Help.
func (ws *Workstation) Sections() []string {
	if ws.shell == nil {
		return nil
	}
	titles := make([]string, len(ws.shell.sections))
	for i, sec := range ws.shell.sections {
		titles[i] = sec.title
	}
	return titles
}

// Open shows the section titled title in the shell on show, scrolled to
// its top, and reports whether there was one to show.
func (ws *Workstation) Open(title string) bool {
	return ws.shell != nil && ws.shell.show(title)
}

// LogIn fills the login form on show with a staff name and passphrase
// and submits it, as a person would (an empty name keeps the form's);
// false when no form is on show.
func (ws *Workstation) LogIn(staffName, passphrase string) bool {
	ls := ws.login
	if ls == nil || ls.pass == nil {
		return false
	}
	if staffName != "" {
		ls.staff.SetText(staffName)
	}
	ls.pass.SetText(passphrase)
	ws.submitLogin(ls)
	return true
}

// PageMinWidth is the width the section on show asks for; wider than the
// page, it scrolls sideways (internal/uipreview -tour reports it).
func (ws *Workstation) PageMinWidth() float32 {
	if ws.shell == nil {
		return 0
	}
	return ws.shell.page.MinSize().Width
}

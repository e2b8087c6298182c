// Package ui is Medihaven's Fyne front end: the login screen, the shell
// with each role's navigation, the lock screen, and the clinic's theme.
//
// Run opens the main window; NewWorkstation builds the same screens into
// any fyne.Window, which is how the tests drive them with
// fyne.io/fyne/v2/test. The UI declares the narrow interfaces it consumes
// (Backend, Session) and never touches SQL, keys or the network: package
// app implements them, and main wires the two together.
//
// Rules it keeps:
//   - Work that waits on disk or the network (listing profiles, logging in,
//     unlocking, logging out) runs off the UI goroutine; its results come
//     back through kit.OnUI, and widgets are changed nowhere else.
//   - Errors from the backend are shown as they are: they are written for
//     the person at the desk. Nothing is logged, least of all passphrases or
//     patient data. A passphrase leaves its entry field as soon as it is
//     submitted and its bytes are zeroed once the backend has used them
//     (the entry's own string cannot be wiped; Go strings are immutable).
//   - Under MEDIHAVEN_TRACE (the window benchmark, internal/marks) the
//     shell writes when the login form and the home screen are drawn, with
//     the process's memory: fixed names and numbers, never data.
//   - A role's navigation is data (sectionsOf), not code. Sections whose
//     screens do not exist yet say so plainly and never show made-up data.
//
// It must not import Medihaven's package app or anything below it, hold
// keys, or keep patient data beyond what a screen shows.
package ui

// Package kittest helps the role packages' headless tests (Fyne's test
// driver) look into what a screen draws: every object under a widget,
// the labels' text, and the buttons of the dialog on top; and it closes a
// test window as the real driver would, ending its screens' subscriptions;
// Eventually waits for what a screen loads in the background, with one
// generous bound for every role package (a fixed few seconds failed under
// -race on a loaded machine).
//
// It is for tests only: it imports fyne.io/fyne/v2/test, which the
// application must not link.
package kittest

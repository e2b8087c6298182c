// Package ui is Medihaven's Fyne front end: login, the shell with each
// role's navigation, and the theme.
//
// It declares the narrow interfaces it consumes and never touches SQL, keys
// or the network; widgets are updated from goroutines only through fyne.Do.
package ui

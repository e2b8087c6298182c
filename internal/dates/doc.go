// Package dates is how a workstation writes and reads dates typed by a
// person: the format chosen in Settings (or the system locale's), and
// ParseDate for what was typed. It has no UI dependency, so its fuzz
// target builds and runs without instrumenting Fyne; ui/kit gives the
// screens the same names.
package dates

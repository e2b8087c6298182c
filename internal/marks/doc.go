// Package marks reports when the window reaches the moments a person
// waits for (the login form drawn, a role's home screen drawn with its
// data), with the process's memory at that moment, for the window
// benchmark (`medihaven bench window`, issue 17).
//
// It is off unless MEDIHAVEN_TRACE names a file (or "-" for standard
// error); then each mark is one line appended to it:
//
//	mark login-form age_ms=412 rss_kb=61234 hwm_kb=61234 unix_ns=1796000000000000000
//
// It must not write anything else: no patient data, no names, no keys,
// only the fixed names of moments and numbers about the process.
package marks

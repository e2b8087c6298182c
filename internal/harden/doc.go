// Package harden makes the running process keep its secrets to itself: no
// core dump is ever written (a dump would hold the unlocked staff key, the
// device key and scope keys in clear), and on Linux the process is not
// dumpable, so another process of the same user cannot attach a debugger
// or read its memory through /proc; the files it creates are readable by
// its user only (umask 077). main calls Process once, before any key is
// read. It must not be used to hide what the process does: it only narrows
// who may read it.
package harden

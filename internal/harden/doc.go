// Package harden makes the running process keep its secrets to itself: no
// core dump is ever written (a dump would hold the unlocked staff key, the
// device key and scope keys in clear), and on Linux the process is not
// dumpable, so another process of the same user cannot attach a debugger
// or read its memory through /proc. main calls Process once, before any
// key is read.
package harden

// Package joindesk is the client of the clinic server's join desk (the
// desk itself is sync/server's desk.go): an administrator's workstation
// deposits a registration token there sealed under a fresh short code
// (crypto.ShortCode) and tells it when the token is used, revoked or
// refused; a newcomer's workstation resolves the short code to the token
// and asks whether its request was refused before any directory entry
// says so.
//
//	code, err := joindesk.Deposit(ctx, addr, pin, secret, token) // "MH2-…", read to the newcomer
//	token, err := joindesk.Resolve(ctx, code)               // on the newcomer's workstation
//	err = joindesk.Tell(ctx, addr, pin, secret, token.ID, joindesk.WriteKey(token.Secret[:], token.ID), joindesk.Used)
//	state, err := joindesk.StateOf(ctx, addr, pin, token.ID, joindesk.WriteHash(token.Secret[:], token.ID))
//
// Every call has a deadline (Timeout) and never goes through a proxy.
// Errors are the sentinels below; app says them to people, with what to
// do. The desk's word only tells early: the clinic's log decides.
//
// It must not send anything but a token sealed under its short code's key
// (the desk cannot open it), token ids and states, and it must not decide
// anything a token's admission depends on. It imports only crypto.
package joindesk

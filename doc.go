// Command medihaven is the clinic records desktop application. With no
// command it opens the window; with one it runs headless (see app/cli).
//
// This package only wires the parts together: it builds the session's
// environment (app.Env with the domain packages' sync hooks and upkeep
// steps), opens the window (ui.Run) or hands the command line to app/cli,
// runs the window's first-run actions (firstrun.go: create, join, restore)
// and, on the administrator's computer, the clinic's servers
// (servershere.go, sync/server's supervisor).
//
// It must not hold clinic logic of its own: no record rules, keys or SQL
// here; a use case belongs to app or a domain package, a screen to ui.
package main

// Package app holds the clinic's use cases: creating a clinic, logging in,
// tokens and enrollment, grants, revocation, patients, appointments, charts.
//
// Joining a real clinic (issue 16): StartLocalServers runs the clinic's
// servers here; CreateClinic with NewClinic.ServerInvite makes the
// founder's account; IssueToken puts an account invite, the Kubo API
// secret and the certificate pin in each token, and Deposit leaves it at
// the join desk under a short code; Join checks the servers and leaves
// nothing behind on failure; JoinStatus and ComparisonCode on the
// newcomer's side, Waiting, Approve and Refuse on the administrator's;
// ChangeRole. A workstation's backup and restore are app/backup's.
//
// The clinic's recovery is app/recovery's (the split, escrow, releases,
// the keys handed over, the new epochs of RecoverableScopes after an
// administrator who may hold shares left). What stays here is
// RecoverableScopes and the upkeep that runs the domain packages' steps
// (Env.Upkeep, an UpkeepStep each: recovery.Upkeep escrows keys on every
// workstation), so that app never imports a domain package.
// The UI and the headless commands call it; it calls roles, crypto, store
// and the replica, and reads and writes records through their typed form
// in app/records.
//
// It must not import Fyne or draw anything, and it must not let plaintext
// patient data reach disk or the network.
package app

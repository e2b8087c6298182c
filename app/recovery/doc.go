// Package recovery lets a clinic that lost every physician's key read its
// clinical (and front-desk) records again, without any administrator ever
// holding a patient key, or the means to rebuild one, on their own.
//
// Design (issue 13, finding 5). There is no clinic recovery key: a
// recovery key made by one administrator and then split is a secret that
// administrator saw whole, and could have kept. Instead every escrow is
// split where the key already is, by its holder:
//
//  1. Split (recovery.go): an active administrator records in the directory
//     which administrators share the recovery and how many of them are
//     needed (k of n, 2 <= k <= n), signed with their key. It carries no
//     secret. Every workstation trusts it only while its signer and every
//     administrator it names are active administrators, with k >= 2: the
//     rule rests on directory data every workstation has, so revoking an
//     administrator stops escrow to that split on every workstation at once,
//     and the security screen asks the remaining administrators to set up
//     recovery again (Status.NeedsNewSplit).
//  2. Escrow (escrow.go): every workstation holding the clinical or
//     front-desk key splits each epoch key it holds k-of-n itself
//     (crypto.SplitSecret) and seals each share to one named administrator
//     (one raw "recovery-escrow" event per epoch and split, with a hash that
//     commits to the key). So no administrator ever holds more than one
//     share of any key, and no long-lived recovery secret exists to leak.
//     A new split makes every holder escrow every epoch again, split among
//     the new set of administrators.
//  3. Release (release.go): to recover, k-1 administrators each re-seal
//     their shares to one coordinating administrator ("recovery-release",
//     admin scope).
//  4. Recover: the coordinator's workstation combines, per escrow, its own
//     share and the released ones (only shares of active administrators
//     count), checks each rebuilt key against its escrow's commitment
//     (where an epoch's escrows rebuild several keys, it takes the one that
//     opens the records of the most authors the clinic's key maker reaches
//     by confirmations, or none: release.go, chooseKey), and
//     re-grants the keys to a physician (or receptionist) of the
//     administrators' choice ("recovery-handover"). That member's
//     workstation takes a key only if an escrow commits to it whose author
//     it reaches by confirmations for the scope (or, reaching nobody, any
//     holder's: read only, see escrowTrusted), so an administrator cannot
//     plant a key of their own or of a stand-in's (session 12 review,
//     finding 7). An administrator's role cannot hold clinical keys (every
//     workstation rejects such a grant), so the keys always end with an
//     entitled member. The coordinator saw those keys whole, so that
//     member's workstation keeps them with the escrow's author as source,
//     retired (kept for reading, never used for new writes) and never
//     handed on (replica.KeepRecovered), and its next upkeep starts a new
//     epoch.
//
// A revoked administrator keeps the shares they were sent, but: one share
// opens nothing (k >= 2); honest workstations neither release to them nor
// count their releases; and revoking an administrator a split this
// workstation escrowed to named starts, once, a new epoch of the clinical
// and front-desk scopes (app.RecoverableScopes; rotate.go), escrowed only
// once the remaining administrators set up recovery again, among
// themselves. So what a revoked administrator kept opens, even with the
// help of another administrator, only records written before the
// revocation, as a physician's revocation also leaves its holder's old
// epochs behind.
//
// The split, each release and the recovery are audit events.
//
// A Service is built from a logged-in session (New(s.Core()), or Of from
// the UI) and checks the role policy as the session's own use cases do.
// Escrow and taking recovered keys are every workstation's work, not an
// administrator's: Upkeep is an app.UpkeepStep that the program puts in
// the session's app.Env (main, the CLI), so that the clinic core's
// upkeep (Session.Maintain) runs it without app importing this package.
//
// It must not let an administrator hold a patient key or more than one
// share of one, must not trust a split, release or handover that every
// other workstation would not trust from the same directory, and must not
// draw anything. Package app must not import it.
package recovery

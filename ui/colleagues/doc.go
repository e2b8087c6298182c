// Package colleagues is the Colleagues screen that physicians and
// receptionists share, and the note a newcomer reads on her screens while
// she waits for a colleague's confirmation (app/colleagues.go): the keys
// patients' records are sealed with reach a new member only once a
// colleague who holds them and she have met, compared the code both
// screens show beside each other's name and confirmed each other.
//
// It lists each colleague with that code, who confirmed whom and what
// their confirmation counts for (the clinical records and the front desk
// between two physicians, else the front desk), and asks for the code the
// other's screen shows. A role's own cards (the physician's Key recovery)
// are placed by that role's package below the list.
//
// It must not call use cases other than those of Session, nor know any
// role's screens.
package colleagues

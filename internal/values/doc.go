// Package values holds the few bounds on a record's values that the
// workstation writing it keeps and every workstation applying it keeps
// again (roles' value rules): a booking's start within reach of when it was
// written, and a prescribed dose that is an amount. One parser serves the
// desk and the prescription form (app/records, app/prescribing) and the
// rule on apply (roles), so the two can never disagree.
//
// It must not know about stores, keys or screens, nor read the clock: every
// bound is relative to a time its caller gives (for the rule on apply, the
// time the event states it was written), so the same event gets the same
// verdict on every workstation whenever it is judged.
package values

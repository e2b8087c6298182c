// Package records holds the typed form of every kind of record the clinic
// writes into its log (patients, appointments, availability, the chart's
// records, signed records, the directory's and the administrators'
// records) and the one place each is encoded and decoded: the field names
// of a kind are the constants beside its struct, XFromState reads a
// record's merged state, and Fields writes it. It also says what the blind
// index holds of a record (IndexTerms) and which terms a search asks for
// (QueryTerms and the term builders), so indexing and searching agree.
//
// Merging is per field, so versions of Medihaven that know different
// fields work on the same records: Fields writes only the fields the
// struct knows (a field a newer version added is never overwritten), an
// optional field left zero is not written at all, and an event that
// changes part of a record writes only those fields (Some, Changed). The
// roles table declares every field name a kind may have (roles/fields.go),
// and every workstation refuses an event that writes another: a field
// added here is declared there too, and workstations of older versions
// refuse events that write it until they are updated.
//
// It must not check roles, read or write the replica, or know who is
// logged in: it turns values into fields and back, and checks only what a
// record's own values must satisfy (a patient's demographics, a set of
// vitals). The signed records' canonical documents and signatures are
// made and checked by the app; here they are carried as bytes.
package records

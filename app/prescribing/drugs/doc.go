// Package drugs is Medihaven's formulary and its prescribing checks: the
// drugs a physician can prescribe (generic names with ATC codes, classes,
// salts, brand names and spelling variants, usual adult dose forms), and
// the allergy and interaction checks run before a prescription is signed.
//
// The data is the tab-separated tables of assets/formulary (classes.tsv,
// drugs.tsv, interactions.tsv, cross_reactivity.tsv, sources.tsv; their
// sources and licences are in assets/formulary/SOURCE.md). Load parses the
// embedded copy once; Parse reads any Tables and says which line is wrong.
//
// Free text is matched the same way everywhere (Lookup, Resolve, the
// checks): case, punctuation, accents and British/American spellings do
// not matter, a dose after the name is ignored, and allergies may name a
// class in the singular or plural ("penicillins", "sulfa drugs", "NSAID").
// Nothing is skipped in silence: an allergy or medication that resolves
// to nothing comes back as unchecked, for the caller to show as
// NotChecked(name).
//
// Interaction rules are written by class or property (anticoagulant with
// NSAID, strong CYP3A4 inhibitor with a CYP3A4-critical substrate...), so
// a drug added to a class is covered by its rules; each rule carries its
// severity, a one-line message and its sources.
//
// This package must stay pure: it imports only the standard library and
// assets, holds no session, replica, keys or UI, does no I/O but reading
// the embedded tables, and never decides for the physician; it reports
// findings, and the caller records the physician's decision. The data has
// not been reviewed by a pharmacist: a clinic must have it reviewed, or
// replace it with a maintained source, before relying on it for care.
package drugs

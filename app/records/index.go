package records

import (
	"strings"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/replica"
)

// The fields of the blind index: what a term of a record says.
const (
	TermName    = "name"    // a prefix of a word of a patient's family or given names
	TermBirth   = "birth"   // a patient's birth date, YYYY-MM-DD
	TermPhone   = "phone"   // a patient's phone digits, and their last 7 or more
	TermMRN     = "mrn"     // a patient's medical record number, upper case
	TermDay     = "day"     // an appointment's physician and day: "FINGERPRINT/YYYY-MM-DD"
	TermSeries  = "series"  // an appointment's series id
	TermPatient = "patient" // the patient an appointment or a clinical record belongs to
	TermPair    = "pair"    // two words of a patient's names, their first pairLetters letters each, in order
)

// pairLetters is how much of each word a pair term keeps. A search for
// a family and a given name ("Smith Olivia", "smi oli") walks the
// patients of its pair term, about 60 of 100,000 in a town where names
// repeat, instead of the 2,500 of its rarer name (issue 17), for one more
// term per patient.
const pairLetters = 3

// minPhoneSuffix is the fewest trailing digits of a phone number a search
// finds it by: typed without country or area code, it is still found.
const minPhoneSuffix = 7

// IndexTerms says what a workstation indexes of each record, in blind
// form (replica.Params.Index).
func IndexTerms(kind string, st replica.State) []replica.Term {
	switch kind {
	case KindPatient:
		p := PatientFromState("", st)
		var t []replica.Term
		for _, name := range []string{p.Family, p.Given} {
			for _, w := range crypto.NamePrefixes(name, 1) {
				t = append(t, replica.Term{Field: TermName, Value: w})
			}
		}
		words := strings.Fields(crypto.Normalize(p.Family + " " + p.Given))
		for i, a := range words {
			for _, b := range words[i+1:] {
				if pair, ok := pairOf(a, b); ok {
					t = append(t, pair)
				}
			}
		}
		if p.Birth != "" {
			t = append(t, replica.Term{Field: TermBirth, Value: p.Birth})
		}
		if d := Digits(p.Phone); d != "" {
			t = append(t, replica.Term{Field: TermPhone, Value: d})
			for n := minPhoneSuffix; n < len(d); n++ {
				t = append(t, replica.Term{Field: TermPhone, Value: d[len(d)-n:]})
			}
		}
		if p.MRN != "" {
			t = append(t, MRNTerm(p.MRN))
		}
		return t
	case KindAppointment:
		var t []replica.Term
		// The day is the date as written, in the clinic's zone; a start
		// that does not parse is on no day, as AppointmentFromState reads
		// it (StartUnreadable).
		if d, p := st.String(AppointmentStart), st.String(AppointmentPhysician); p != "" && !parseStart(d).IsZero() {
			t = append(t, DayTerm(p, d[:10]))
		}
		if s := st.String(AppointmentSeries); s != "" {
			t = append(t, SeriesTerm(s))
		}
		if p := PatientOf(st); p != "" {
			t = append(t, PatientTerm(p))
		}
		return t
	}
	// Every other record that belongs to a patient (notes, vitals,
	// prescriptions...) is found through its patient, so opening a chart
	// reads that patient's records, not every record of the clinic.
	if p := PatientOf(st); p != "" {
		return []replica.Term{PatientTerm(p)}
	}
	return nil
}

// DayTerm finds a physician's appointments on a date (YYYY-MM-DD, the
// clinic's day).
func DayTerm(physician, date string) replica.Term {
	return replica.Term{Field: TermDay, Value: physician + "/" + date}
}

// SeriesTerm finds the appointments of a series.
func SeriesTerm(series string) replica.Term { return replica.Term{Field: TermSeries, Value: series} }

// PatientTerm finds a patient's appointments and clinical records.
func PatientTerm(patient string) replica.Term {
	return replica.Term{Field: TermPatient, Value: patient}
}

// MRNTerm finds a patient by medical record number.
func MRNTerm(mrn string) replica.Term {
	return replica.Term{Field: TermMRN, Value: strings.ToUpper(mrn)}
}

// PhoneTerm finds patients by the digits of a phone number.
func PhoneTerm(phone string) replica.Term {
	return replica.Term{Field: TermPhone, Value: Digits(phone)}
}

// QueryTerms turns what a receptionist typed into blind-index terms: a
// birth date (YYYY-MM-DD), an MRN, a phone number (its digits, at least 7,
// typed with or without spaces, country or area code), or name prefixes.
func QueryTerms(query string) []replica.Term {
	q := strings.TrimSpace(query)
	if d := Digits(q); len(d) >= minPhoneSuffix && rePhone.MatchString(q) && !reDate.MatchString(q) {
		return []replica.Term{PhoneTerm(d)}
	}
	var terms []replica.Term
	var names []string
	for _, w := range strings.Fields(q) {
		switch {
		case reDate.MatchString(w):
			terms = append(terms, replica.Term{Field: TermBirth, Value: w})
		case MRNPattern.MatchString(w):
			terms = append(terms, MRNTerm(w))
		case len(Digits(w)) >= minPhoneSuffix && len(Digits(w)) == len(strings.Trim(w, "+-() ")):
			terms = append(terms, PhoneTerm(w))
		default:
			names = append(names, w)
		}
	}
	return append(terms, NameTerms(strings.Join(names, " "))...)
}

// NameTerms find patients whose names have words starting with each word
// of name. Two words of at least pairLetters letters, neither the start
// of the other, can only start two different words of a patient's names:
// their pair term is asked for too, the rarest of them.
func NameTerms(name string) []replica.Term {
	var terms []replica.Term
	words := strings.Fields(crypto.Normalize(name))
	for _, n := range words {
		terms = append(terms, replica.Term{Field: TermName, Value: n})
	}
	for i, a := range words {
		for _, b := range words[i+1:] {
			if pair, ok := pairOf(a, b); ok && !strings.HasPrefix(a, b) && !strings.HasPrefix(b, a) {
				return append(terms, pair)
			}
		}
	}
	return terms
}

// pairOf returns the pair term of two normalised words: the first
// pairLetters letters of each, in order; none when either is shorter.
func pairOf(a, b string) (replica.Term, bool) {
	ra, rb := []rune(a), []rune(b)
	if len(ra) < pairLetters || len(rb) < pairLetters {
		return replica.Term{}, false
	}
	x, y := string(ra[:pairLetters]), string(rb[:pairLetters])
	if y < x {
		x, y = y, x
	}
	return replica.Term{Field: TermPair, Value: x + " " + y}, true
}

// BirthTerm finds patients born on a date (YYYY-MM-DD).
func BirthTerm(date string) replica.Term {
	return replica.Term{Field: TermBirth, Value: strings.TrimSpace(date)}
}

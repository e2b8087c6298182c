package roles

import "testing"

// TestWithin: a receptionist may do nothing a physician may not; an
// administrator and the others are not so ordered.
func TestWithin(t *testing.T) {
	for _, tc := range []struct {
		r, o Role
		want bool
	}{
		{Receptionist, Receptionist, true},
		{Receptionist, Physician, true},
		{Physician, Receptionist, false},
		{Administrator, Physician, false},
		{Physician, Administrator, false},
		{Receptionist, Administrator, false},
		{Administrator, Receptionist, false},
	} {
		if got := tc.r.Within(tc.o); got != tc.want {
			t.Errorf("%s.Within(%s) = %v, want %v", tc.r, tc.o, got, tc.want)
		}
	}
}

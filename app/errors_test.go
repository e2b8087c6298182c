package app

import (
	"errors"
	"fmt"
	"testing"

	"github.com/medihaven/medihaven/sync/store"
)

func TestPlain(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"no prefix", errors.New("the server did not answer"), "the server did not answer"},
		{"chain of prefixes", fmt.Errorf("app: register: %w", fmt.Errorf("replica: %w", ErrInvalidInput)), "register: invalid input"},
		{"invalid input and its reason", fmt.Errorf("%w: the birth date is in the future", ErrInvalidInput), "the birth date is in the future"},
		{"a word that is also a package keeps its place", fmt.Errorf("app: open the workstation's store: %w", store.ErrNewer),
			"open the workstation's store: this profile was written by a newer Medihaven; update Medihaven to open it"},
		{"a prefix inside a word stays", errors.New("keystore: locked"), "keystore: locked"},
		{"a prefix in parentheses stays", errors.New("refused (store: busy)"), "refused (store: busy)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Plain(tt.err); got != tt.want {
				t.Errorf("Plain = %q, want %q", got, tt.want)
			}
		})
	}
}

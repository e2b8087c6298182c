package app

// StoreAltered says, in plain words, that this workstation's store was
// found altered or put back at the last login ("" when it was not).
func (s *Session) StoreAltered() string { return "" }

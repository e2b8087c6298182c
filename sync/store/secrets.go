package store

import "context"

// PutSecret stores a secret sealed by the device key under name, replacing
// any earlier one. The store never sees the secret itself.
func (tx *Tx) PutSecret(ctx context.Context, name string, sealed []byte) error {
	if name == "" {
		return invalid("secret: empty name")
	}
	_, err := tx.tx.ExecContext(ctx,
		`INSERT INTO secrets (name, sealed) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET sealed = excluded.sealed`,
		name, blob(sealed))
	return wrap("put secret "+name, err)
}

// Secret returns the sealed secret stored under name, or ErrNotFound.
func (tx *Tx) Secret(ctx context.Context, name string) ([]byte, error) {
	var sealed []byte
	err := tx.tx.QueryRowContext(ctx, `SELECT sealed FROM secrets WHERE name = ?`, name).Scan(&sealed)
	if err != nil {
		return nil, wrap("secret "+name, err)
	}
	return sealed, nil
}

// SecretsWithPrefix returns every sealed secret whose name starts with
// prefix (all of them for ""), by name.
func (tx *Tx) SecretsWithPrefix(ctx context.Context, prefix string) (map[string][]byte, error) {
	// A range on the primary key, not LIKE or GLOB: the prefix is taken
	// byte for byte, with no wildcard characters to escape.
	query, args := `SELECT name, sealed FROM secrets WHERE name >= ?`, []any{prefix}
	if end, ok := prefixEnd(prefix); ok {
		query += ` AND name < ?`
		args = append(args, end)
	}
	rows, err := tx.tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, wrap("secrets with prefix", err)
	}
	defer rows.Close()
	secrets := make(map[string][]byte)
	for rows.Next() {
		var name string
		var sealed []byte
		if err := rows.Scan(&name, &sealed); err != nil {
			return nil, wrap("secrets with prefix", err)
		}
		secrets[name] = sealed
	}
	return secrets, wrap("secrets with prefix", rows.Err())
}

// DeleteSecret removes the secret stored under name; deleting one that is
// not there is not an error.
func (tx *Tx) DeleteSecret(ctx context.Context, name string) error {
	_, err := tx.tx.ExecContext(ctx, `DELETE FROM secrets WHERE name = ?`, name)
	return wrap("delete secret "+name, err)
}

// prefixEnd returns the smallest string greater than every string that
// starts with prefix, in SQLite's byte-wise order; ok is false when there
// is none (an empty prefix, or one made only of 0xFF bytes).
func prefixEnd(prefix string) (end string, ok bool) {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xFF {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}

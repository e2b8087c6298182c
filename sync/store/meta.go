package store

import "context"

// Meta returns the profile setting stored under key, or ErrNotFound.
// Values are opaque bytes: the device id, the clinic id, schema facts.
func (tx *Tx) Meta(ctx context.Context, key string) ([]byte, error) {
	var value []byte
	err := tx.tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&value)
	if err != nil {
		return nil, wrap("meta "+key, err)
	}
	return value, nil
}

// SetMeta stores value under key, replacing any earlier value.
func (tx *Tx) SetMeta(ctx context.Context, key string, value []byte) error {
	if key == "" {
		return invalid("meta: empty key")
	}
	_, err := tx.tx.ExecContext(ctx,
		`INSERT INTO meta (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
		key, blob(value))
	tx.seal.meta = true
	return wrap("set meta "+key, err)
}

// DeleteMeta removes the setting under key (an unknown key is no error).
func (tx *Tx) DeleteMeta(ctx context.Context, key string) error {
	_, err := tx.tx.ExecContext(ctx, `DELETE FROM meta WHERE key = ?`, key)
	tx.seal.meta = true
	return wrap("delete meta "+key, err)
}

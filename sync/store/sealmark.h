// The seal's row marks in C (sealmark.go): keyed BLAKE2b-128 (RFC 7693)
// of a row's encoded columns, folded by XOR per table, called by the
// writer connection's temporary triggers without a call into Go.

#include <stddef.h>
#include <stdint.h>

#define SEAL_TABLES 7

// seal_fold is one connection's fold: h0 is BLAKE2b's state after the
// key's block (the key itself is not kept), active while a sealed write
// transaction is under way.
typedef struct {
	uint64_t h0[8];
	int active;
	uint8_t acc[SEAL_TABLES][16];
} seal_fold;

seal_fold *seal_fold_new(void);
void seal_fold_begin(seal_fold *f, const uint8_t key[32]);
void seal_fold_take(seal_fold *f, uint8_t out[SEAL_TABLES * 16]);
void seal_fold_end(seal_fold *f);
void seal_mark(const uint8_t key[32], const uint8_t *row, size_t n, uint8_t out[16]);
int seal_register(void *db, seal_fold *f);

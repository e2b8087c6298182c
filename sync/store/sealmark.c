// The seal's row marks in C: see sealmark.h and sealmark.go.

#include <stdlib.h>
#include <string.h>
#include "sealmark.h"

// SQLite's functions are those mattn/go-sqlite3 compiles into the binary
// (its amalgamation, or the system's library with its libsqlite3 tag):
// weak here, so that this package's own cgo link does not need them;
// seal_register refuses when they are missing.
typedef struct sqlite3 sqlite3;
typedef struct sqlite3_context sqlite3_context;
typedef struct sqlite3_value sqlite3_value;
extern int sqlite3_create_function_v2(sqlite3 *, const char *, int, int, void *,
	void (*)(sqlite3_context *, int, sqlite3_value **), void (*)(sqlite3_context *, int, sqlite3_value **),
	void (*)(sqlite3_context *), void (*)(void *)) __attribute__((weak));
extern void *sqlite3_user_data(sqlite3_context *) __attribute__((weak));
extern int sqlite3_value_type(sqlite3_value *) __attribute__((weak));
extern long long sqlite3_value_int64(sqlite3_value *) __attribute__((weak));
extern const void *sqlite3_value_blob(sqlite3_value *) __attribute__((weak));
extern const unsigned char *sqlite3_value_text(sqlite3_value *) __attribute__((weak));
extern int sqlite3_value_bytes(sqlite3_value *) __attribute__((weak));
extern void sqlite3_result_error(sqlite3_context *, const char *, int) __attribute__((weak));
extern void sqlite3_result_error_nomem(sqlite3_context *) __attribute__((weak));

// SQLite's constants (sqlite3.h).
#define S_INTEGER 1
#define S_TEXT 3
#define S_BLOB 4
#define S_UTF8 1
#define S_DETERMINISTIC 0x000000800
#define S_DIRECTONLY 0x000080000

// BLAKE2b, RFC 7693.
static const uint64_t b2b_iv[8] = {
	0x6A09E667F3BCC908ULL, 0xBB67AE8584CAA73BULL, 0x3C6EF372FE94F82BULL, 0xA54FF53A5F1D36F1ULL,
	0x510E527FADE682D1ULL, 0x9B05688C2B3E6C1FULL, 0x1F83D9ABFB41BD6BULL, 0x5BE0CD19137E2179ULL,
};

static const uint8_t b2b_sigma[12][16] = {
	{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
	{14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
	{11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
	{7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
	{9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
	{2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
	{12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
	{13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
	{6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
	{10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
	{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
	{14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
};

typedef struct {
	uint64_t h[8];
	uint64_t t; // bytes compressed (a row is far below 2^64)
	uint8_t b[128];
	size_t c; // bytes in b
} b2b;

#define ROTR64(x, y) (((x) >> (y)) ^ ((x) << (64 - (y))))
#define B2B_G(a, b, c, d, x, y)                 \
	do {                                    \
		v[a] = v[a] + v[b] + (x);       \
		v[d] = ROTR64(v[d] ^ v[a], 32); \
		v[c] = v[c] + v[d];             \
		v[b] = ROTR64(v[b] ^ v[c], 24); \
		v[a] = v[a] + v[b] + (y);       \
		v[d] = ROTR64(v[d] ^ v[a], 16); \
		v[c] = v[c] + v[d];             \
		v[b] = ROTR64(v[b] ^ v[c], 63); \
	} while (0)

static uint64_t get64(const uint8_t *p) {
	return (uint64_t)p[0] | ((uint64_t)p[1] << 8) | ((uint64_t)p[2] << 16) | ((uint64_t)p[3] << 24) |
	       ((uint64_t)p[4] << 32) | ((uint64_t)p[5] << 40) | ((uint64_t)p[6] << 48) | ((uint64_t)p[7] << 56);
}

static void b2b_compress(b2b *s, int last) {
	uint64_t v[16], m[16];
	int i;
	for (i = 0; i < 8; i++) {
		v[i] = s->h[i];
		v[i + 8] = b2b_iv[i];
	}
	v[12] ^= s->t; // the counter's high word stays 0
	if (last)
		v[14] = ~v[14];
	for (i = 0; i < 16; i++)
		m[i] = get64(&s->b[8 * i]);
	// The rounds unrolled, so that every message word's index is a
	// constant (three times faster than a loop over b2b_sigma).
#define B2B_ROUND(r)                                                     \
	do {                                                             \
		B2B_G(0, 4, 8, 12, m[b2b_sigma[r][0]], m[b2b_sigma[r][1]]);   \
		B2B_G(1, 5, 9, 13, m[b2b_sigma[r][2]], m[b2b_sigma[r][3]]);   \
		B2B_G(2, 6, 10, 14, m[b2b_sigma[r][4]], m[b2b_sigma[r][5]]);  \
		B2B_G(3, 7, 11, 15, m[b2b_sigma[r][6]], m[b2b_sigma[r][7]]);  \
		B2B_G(0, 5, 10, 15, m[b2b_sigma[r][8]], m[b2b_sigma[r][9]]);  \
		B2B_G(1, 6, 11, 12, m[b2b_sigma[r][10]], m[b2b_sigma[r][11]]); \
		B2B_G(2, 7, 8, 13, m[b2b_sigma[r][12]], m[b2b_sigma[r][13]]);  \
		B2B_G(3, 4, 9, 14, m[b2b_sigma[r][14]], m[b2b_sigma[r][15]]);  \
	} while (0)
	B2B_ROUND(0);
	B2B_ROUND(1);
	B2B_ROUND(2);
	B2B_ROUND(3);
	B2B_ROUND(4);
	B2B_ROUND(5);
	B2B_ROUND(6);
	B2B_ROUND(7);
	B2B_ROUND(8);
	B2B_ROUND(9);
	B2B_ROUND(10);
	B2B_ROUND(11);
#undef B2B_ROUND
	for (i = 0; i < 8; i++)
		s->h[i] ^= v[i] ^ v[i + 8];
	memset(v, 0, sizeof v);
}

// b2b_keyed starts a message under h0, BLAKE2b-128's state with a 32-byte
// key once the key's block is compressed (what every message of one or
// more bytes starts from).
static void b2b_keyed(b2b *s, const uint64_t h0[8]) {
	memcpy(s->h, h0, sizeof s->h);
	s->t = 128;
	s->c = 0;
}

static void b2b_update(b2b *s, const uint8_t *in, size_t n) {
	while (n > 0) {
		if (s->c == 128) {
			s->t += 128;
			b2b_compress(s, 0);
			s->c = 0;
		}
		size_t k = 128 - s->c;
		if (k > n)
			k = n;
		memcpy(s->b + s->c, in, k);
		s->c += k;
		in += k;
		n -= k;
	}
}

static void b2b_final(b2b *s, uint8_t out[16]) {
	int i;
	s->t += s->c;
	memset(s->b + s->c, 0, 128 - s->c);
	b2b_compress(s, 1);
	for (i = 0; i < 16; i++)
		out[i] = (uint8_t)(s->h[i >> 3] >> (8 * (i & 7)));
	memset(s, 0, sizeof *s);
}

// b2b_final_block pads the key's block (c bytes of key, t 0) to 128
// bytes and compresses it as the last: BLAKE2b of an empty message.
static void b2b_final_block(b2b *s, uint8_t out[16]) {
	int i;
	memset(s->b + s->c, 0, 128 - s->c);
	s->t = 128;
	b2b_compress(s, 1);
	for (i = 0; i < 16; i++)
		out[i] = (uint8_t)(s->h[i >> 3] >> (8 * (i & 7)));
	memset(s, 0, sizeof *s);
}

// keyed_h0 is BLAKE2b-128's state for key after its block.
static void keyed_h0(const uint8_t key[32], uint64_t h0[8]) {
	b2b s;
	int i;
	for (i = 0; i < 8; i++)
		s.h[i] = b2b_iv[i];
	s.h[0] ^= 0x01010000ULL ^ (32ULL << 8) ^ 16ULL;
	memset(s.b, 0, sizeof s.b);
	memcpy(s.b, key, 32);
	s.t = 128;
	b2b_compress(&s, 0);
	memcpy(h0, s.h, sizeof s.h);
	memset(&s, 0, sizeof s);
}

void seal_mark(const uint8_t key[32], const uint8_t *row, size_t n, uint8_t out[16]) {
	uint64_t h0[8];
	b2b s;
	if (n == 0) {
		// The key's block is then the last (never a row: a row has its
		// table's byte).
		int i;
		for (i = 0; i < 8; i++)
			s.h[i] = b2b_iv[i];
		s.h[0] ^= 0x01010000ULL ^ (32ULL << 8) ^ 16ULL;
		memcpy(s.b, key, 32);
		s.t = 0;
		s.c = 32;
		b2b_final_block(&s, out);
		return;
	}
	keyed_h0(key, h0);
	b2b_keyed(&s, h0);
	memset(h0, 0, sizeof h0);
	b2b_update(&s, row, n);
	b2b_final(&s, out);
}

void seal_fold_begin(seal_fold *f, const uint8_t key[32]) {
	keyed_h0(key, f->h0);
	memset(f->acc, 0, sizeof f->acc);
	f->active = 1;
}

void seal_fold_take(seal_fold *f, uint8_t out[SEAL_TABLES * 16]) { memcpy(out, f->acc, sizeof f->acc); }

void seal_fold_end(seal_fold *f) {
	f->active = 0;
	memset(f->h0, 0, sizeof f->h0);
	memset(f->acc, 0, sizeof f->acc);
}

// The columns of each table's mark (sealrows.go's rowColumns).
static const int seal_columns[SEAL_TABLES] = {6, 2, 2, 6, 2, 3, 4};

// seal_row(table, columns...): the marks of one row of table (an insert's
// or a delete's) or of two (an update's old and new), folded into the
// connection's fold. Each row is encoded as RowEncoder does: the table's
// byte, then each column, an integer as 8 bytes big-endian, a text or
// blob as its length in 4 bytes big-endian and its bytes, anything else
// as an empty one.
static void seal_row(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
	seal_fold *f = sqlite3_user_data(ctx);
	if (argc < 1 || sqlite3_value_type(argv[0]) != S_INTEGER) {
		sqlite3_result_error(ctx, "seal_row: no table", -1);
		return;
	}
	long long table = sqlite3_value_int64(argv[0]);
	if (table < 0 || table >= SEAL_TABLES || (argc - 1) % seal_columns[table] != 0) {
		sqlite3_result_error(ctx, "seal_row: not a row of a sealed table", -1);
		return;
	}
	if (!f->active)
		return; // no sealer: the store is not sealed
	int cols = seal_columns[table];
	for (int r = 1; r < argc; r += cols) {
		b2b s;
		uint8_t tb = (uint8_t)table, buf[8], m[16];
		b2b_keyed(&s, f->h0);
		b2b_update(&s, &tb, 1);
		for (int i = r; i < r + cols; i++) {
			sqlite3_value *v = argv[i];
			int ty = sqlite3_value_type(v);
			if (ty == S_INTEGER) {
				uint64_t x = (uint64_t)sqlite3_value_int64(v);
				for (int k = 0; k < 8; k++)
					buf[k] = (uint8_t)(x >> (56 - 8 * k));
				b2b_update(&s, buf, 8);
				continue;
			}
			const uint8_t *p = 0;
			int n = 0;
			if (ty == S_TEXT) {
				p = sqlite3_value_text(v);
				n = sqlite3_value_bytes(v);
			} else if (ty == S_BLOB) {
				p = sqlite3_value_blob(v);
				n = sqlite3_value_bytes(v);
			}
			if (n > 0 && p == 0) {
				sqlite3_result_error_nomem(ctx);
				return;
			}
			buf[0] = (uint8_t)((uint32_t)n >> 24);
			buf[1] = (uint8_t)((uint32_t)n >> 16);
			buf[2] = (uint8_t)((uint32_t)n >> 8);
			buf[3] = (uint8_t)n;
			b2b_update(&s, buf, 4);
			if (n > 0)
				b2b_update(&s, p, (size_t)n);
		}
		b2b_final(&s, m);
		for (int k = 0; k < 16; k++)
			f->acc[table][k] ^= m[k];
	}
}

// seal_fold_new is a fold the store keeps for as long as the process
// runs (sealmark.go): a connection's close never frees it, since the
// driver may close a connection whose transaction a cancelled context
// rolled back while the writing goroutine still ends its fold.
seal_fold *seal_fold_new(void) { return calloc(1, sizeof(seal_fold)); }

// seal_register registers seal_row on the connection db, folding into f.
// SQLITE_DIRECTONLY: only top-level SQL and TEMP triggers may call it, not
// a trigger or view stored in the file (whoever edits the file would make
// it fold the mark of any row it likes: TestAttackS23sFileTriggerFoldsMarks).
int seal_register(void *db, seal_fold *f) {
	if (!sqlite3_create_function_v2 || !sqlite3_user_data || !sqlite3_value_type || !sqlite3_value_int64 ||
	    !sqlite3_value_blob || !sqlite3_value_text || !sqlite3_value_bytes || !sqlite3_result_error ||
	    !sqlite3_result_error_nomem)
		return -1;
	return sqlite3_create_function_v2((sqlite3 *)db, "seal_row", -1, S_UTF8 | S_DIRECTONLY, f, seal_row, 0, 0, 0);
}

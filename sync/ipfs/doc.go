// Package ipfs stores and fetches ciphertext blocks on the clinic's Kubo
// node through go-ipfs-api.
//
// It only ever sees sealed bytes; it must not decrypt, interpret or log
// their content. It is the seam behind which the archived go-ipfs-api client
// could be swapped.
package ipfs

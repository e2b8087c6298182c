// Package packagetest checks what `make package` wrote to dist/: the .deb
// (installed into a scratch root, its Depends and desktop entry), the
// user install and the tarball. It holds tests only; they skip unless
// MEDIHAVEN_DIST names the built dist folder (`make package-test`, or
// `make test` with CI=true, which builds it beside the tests).
//
// It is a package of its own so that a package built again (new files,
// new times) makes Go run only these tests again: every other package's
// result stays in Go's test cache while its code and inputs are the same.
// It must not hold anything the application uses.
package packagetest

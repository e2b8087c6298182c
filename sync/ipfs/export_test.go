package ipfs

// CheckRawCID is checkRawCID for the tests of package ipfs_test.
var CheckRawCID = checkRawCID

package ipfs

import "context"

// CheckRawCID is checkRawCID for the tests of package ipfs_test.
var CheckRawCID = checkRawCID

// Unpin lets the node's garbage collector remove the block with the given
// CID (and, for a DAG, the blocks under it), for the tests that check Put
// pins. Workstations never unpin: their secret does not reach pin/rm
// (sync/server's workstationPaths). Unpinning a block that is not pinned
// is not an error.
func (c *Client) Unpin(ctx context.Context, cid string) error {
	if err := CheckCID(cid); err != nil {
		return err
	}
	err := c.sh.Request("pin/rm", cid).Option("recursive", true).Exec(ctx, nil)
	if err != nil && kuboSays(err, "not pinned") {
		return nil
	}
	if err != nil {
		return fail(ctx, "unpin "+cid, err)
	}
	return nil
}

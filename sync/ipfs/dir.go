package ipfs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	files "github.com/ipfs/boxo/files"
)

// File is one named file of a directory put on IPFS with PutDir.
type File struct {
	Name string // a plain file name: no slash
	Data []byte
}

// PutDir stores files as one UnixFS directory on the node, pinned
// recursively, and returns the directory's CID: `ipfs get CID` on any node
// gives a folder holding the files, and CID/NAME names one of them.
func (c *Client) PutDir(ctx context.Context, fs []File) (string, error) {
	if len(fs) == 0 {
		return "", fmt.Errorf("ipfs: put a directory: no files")
	}
	entries := make([]files.DirEntry, 0, len(fs))
	for _, f := range fs {
		if f.Name == "" || strings.ContainsAny(f.Name, `/\`) || f.Name == "." || f.Name == ".." {
			return "", fmt.Errorf("ipfs: put a directory: %q is not a plain file name", f.Name)
		}
		entries = append(entries, files.FileEntry(f.Name, files.NewBytesFile(f.Data)))
	}
	body := files.NewMultiFileReader(files.NewSliceDirectory(entries), true, false)
	resp, err := c.sh.Request("add").
		Option("pin", true).
		Option("wrap-with-directory", true).
		Option("cid-version", 1).
		Option("raw-leaves", true).
		Option("hash", "sha2-256").
		Body(body).
		Send(ctx)
	if err == nil && resp.Error != nil {
		err = resp.Error
	}
	if err != nil {
		return "", fail(ctx, "put a directory", err)
	}
	defer resp.Close()
	// Kubo answers with one object per file, then the wrapping directory,
	// whose name is empty.
	var dir string
	dec := json.NewDecoder(resp.Output)
	for {
		var out struct{ Name, Hash string }
		err := dec.Decode(&out)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", fail(ctx, "put a directory", err)
		}
		if out.Name == "" {
			dir = out.Hash
		}
	}
	if err := CheckCID(dir); err != nil {
		return "", fmt.Errorf("ipfs: put a directory: node answered with %w", err)
	}
	return dir, nil
}

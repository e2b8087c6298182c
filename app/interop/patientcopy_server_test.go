package interop

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/sync/ipfs"
	"github.com/medihaven/medihaven/sync/server"
	"github.com/medihaven/medihaven/sync/synctest"
)

// TestHandOutPatientCopyOnTheClinicsServer hands out a copy on the Kubo
// node of a real `medihaven server`, whose API asks for the workstations'
// secret: the handout sends it (it used to send none and was refused),
// and everything it calls is within what that secret reaches.
func TestHandOutPatientCopyOnTheClinicsServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bin, err := synctest.IPFSBinary()
	if err != nil {
		t.Fatal(err)
	}
	ports := synctest.FreePorts(t, 2)
	res, err := server.Init(ctx, server.Options{Domain: "clinic.test", Dir: filepath.Join(t.TempDir(), "server"),
		XMPPPort: ports[0], APIPort: ports[1], SwarmPort: -1, DeskPort: -1, IPFSBin: bin})
	if err != nil {
		t.Fatal(err)
	}
	s, err := server.Start(ctx, res.Dir, server.RunOptions{IPFSBin: bin, StopGrace: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	secret, err := server.APISecret(res.Dir)
	if err != nil || secret == "" {
		t.Fatalf("secret %q, %v", secret, err)
	}

	c, p := chartedVisit(t)
	if err := c.phys.SetServers(app.Servers{IPFS: res.Config.APIAddr(), IPFSSecret: secret, XMPPCertPin: res.Config.CertPin}); err != nil {
		t.Fatal(err)
	}
	pc, err := c.phys.HandOutPatientCopy(ctx, p.ID)
	if err != nil {
		t.Fatalf("HandOutPatientCopy on the clinic's server: %v", err)
	}
	if err := ipfs.CheckCID(pc.CID); err != nil {
		t.Errorf("the copy's CID: %v", err)
	}
}

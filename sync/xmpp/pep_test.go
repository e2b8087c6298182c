package xmpp_test

import (
	"errors"
	"testing"

	"mellium.im/xmpp/jid"

	"github.com/medihaven/medihaven/sync/synctest"
	"github.com/medihaven/medihaven/sync/xmpp"
)

const testNode = "urn:medihaven:head"

// TestPEPItem: an account keeps one item on its own PEP node, replaced by
// each publish, which another account of the server reads; an account
// that never published, or does not exist, has nothing (ErrNoPEPItem).
func TestPEPItem(t *testing.T) {
	p := synctest.StartProsody(t)
	ctx := testContext(t)
	alice := connect(t, p, "alice", nil)
	bob := connect(t, p, "bob", nil)
	aliceJID := jid.MustParse("alice@" + p.Domain)
	for _, text := range []string{"mh1 head first", "mh1 head second"} {
		if err := alice.PublishPEP(ctx, testNode, "current", text); err != nil {
			t.Fatal(err)
		}
		if got, err := bob.PEPItem(ctx, aliceJID.String(), testNode, "current"); err != nil || got != text {
			t.Fatalf("bob reads alice's item: %q, %v; want %q", got, err, text)
		}
	}
	p.Register(t, "carol", "carol-password")
	for _, who := range []string{"carol", "ghost"} {
		if got, err := bob.PEPItem(ctx, who+"@"+p.Domain, testNode, "current"); !errors.Is(err, xmpp.ErrNoPEPItem) {
			t.Errorf("%s's item: %q, %v; want ErrNoPEPItem", who, got, err)
		}
	}
}

// TestPEPOnlyItsAccountPublishes (hostile): Mallory, any account of the
// server, cannot publish on another account's PEP node, with or without
// publish-options: the server refuses, and the item stays the owner's.
func TestPEPOnlyItsAccountPublishes(t *testing.T) {
	p := synctest.StartProsody(t)
	ctx := testContext(t)
	alice := connect(t, p, "alice", nil)
	mallory := connect(t, p, "mallory", nil)
	aliceJID := jid.MustParse("alice@" + p.Domain)
	const genuine = "mh1 head genuine"
	if err := alice.PublishPEP(ctx, testNode, "current", genuine); err != nil {
		t.Fatal(err)
	}
	for _, options := range []bool{true, false} {
		if err := xmpp.PublishPEPTo(ctx, mallory, aliceJID, testNode, "current", "mh1 head forged", options); err == nil {
			t.Errorf("the server let mallory publish on alice's node (publish-options %v)", options)
		} else {
			t.Logf("refused (publish-options %v): %v", options, err)
		}
	}
	if got, err := mallory.PEPItem(ctx, aliceJID.String(), testNode, "current"); err != nil || got != genuine {
		t.Errorf("alice's item after mallory's tries: %q, %v; want %q", got, err, genuine)
	}
}

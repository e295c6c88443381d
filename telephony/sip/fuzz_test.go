package sip_test

import (
	"testing"

	"github.com/emiago/sipgo/sip"
)

// FuzzListener feeds raw datagrams to a running edge; after each the edge
// must still answer OPTIONS (a panic in a handler kills the test binary).
func FuzzListener(f *testing.F) {
	e := startEdge(f)
	peer := newRawPeer(f, e, "127.0.0.1")
	for _, m := range []string{"REGISTER", "OPTIONS", "INVITE", "BYE", "INFO", "ACK"} {
		f.Add(peer.message(m))
	}
	f.Add(peer.message("REGISTER", "Expires: 0", `Authorization: Digest username="agent1", realm="hotline", nonce="x", uri="sip:h", response="0", qop=auth, nc=00000001, cnonce="c"`))
	f.Add(peer.message("REGISTER", "Contact: *", "Expires: 0"))
	f.Add(peer.message("REGISTER", "Expires: -1", "Authorization: Digest"))
	f.Add([]byte("SIP/2.0 200 OK\r\n\r\n"))
	f.Add([]byte("\r\n\r\n"))
	f.Fuzz(func(t *testing.T, datagram []byte) {
		if len(datagram) > 60000 {
			return
		}
		if err := peer.send(datagram); err != nil {
			t.Fatal(err)
		}
		// Answers to the datagram may come first; read up to ours.
		probe := peer.message("OPTIONS")
		if err := peer.send(probe); err != nil {
			t.Fatal(err)
		}
		id := callID(probe)
		res := peer.readMatching(t, true, func(r *sip.Response) bool {
			return r.CallID() != nil && string(*r.CallID()) == id
		})
		if res.StatusCode != 200 {
			t.Fatalf("OPTIONS after %q: %d", datagram, res.StatusCode)
		}
	})
}

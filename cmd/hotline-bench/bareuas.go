package main

// The SIP benchmark's baseline: a bare sipgo UAS that only answers, run
// as a process of its own (hotline-bench -bare-uas), so that it shares
// the machine with sipp as the hotline does.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// bareSDP is the answer of the bare UAS: PCMU on a port nobody reads.
const bareSDP = "v=0\r\no=bare 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
	"m=audio 39000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"

// serveBareUAS answers every INVITE on a free UDP port of 127.0.0.1 with
// 200 OK and bareSDP, takes ACKs and answers BYEs, until ctx ends. It
// prints its address on stdout once it listens.
func serveBareUAS(ctx context.Context) error {
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("bare-uas"))
	if err != nil {
		return fmt.Errorf("bare UAS user agent: %w", err)
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		return errors.Join(fmt.Errorf("bare UAS server: %w", err), ua.Close())
	}
	srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", []byte(bareSDP))
		res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		res.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "bare", Host: "127.0.0.1", Port: req.Recipient.Port}})
		if err := tx.Respond(res); err != nil {
			fmt.Fprintln(os.Stderr, "bare UAS: respond to INVITE:", err)
		}
	})
	srv.OnAck(func(*sip.Request, sip.ServerTransaction) {})
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		if err := tx.Respond(sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil)); err != nil {
			fmt.Fprintln(os.Stderr, "bare UAS: respond to BYE:", err)
		}
	})
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return errors.Join(err, ua.Close())
	}
	go func() {
		<-ctx.Done()
		if err := conn.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "bare UAS: close:", err)
		}
	}()
	fmt.Println(conn.LocalAddr().String())
	err = srv.ServeUDP(conn)
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return errors.Join(err, ua.Close())
}

// startBareUAS runs this program as the bare UAS under the servers' CPU
// pinning and returns the process and its SIP address.
func startBareUAS(pin []string) (*exec.Cmd, string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	cmd := pinned(pin, self, "-bare-uas")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", fmt.Errorf("start the bare UAS: %w", err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		return nil, "", errors.Join(fmt.Errorf("bare UAS address: %w", err), cmd.Process.Kill(), cmd.Wait())
	}
	return cmd, strings.TrimSpace(line), nil
}

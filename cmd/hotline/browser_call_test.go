package main

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/emiago/diago"
	"github.com/emiago/sipgo/sip"

	"github.com/open12345/hotline/internal/testenv"
)

// deskPhone is an agent's SIP phone in the browser test: it rings, and
// answers when the test picks it up.
type deskPhone struct {
	rang   chan string   // the caller's number, when it rings
	pickUp chan struct{} // closed to answer
	hungUp chan struct{} // closed when the call on it has ended
}

// startDeskPhone registers a diago phone as user's at the server.
func startDeskPhone(t *testing.T, m *Main, user, password string) *deskPhone {
	t.Helper()
	p := &deskPhone{rang: make(chan string, 1), pickUp: make(chan struct{}), hungUp: make(chan struct{})}
	dg := newDiagoPeer(t, user+"-desk-phone", func(d *diago.DialogServerSession) {
		defer close(p.hungUp)
		if err := d.Ringing(); err != nil {
			t.Errorf("the desk phone rings: %v", err)
			return
		}
		p.rang <- d.FromUser()
		select {
		case <-p.pickUp:
		case <-d.Context().Done():
			return
		}
		med, err := d.Answer(diago.AnswerOptions{})
		if err != nil {
			t.Errorf("the desk phone answers: %v", err)
			return
		}
		talk(d.Context(), t, med)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	port := int(m.sip.Addr().Port())
	tx, err := dg.RegisterTransaction(ctx, sip.Uri{Scheme: "sip", User: user, Host: "127.0.0.1", Port: port},
		diago.RegisterOptions{Username: user, Password: password, Expiry: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := testenv.WhenBound(func() error { return tx.Register(ctx) }); err != nil {
		t.Fatalf("%s's desk phone registers: %v", user, err)
	}
	return p
}

// talk sends 20 ms frames of PCMU silence until ctx ends, as a phone
// does while its user listens, so the other side's RTP watchdog is fed.
func talk(ctx context.Context, t *testing.T, med *diago.DialogMedia) {
	w, err := med.AudioWriter()
	if err != nil {
		t.Errorf("audio writer: %v", err)
		return
	}
	silence := make([]byte, 160)
	for i := range silence {
		silence[i] = 0xff
	}
	for ctx.Err() == nil {
		if _, err := w.Write(silence); err != nil { // paced by the writer, 20 ms a frame
			return
		}
	}
}

// citizenCall is a citizen's call to 12345 in the browser test.
type citizenCall struct {
	t    *testing.T
	d    *diago.DialogClientSession
	stop context.CancelFunc
	wg   sync.WaitGroup
}

// dialHotline calls 12345 from number and keeps the line alive with
// silence until hung up.
func dialHotline(t *testing.T, m *Main, number string) *citizenCall {
	t.Helper()
	caller := newDiagoPeer(t, number, nil) // the user agent's name is the From user
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var d *diago.DialogClientSession
	var med *diago.DialogMedia
	err := testenv.WhenBound(func() (err error) {
		d, med, err = caller.Invite(ctx, sip.Uri{Scheme: "sip", User: "12345", Host: "127.0.0.1", Port: int(m.sip.Addr().Port())}, diago.InviteOptions{})
		return err
	})
	if err != nil {
		t.Fatalf("call 12345: %v", err)
	}
	tctx, stop := context.WithCancel(d.Context())
	c := &citizenCall{t: t, d: d, stop: stop}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		talk(tctx, t, med)
	}()
	t.Cleanup(c.close)
	return c
}

// press keys digit by SIP INFO and reports whether the hotline took it.
func (c *citizenCall) press(digit string) bool {
	c.t.Helper()
	req := sip.NewRequest(sip.INFO, c.d.InviteRequest.Recipient)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/dtmf-relay"))
	req.SetBody([]byte("Signal=" + digit + "\r\nDuration=160\r\n"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := c.d.Do(ctx, req)
	return err == nil && res.StatusCode == 200
}

// rate keys score until the hotline hangs up, for the survey that starts
// once the agent has hung up: keys before it are not a rating.
func (c *citizenCall) rate(score string) {
	c.t.Helper()
	deadline := time.After(testenv.EventuallyWithin)
	for {
		select {
		case <-c.d.Context().Done():
			return
		case <-deadline:
			c.t.Fatal("the hotline did not hang up after the survey")
		case <-time.After(500 * time.Millisecond):
			c.press(score) // refused once the call is over: the loop ends then
		}
	}
}

func (c *citizenCall) close() {
	c.stop()
	c.wg.Wait()
	if c.d.Context().Err() == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.d.Hangup(ctx); err != nil {
			c.t.Errorf("the citizen hangs up: %v", err)
		}
	}
}

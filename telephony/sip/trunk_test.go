package sip_test

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/internal/testenv"
	hsip "github.com/open12345/hotline/telephony/sip"
)

func TestParseTrunk(t *testing.T) {
	ip, err := hsip.ParseTrunk("ip:127.0.0.2, 10.1.2.3")
	if err != nil || !ip.Trusts("127.0.0.2:5060") || !ip.Trusts("10.1.2.3") || ip.Trusts("127.0.0.3:5060") || ip.Registrar != nil {
		t.Errorf("ip trunk %+v, %v", ip, err)
	}
	if ip.Gateway.String() != "127.0.0.2:5060" {
		t.Errorf("ip trunk's gateway %s, want the first address on 5060", ip.Gateway)
	}
	gw, err := hsip.ParseTrunk("ip:127.0.0.2:5070,[::1]:5080,::2")
	if err != nil || gw.Gateway.String() != "127.0.0.2:5070" || !gw.Trusts("[::1]:5060") || !gw.Trusts("::2") || gw.Trusts("127.0.0.3") {
		t.Errorf("ip trunk with ports %+v, %v", gw, err)
	}
	reg, err := hsip.ParseTrunk("sip:acct:s3cret@127.0.0.2:5070;transport=tcp")
	if err != nil || reg.Registrar == nil || reg.Username != "acct" || reg.Password != "s3cret" || reg.Transport != "tcp" ||
		!reg.Trusts("127.0.0.2:5070") || strings.Contains(reg.String(), "s3cret") {
		t.Errorf("registration trunk %+v (%s), %v", reg, reg, err)
	}
	if none, err := hsip.ParseTrunk(""); err != nil || none.Configured() || none.Trusts("127.0.0.1") {
		t.Errorf("no trunk %+v, %v", none, err)
	}
	for _, bad := range []string{"ip:", "ip:host.example", "ip:127.0.0.1,", "ip:127.0.0.1:0", "ip:127.0.0.1:99999", "ip:[::1", "sip:acct@127.0.0.2", "sip:acct:pw@127.0.0.2;transport=sctp",
		"sips:acct:pw@127.0.0.2", "tcp://127.0.0.1", "sip:acct:pw@no-such-host.invalid"} {
		_, err := hsip.ParseTrunk(bad)
		if err == nil {
			t.Errorf("ParseTrunk(%q) accepted", bad)
		} else if strings.Contains(err.Error(), ":pw@") {
			t.Errorf("ParseTrunk(%q) error shows the password: %v", bad, err)
		}
	}
}

// sippCall runs one sipp scenario from ip against the edge and returns
// its outcome.
func sippCall(t *testing.T, e *callEdge, scenario, ip string) <-chan error {
	t.Helper()
	sipp := sippPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	cmd := exec.CommandContext(ctx, sipp, "-sf", scenario, "-s", "12345", "-i", ip, "-mi", ip,
		"-mp", strconv.Itoa(testenv.FreeUDPPort(t)), "-m", "1", "-timeout", "40s", "-timeout_error", "-nostdin",
		e.srv.Addr().String())
	done := make(chan error, 1)
	go func() {
		defer cancel()
		out, err := cmd.CombinedOutput()
		if err != nil {
			err = &sippError{err: err, out: string(out)}
		}
		done <- err
	}()
	return done
}

type sippError struct {
	err error
	out string
}

func (e *sippError) Error() string { return e.err.Error() + "\n" + e.out }

// The carrier (sipp on 127.0.0.2, the trunk's address) reaches the IVR,
// and the caller's number is the one P-Asserted-Identity asserts, not
// the From the carrier writes; a call from another address gets 403 and
// no call exists for it.
func TestTrunk_CallsFromTheTrunkReachTheIVRAndOthersAreRefused(t *testing.T) {
	trunk, err := hsip.ParseTrunk("ip:127.0.0.2")
	if err != nil {
		t.Fatal(err)
	}
	e := startCallsWith(t, hsip.CallConfig{}, hsip.Config{Trunk: trunk}, clock.System{})
	baseline := inUse(t)

	done := sippCall(t, e, "testdata/trunk_call.xml", "127.0.0.2")
	call := e.oneCall(t)
	if call.Caller != "13912345678" {
		t.Errorf("caller %q, want 13912345678 from P-Asserted-Identity", call.Caller)
	}
	contact := e.waiting(t, call)
	if contact.Caller != "13912345678" || contact.Queue != "consultation" {
		t.Errorf("contact %+v, want 13912345678 in consultation", contact)
	}
	if err := <-done; err != nil {
		t.Fatalf("sipp from the trunk: %v", err)
	}
	e.released(t, baseline, call.RTPPort)

	if err := <-sippCall(t, e, "testdata/invite_refused.xml", "127.0.0.3"); err != nil {
		t.Fatalf("sipp from outside the trunk: %v", err)
	}
	if active := e.calls.Active(); len(active) != 0 {
		t.Errorf("calls %+v after a refused INVITE", active)
	}
	if got := scrape(t, metricsOf(t, e.srv))[`hotline_sip_refused_total{reason="untrusted_source"}`]; got != 1 {
		t.Errorf("untrusted_source refusals %v, want 1", got)
	}
}

// Without a trunk, HOTLINE_SIP_OPEN's edge takes anyone's call, and a
// P-Asserted-Identity from an untrusted source is ignored: anyone can
// write it.
func TestTrunk_OpenEdgeIgnoresAssertedIdentityOfStrangers(t *testing.T) {
	e := startCalls(t, hsip.CallConfig{}, clock.System{})
	done := sippCall(t, e, "testdata/trunk_call.xml", "127.0.0.3")
	if call := e.oneCall(t); call.Caller != "02088886666" {
		t.Errorf("caller %q, want the From user 02088886666", call.Caller)
	}
	if err := <-done; err != nil {
		t.Fatalf("sipp: %v", err)
	}
}

// A closed edge without any trunk refuses every new call, but not
// requests within a dialog or other methods (OPTIONS answers).
func TestTrunk_ClosedEdgeWithoutTrunkRefusesCalls(t *testing.T) {
	e := startCallsWith(t, hsip.CallConfig{}, hsip.Config{}, clock.System{})
	if err := <-sippCall(t, e, "testdata/invite_refused.xml", "127.0.0.1"); err != nil {
		t.Fatalf("sipp: %v", err)
	}
	c := newClient(t)
	req := sip.NewRequest(sip.OPTIONS, sip.Uri{Scheme: "sip", User: "12345", Host: e.srv.Addr().Addr().String(), Port: int(e.srv.Addr().Port())})
	if res := do(t, c, req); res.StatusCode != sip.StatusOK {
		t.Errorf("OPTIONS: %d, want 200", res.StatusCode)
	}
}

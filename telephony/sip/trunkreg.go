package sip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/open12345/hotline/clock"
)

// Registration with a registration-based trunk.
const (
	defaultTrunkExpiry = time.Hour        // asked for unless Config.TrunkExpiry
	trunkRetryFirst    = 5 * time.Second  // the first retry after a failure, then doubling
	trunkRetryMax      = 5 * time.Minute  // the longest wait between failed attempts
	trunkTimeout       = 32 * time.Second // one attempt, the digest round included (Timer F)
	trunkUnregister    = 2 * time.Second  // the unregistration at shutdown
	listenerWait       = time.Second      // for the UDP listener to serve before the first REGISTER
)

// TrunkStatus is the state of the registration with a registration-based
// trunk, for /readyz and the logs.
type TrunkStatus struct {
	// Configured: the trunk is registration-based (HOTLINE_SIP_TRUNK
	// is a sip: URI); the other fields are zero otherwise.
	Configured bool
	// Registered: the last REGISTER was accepted and its binding has not
	// lapsed. A failed refresh makes it false until a REGISTER succeeds
	// again, though the carrier may still route calls until ExpiresAt.
	Registered bool
	// ExpiresAt is when the last binding the registrar granted lapses.
	ExpiresAt time.Time
	// LastAttempt is when the last REGISTER was sent; NextAttempt when
	// the next is due (the refresh, or the retry after a failure).
	LastAttempt, NextAttempt time.Time
	// LastError is why the last attempt failed; "" after a success.
	LastError string
}

// trunkRegistration keeps the edge registered with the carrier's
// registrar: sip:<user>@<registrar host> bound to the edge's own
// address, refreshed before the binding lapses, retried with backoff
// after a failure, removed at shutdown. Its timers run on the injected
// clock.
type trunkRegistration struct {
	client  *sipgo.Client
	ua      *sipgo.UserAgent
	trunk   Trunk
	contact sip.Uri // the edge's listening address
	laddr   string  // the UDP listener's address, "" over TCP
	clock   clock.Clock
	log     *slog.Logger
	callID  string
	tag     string
	done    chan struct{}
	// The expiry asked for (a 423 raises it) and the last CSeq change on
	// run's goroutine only.
	expiry time.Duration
	cseq   uint32

	mu     sync.Mutex
	status TrunkStatus
	retry  time.Duration // the last wait after a failure; 0 after a success

	ok, failed atomic.Uint64 // attempts since the start, for the metrics
}

// newTrunkRegistration prepares the registration of the edge, listening
// on udp (and TCP on the same port), with cfg.Trunk.
func newTrunkRegistration(ua *sipgo.UserAgent, cfg Config, udp net.PacketConn, clk clock.Clock, log *slog.Logger) (*trunkRegistration, error) {
	local := udp.LocalAddr().(*net.UDPAddr)
	host := local.IP.String()
	if local.IP.IsUnspecified() {
		ip, err := routeTo(cfg.Trunk)
		if err != nil {
			return nil, err
		}
		host = ip
	}
	contact := sip.Uri{Scheme: "sip", User: cfg.Trunk.Username, Host: host, Port: local.Port}
	opts := []sipgo.ClientOption{sipgo.WithClientLogger(log), sipgo.WithClientHostname(host), sipgo.WithClientPort(local.Port)}
	laddr := ""
	if cfg.Trunk.Transport == "tcp" {
		contact.UriParams = param("transport", "tcp")
	} else {
		// Sent from the listener's socket, so the registrar sees (and its
		// NAT binding points to) the address calls come to.
		laddr = udp.LocalAddr().String()
		opts = append(opts, sipgo.WithClientConnectionAddr(laddr))
	}
	client, err := sipgo.NewClient(ua, opts...)
	if err != nil {
		return nil, fmt.Errorf("trunk registration client: %w", err)
	}
	expiry := cfg.TrunkExpiry
	if expiry <= 0 {
		expiry = defaultTrunkExpiry
	}
	return &trunkRegistration{client: client, ua: ua, trunk: cfg.Trunk, expiry: expiry, contact: contact, laddr: laddr,
		clock: clk, log: log.With("trunk", cfg.Trunk.Registrar.String()), callID: sip.GenerateTagN(32), tag: sip.GenerateTagN(16),
		done: make(chan struct{}), status: TrunkStatus{Configured: true}}, nil
}

// routeTo is the local IP address the system routes to the trunk's
// registrar from, the Contact's host when the edge listens on every
// address. Dialling UDP sends nothing.
func routeTo(t Trunk) (string, error) {
	if len(t.Allow) == 0 {
		return "", errors.New("trunk registrar: no address")
	}
	c, err := net.Dial("udp", net.JoinHostPort(t.Allow[0].String(), "5060"))
	if err != nil {
		return "", fmt.Errorf("trunk registrar %s: no route: %w", t.Allow[0], err)
	}
	ip := c.LocalAddr().(*net.UDPAddr).IP.String()
	return ip, c.Close()
}

// run registers until ctx ends, then unregisters; done closes after.
func (r *trunkRegistration) run(ctx context.Context) {
	defer close(r.done)
	if !r.listening(ctx) {
		return
	}
	wake := make(chan struct{}, 1)
	for ctx.Err() == nil {
		granted, res, err := r.register(ctx, r.expiry)
		if ctx.Err() != nil {
			break // cut short by the shutdown, not the registrar's doing
		}
		timer := r.record(granted, res, err, func() {
			select {
			case wake <- struct{}{}:
			default:
			}
		})
		select {
		case <-wake:
		case <-ctx.Done():
			timer.Stop()
		}
	}
	r.unregister(ctx)
}

// listening waits (briefly, in real time: it is the listener's goroutine
// starting, not a protocol timer) until sipgo serves the UDP listener, so
// that the first REGISTER leaves from its socket.
func (r *trunkRegistration) listening(ctx context.Context) bool {
	if r.laddr == "" {
		return true
	}
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	deadline := time.Now().Add(listenerWait)
	for {
		if _, err := r.ua.TransportLayer().GetConnection("udp", r.laddr); err == nil || time.Now().After(deadline) {
			return true // past the deadline the attempt fails and is retried
		}
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
}

// register sends one REGISTER asking for expires (0 unregisters),
// answering a digest challenge, and returns the expiry granted by a 200,
// or the final response and an error.
func (r *trunkRegistration) register(ctx context.Context, expires time.Duration) (time.Duration, *sip.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, trunkTimeout)
	defer cancel()
	res, err := r.send(ctx, expires)
	if err == nil && res.StatusCode == sip.StatusIntervalToBrief && expires > 0 {
		// 423: ask once more for at least the registrar's Min-Expires.
		if h := res.GetHeader("Min-Expires"); h != nil {
			if secs, perr := strconv.ParseUint(strings.TrimSpace(h.Value()), 10, 32); perr == nil && time.Duration(secs)*time.Second > expires {
				expires = time.Duration(secs) * time.Second
				r.expiry = expires // asked for from now on
				res, err = r.send(ctx, expires)
			}
		}
	}
	switch {
	case err != nil:
		return 0, nil, err
	case res.StatusCode != sip.StatusOK:
		return 0, res, fmt.Errorf("registrar answered %d %s", res.StatusCode, res.Reason)
	case expires == 0:
		return 0, res, nil
	}
	granted := r.granted(res, expires)
	if granted <= 0 {
		return 0, res, errors.New("registrar granted no binding (expires 0)")
	}
	return granted, res, nil
}

// send sends a REGISTER and, when challenged (401, 407), the same with
// the digest answer.
func (r *trunkRegistration) send(ctx context.Context, expires time.Duration) (*sip.Response, error) {
	req := r.request(expires)
	res, err := r.client.Do(ctx, req)
	if err == nil && (res.StatusCode == sip.StatusUnauthorized || res.StatusCode == sip.StatusProxyAuthRequired) {
		res, err = r.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: r.trunk.Username, Password: r.trunk.Password})
		r.cseq = req.CSeq().SeqNo // the digest round took the next number
		if err == nil && (res.StatusCode == sip.StatusUnauthorized || res.StatusCode == sip.StatusProxyAuthRequired) {
			return res, fmt.Errorf("registrar refused the credentials of %s (%d after the digest answer)", r.trunk.Username, res.StatusCode)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("REGISTER %s: %w", req.Recipient.String(), err)
	}
	return res, nil
}

// request builds the next REGISTER of the binding: one Call-ID and From
// tag for the edge's life, the next CSeq.
func (r *trunkRegistration) request(expires time.Duration) *sip.Request {
	reg := r.trunk.Registrar
	recipient := sip.Uri{Scheme: "sip", Host: reg.Host, Port: reg.Port}
	if r.trunk.Transport == "tcp" {
		recipient.UriParams = param("transport", "tcp")
	}
	req := sip.NewRequest(sip.REGISTER, recipient)
	aor := sip.Uri{Scheme: "sip", User: r.trunk.Username, Host: reg.Host}
	from := &sip.FromHeader{Address: aor, Params: param("tag", r.tag)}
	to := &sip.ToHeader{Address: aor}
	callID := sip.CallIDHeader(r.callID)
	r.cseq++
	cseq := &sip.CSeqHeader{SeqNo: r.cseq, MethodName: sip.REGISTER}
	exp := sip.ExpiresHeader(uint32(expires / time.Second))
	req.AppendHeader(from)
	req.AppendHeader(to)
	req.AppendHeader(&callID)
	req.AppendHeader(cseq)
	req.AppendHeader(&sip.ContactHeader{Address: r.contact})
	req.AppendHeader(&exp)
	req.AppendHeader(sip.NewHeader("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, REFER, NOTIFY"))
	return req
}

// granted is the expiry a 200 gives our contact: its expires parameter,
// else the Expires header, else what was asked.
func (r *trunkRegistration) granted(res *sip.Response, asked time.Duration) time.Duration {
	for _, h := range res.GetHeaders("Contact") {
		c, ok := h.(*sip.ContactHeader)
		if !ok || c.Address.Host != r.contact.Host || c.Address.Port != r.contact.Port || c.Address.User != r.contact.User {
			continue
		}
		if v, ok := c.Params.Get("expires"); ok {
			if secs, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32); err == nil {
				return time.Duration(secs) * time.Second
			}
		}
	}
	if h := res.GetHeader("Expires"); h != nil {
		if secs, err := strconv.ParseUint(strings.TrimSpace(h.Value()), 10, 32); err == nil {
			return time.Duration(secs) * time.Second
		}
	}
	return asked
}

// refreshAfter is when to refresh a binding granted for d: at 80% of it,
// and at least 30 s before it lapses when it is longer than a minute.
func refreshAfter(d time.Duration) time.Duration {
	at := d * 4 / 5
	if d > time.Minute {
		at = min(at, d-30*time.Second)
	}
	return max(at, time.Second)
}

// record takes an attempt's result into the status and the metrics and
// schedules the next attempt (the refresh, or the retry with backoff:
// 5 s doubling to 5 min, longer when the registrar's Retry-After says
// so), all under one lock, so that a status read sees the timer set.
func (r *trunkRegistration) record(granted time.Duration, res *sip.Response, err error, next func()) clock.Timer {
	now := r.clock.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	was := r.status
	r.status.LastAttempt = now
	var wait time.Duration
	if err == nil {
		r.ok.Add(1)
		r.retry = 0
		r.status.Registered, r.status.ExpiresAt, r.status.LastError = true, now.Add(granted), ""
		wait = refreshAfter(granted)
		if !was.Registered {
			r.log.Info("sip: registered with the trunk", "contact", r.contact.String(), "expires", granted.String())
		} else {
			r.log.Debug("sip: trunk registration refreshed", "expires", granted.String())
		}
	} else {
		r.failed.Add(1)
		r.retry = min(max(2*r.retry, trunkRetryFirst), trunkRetryMax)
		wait = max(r.retry, min(retryAfter(res), trunkRetryMax))
		r.status.Registered, r.status.LastError = false, err.Error()
		if was.Registered || was.LastError != r.status.LastError {
			r.log.Warn("sip: trunk registration failed", "error", err, "retry_in", wait.String())
		} else {
			r.log.Debug("sip: trunk registration failed again", "error", err, "retry_in", wait.String())
		}
	}
	r.status.NextAttempt = now.Add(wait)
	return r.clock.AfterFunc(wait, next)
}

// param is a parameter list holding k=v.
func param(k, v string) sip.HeaderParams {
	p := sip.NewParams()
	p.Add(k, v)
	return p
}

// retryAfter is a response's Retry-After, 0 without one.
func retryAfter(res *sip.Response) time.Duration {
	if res == nil {
		return 0
	}
	if h := res.GetHeader("Retry-After"); h != nil {
		v, _, _ := strings.Cut(h.Value(), ";")
		if secs, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32); err == nil {
			return time.Duration(secs) * time.Second
		}
	}
	return 0
}

// unregister removes the edge's binding (Expires: 0) when one may still
// be in place, for at most trunkUnregister, so that the carrier stops
// sending calls to an edge that is going away.
func (r *trunkRegistration) unregister(ctx context.Context) {
	r.mu.Lock()
	bound := r.clock.Now().Before(r.status.ExpiresAt)
	r.mu.Unlock()
	if !bound {
		return
	}
	uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), trunkUnregister)
	defer cancel()
	_, _, err := r.register(uctx, 0)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.log.Warn("sip: trunk unregistration failed; the binding lapses at its expiry", "error", err, "expires_at", r.status.ExpiresAt)
		return
	}
	r.status.Registered, r.status.ExpiresAt, r.status.NextAttempt = false, time.Time{}, time.Time{}
	r.log.Info("sip: unregistered from the trunk")
}

// state returns the status; Registered turns false once the binding has
// lapsed even if no attempt said so yet.
func (r *trunkRegistration) state() TrunkStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.status
	st.Registered = st.Registered && r.clock.Now().Before(st.ExpiresAt)
	return st
}

// TrunkStatus is the state of the registration with the trunk; zero
// (Configured false) unless the trunk is registration-based.
func (s *Server) TrunkStatus() TrunkStatus {
	if s.trunk == nil {
		return TrunkStatus{}
	}
	return s.trunk.state()
}

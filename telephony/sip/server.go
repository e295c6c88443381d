// Package sip is the hotline's SIP edge on sipgo and diago: UDP and TCP
// listeners on one address, OPTIONS, and the registrar of agents' phones
// (REGISTER with digest authentication). INVITEs reach diago, whose
// handler the call flow (Config.Calls) sets; without one calls are
// refused with 480.
package sip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/diago"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/telephony"
)

// Config is what the SIP edge needs.
type Config struct {
	Addr  string // host:port for UDP and TCP; port 0 picks a free one
	Realm string // the digest realm of agents' SIP passwords
	// InviteLimit is the new calls (INVITEs) one source may send per 10 s
	// before it gets 503; 0: 20. A carrier trunk or a load test, all
	// calls from one address, needs more.
	InviteLimit int
	// Calls is the inbound call flow; nil refuses INVITEs with 480.
	Calls *Calls
	// Trunk is the carrier's trunk: its calls reach the IVR, and its
	// P-Asserted-Identity gives the caller's number.
	Trunk Trunk
	// Open takes calls from any source (HOTLINE_SIP_OPEN), as a lab or
	// the demo wants; otherwise a new call from an address that is not
	// the trunk's gets 403.
	Open bool
	// TrunkExpiry is the binding a registration-based trunk is asked
	// for; 0: an hour. The registrar's grant is refreshed before it
	// lapses.
	TrunkExpiry time.Duration
}

// Server is the running SIP edge.
type Server struct {
	log  *slog.Logger
	ua   *sipgo.UserAgent
	srv  *sipgo.Server
	reg  *registrarHandler
	udp  net.PacketConn
	tcp  net.Listener
	addr netip.AddrPort
	wg   sync.WaitGroup
	errc chan error

	waitOnce sync.Once
	waitErr  error

	// invites limits each source's new calls; calls is the call flow
	// (nil: none). The metrics read both.
	invites   *guard
	calls     *Calls
	untrusted atomic.Uint64 // new calls refused: not from the trunk
	// trunk registers the edge with a registration-based trunk (nil:
	// none).
	trunk *trunkRegistration
}

// Start binds UDP and TCP on cfg.Addr (the same port for both) and serves
// until ctx is done; Wait then returns once the listeners are closed.
func Start(ctx context.Context, cfg Config, registrar *telephony.Registrar, store telephony.Store, clk clock.Clock, log *slog.Logger) (*Server, error) {
	if err := telephony.CheckRealm(cfg.Realm); err != nil {
		return nil, err
	}
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("hotline"))
	if err != nil {
		return nil, fmt.Errorf("sip user agent: %w", err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(log))
	if err != nil {
		return nil, errors.Join(fmt.Errorf("sip server: %w", err), ua.Close())
	}
	udp, tcp, err := listen(cfg.Addr)
	if err != nil {
		return nil, errors.Join(err, ua.Close())
	}
	s := &Server{log: log, ua: ua, srv: srv, udp: udp, tcp: tcp,
		addr: udp.LocalAddr().(*net.UDPAddr).AddrPort(), errc: make(chan error, 1)}
	s.routes(cfg, registrar, store, clk)
	if cfg.Trunk.Registrar != nil {
		if s.trunk, err = newTrunkRegistration(ua, cfg, udp, clk, log); err != nil {
			return nil, errors.Join(err, ua.Close(), udp.Close(), tcp.Close())
		}
	}
	s.wg.Add(3)
	go s.serve(func() error { return srv.ServeUDP(udp) })
	go s.serve(func() error { return srv.ServeTCP(tcp) })
	if s.trunk != nil {
		go s.trunk.run(ctx)
	}
	go func() {
		defer s.wg.Done()
		<-ctx.Done()
		if cfg.Calls != nil {
			cfg.Calls.shutdown() // hang up before the transports close
		}
		if s.trunk != nil {
			<-s.trunk.done // unregistered (or given up) before the transports close
		}
		s.errc <- errors.Join(ua.Close(), ignoreClosed(udp.Close()), ignoreClosed(tcp.Close()))
	}()
	log.Info("sip: listening", "addr", s.addr.String(), "transports", "udp,tcp", "trunk", cfg.Trunk.String())
	return s, nil
}

// routes sets the handlers: diago's dialogs (INVITE, BYE, INFO …) and
// OPTIONS, then REGISTER; other methods get 405.
func (s *Server) routes(cfg Config, registrar *telephony.Registrar, store telephony.Store, clk clock.Clock) {
	host := s.addr.Addr().String()
	limit := cfg.InviteLimit
	if limit <= 0 {
		limit = floodMax
	}
	s.invites, s.calls = newGuard("INVITE", limit, clk, s.log), cfg.Calls
	dg := diago.NewDiago(s.ua, diago.WithServer(s.srv), diago.WithLogger(s.log),
		diago.WithServerRequestMiddleware(func(next sipgo.RequestHandler) sipgo.RequestHandler {
			return s.sane(limitInvites(s.invites, s.screen(cfg, next)))
		}),
		diago.WithTransport(diago.Transport{Transport: "udp", BindHost: host, BindPort: int(s.addr.Port())}),
		diago.WithTransport(diago.Transport{Transport: "tcp", BindHost: host, BindPort: int(s.addr.Port())}))
	if cfg.Calls != nil {
		cfg.Calls.attach(dg, host, cfg.Trunk, s.srv, s.sane)
	} else {
		// No call flow: returning unanswered makes diago refuse with 480.
		dg.HandleFunc(func(*diago.DialogServerSession) {})
	}
	s.reg = newRegistrarHandler(cfg.Realm, registrar, store, clk, s.log)
	s.srv.OnRegister(s.sane(s.reg.handle))
	s.srv.OnNoRoute(s.sane(func(req *sip.Request, tx sip.ServerTransaction) {
		if err := tx.Respond(sip.NewResponseFromRequest(req, sip.StatusMethodNotAllowed, "Method Not Allowed", nil)); err != nil {
			s.log.Warn("sip: respond 405", "source", req.Source(), "error", err)
		}
	}))
}

// limitInvites answers 503 with Retry-After to the new calls (INVITEs
// without a To tag) of a source sending more than Config.InviteLimit within
// floodWindow, before any media is set up: a scanner's or a runaway
// peer's flood costs no call, and other sources' calls go through.
func limitInvites(g *guard, next sipgo.RequestHandler) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		if req.IsInvite() && req.To() != nil && req.To().Params.Has("tag") {
			next(req, tx) // a re-INVITE within a call
			return
		}
		if req.IsInvite() {
			if retry, _ := g.admit(sourceIP(req.Source())); retry > 0 {
				res := sip.NewResponseFromRequest(req, sip.StatusServiceUnavailable, "Service Unavailable", nil)
				res.AppendHeader(sip.NewHeader("Retry-After", strconv.Itoa(int(retry.Seconds())+1)))
				if err := tx.Respond(res); err != nil {
					g.log.Debug("sip: respond 503 to a flooding INVITE", "source", req.Source(), "error", err)
				}
				return
			}
		}
		next(req, tx)
	}
}

// screen refuses, with 403, a new call (an INVITE without a To tag) from
// an address that is not the trunk's, unless cfg.Open: the number is
// the carrier's to deliver, and a scanner trying toll fraud or a
// stranger's phone gets nothing, not even the IVR. Requests within a call
// and other methods pass.
func (s *Server) screen(cfg Config, next sipgo.RequestHandler) sipgo.RequestHandler {
	if cfg.Open {
		return next
	}
	return func(req *sip.Request, tx sip.ServerTransaction) {
		if !req.IsInvite() || req.To().Params.Has("tag") || cfg.Trunk.Trusts(req.Source()) {
			next(req, tx)
			return
		}
		if s.untrusted.Add(1) == 1 {
			s.log.Warn("sip: call from outside the trunk refused (logged once, then counted in hotline_sip_refused_total)", "source", req.Source())
		} else {
			s.log.Debug("sip: call from outside the trunk refused", "source", req.Source())
		}
		if err := tx.Respond(sip.NewResponseFromRequest(req, sip.StatusForbidden, "Forbidden", nil)); err != nil {
			s.log.Debug("sip: respond 403 to an untrusted INVITE", "source", req.Source(), "error", err)
		}
	}
}

// sane wraps a handler: requests without the headers every request must
// have (Via, From, To, Call-ID, CSeq) are dropped, since diago and sipgo
// dereference them (a missing To crashed diago's error log, found by
// FuzzListener), and a panic in a handler is logged instead of ending
// the process.
func (s *Server) sane(next sipgo.RequestHandler) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		if req.Via() == nil || req.From() == nil || req.To() == nil || req.CallID() == nil || req.CSeq() == nil {
			s.log.Debug("sip: request without mandatory headers dropped", "source", req.Source())
			return
		}
		defer func() {
			if v := recover(); v != nil {
				s.log.Error("sip: handler panicked", "method", string(req.Method), "source", req.Source(), "panic", v)
			}
		}()
		next(req, tx)
	}
}

// serve runs one listener loop; its error after the stop is expected.
func (s *Server) serve(loop func() error) {
	defer s.wg.Done()
	if err := loop(); err != nil && !errors.Is(err, net.ErrClosed) {
		s.log.Error("sip: listener stopped", "error", err)
	}
}

// ignoreClosed drops the error of closing what is already closed.
func ignoreClosed(err error) error {
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// Addr is the bound address of both transports.
func (s *Server) Addr() netip.AddrPort { return s.addr }

// Wait blocks until the server has stopped and returns the errors of
// closing it.
func (s *Server) Wait() error {
	s.waitOnce.Do(func() {
		s.wg.Wait()
		s.waitErr = <-s.errc
	})
	return s.waitErr
}

// listen binds UDP on addr and TCP on the port UDP got, retrying a few
// times when port 0 gave a UDP port whose TCP twin is taken.
func listen(addr string) (net.PacketConn, net.Listener, error) {
	for range 5 {
		udp, err := net.ListenPacket("udp", addr)
		if err != nil {
			return nil, nil, fmt.Errorf("sip listen udp %s: %w", addr, err)
		}
		tcp, err := net.Listen("tcp", udp.LocalAddr().String())
		if err == nil {
			return udp, tcp, nil
		}
		closeErr := udp.Close()
		if _, port, _ := net.SplitHostPort(addr); port != "0" || closeErr != nil {
			return nil, nil, errors.Join(fmt.Errorf("sip listen tcp %s: %w", addr, err), closeErr)
		}
	}
	return nil, nil, fmt.Errorf("sip listen %s: no port free for both udp and tcp", addr)
}

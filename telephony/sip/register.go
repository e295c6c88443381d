package sip

import (
	"context"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/telephony"
)

// Binding lifetimes: what a phone asks for is clamped to this range.
const (
	minExpires     = 60 * time.Second
	maxExpires     = time.Hour
	defaultExpires = time.Hour
	storeTimeout   = 5 * time.Second
)

// registrarHandler answers REGISTER: it authenticates the agent by digest
// (MD5, qop=auth) against the stored HA1 and updates the registrar.
type registrarHandler struct {
	realm     string
	registrar *telephony.Registrar
	store     telephony.Store
	clock     clock.Clock
	log       *slog.Logger
	nonces    *nonces
	guard     *guard
}

func newRegistrarHandler(realm string, registrar *telephony.Registrar, store telephony.Store, clk clock.Clock, log *slog.Logger) *registrarHandler {
	return &registrarHandler{realm: realm, registrar: registrar, store: store, clock: clk, log: log,
		nonces: newNonces(clk), guard: newGuard("REGISTER", floodMax, clk, log)}
}

// handle answers one REGISTER.
func (h *registrarHandler) handle(req *sip.Request, tx sip.ServerTransaction) {
	res := h.answer(req)
	if err := tx.Respond(res); err != nil {
		h.log.Warn("sip: respond to REGISTER", "source", req.Source(), "error", err)
	}
}

// answer decides the response to a REGISTER.
func (h *registrarHandler) answer(req *sip.Request) *sip.Response {
	ip := sourceIP(req.Source())
	retry, blocked := h.guard.admit(ip)
	switch {
	case blocked:
		return sip.NewResponseFromRequest(req, sip.StatusForbidden, "Forbidden", nil)
	case retry > 0:
		res := sip.NewResponseFromRequest(req, sip.StatusServiceUnavailable, "Service Unavailable", nil)
		res.AppendHeader(sip.NewHeader("Retry-After", strconv.Itoa(int(retry.Seconds())+1)))
		return res
	}
	to := req.To()
	if to == nil || to.Address.User == "" {
		return sip.NewResponseFromRequest(req, sip.StatusBadRequest, "Bad Request", nil)
	}
	agent := to.Address.User
	auth := req.GetHeader("Authorization")
	if auth == nil {
		return h.challenge(req, false)
	}
	cred, err := digest.ParseCredentials(auth.Value())
	if err != nil {
		return sip.NewResponseFromRequest(req, sip.StatusBadRequest, "Bad Authorization", nil)
	}
	if cred.Realm != h.realm {
		return h.challenge(req, false)
	}
	if cred.Username != agent || cred.QOP != "auth" || !strings.EqualFold(cred.Algorithm, "MD5") && cred.Algorithm != "" {
		return h.refuse(req, ip, agent, "credentials do not match the address or the scheme")
	}
	switch h.nonces.use(cred.Nonce, cred.Nc) {
	case nonceStale:
		return h.challenge(req, true)
	case nonceReplay:
		return h.refuse(req, ip, agent, "replayed nonce")
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	stored, err := h.store.SIPCredential(ctx, agent)
	switch {
	case errs.CodeOf(err) == errs.NotFound || err == nil && stored.Realm != h.realm:
		stored.HA1 = "" // no password here: fails like a wrong one, so names cannot be probed
	case err != nil:
		h.log.Error("sip: read SIP credential", "agent", agent, "error", err)
		return sip.NewResponseFromRequest(req, sip.StatusInternalServerError, "Server Error", nil)
	}
	want := digestResponse(stored.HA1, string(req.Method), cred.URI, cred.Nonce, cred.Nc, cred.Cnonce)
	if stored.HA1 == "" || !equal(want, strings.ToLower(cred.Response)) {
		if h.guard.fail(ip) <= challengeAgain {
			return h.challenge(req, false)
		}
		return sip.NewResponseFromRequest(req, sip.StatusForbidden, "Forbidden", nil)
	}
	h.guard.succeed(ip)
	return h.bind(ctx, req, agent)
}

// refuse answers 403 to a request that cannot be a typo, counting it as a
// failure of the source.
func (h *registrarHandler) refuse(req *sip.Request, ip, agent, why string) *sip.Response {
	h.guard.fail(ip)
	h.log.Info("sip: REGISTER refused", "source", ip, "agent", agent, "reason", why)
	return sip.NewResponseFromRequest(req, sip.StatusForbidden, "Forbidden", nil)
}

// challenge answers 401 with a fresh nonce (503 when too many are out).
func (h *registrarHandler) challenge(req *sip.Request, stale bool) *sip.Response {
	n := h.nonces.issue()
	if n == "" {
		res := sip.NewResponseFromRequest(req, sip.StatusServiceUnavailable, "Service Unavailable", nil)
		res.AppendHeader(sip.NewHeader("Retry-After", "5"))
		return res
	}
	chal := `Digest realm="` + h.realm + `", nonce="` + n + `", algorithm=MD5, qop="auth"`
	if stale {
		chal += ", stale=true"
	}
	res := sip.NewResponseFromRequest(req, sip.StatusUnauthorized, "Unauthorized", nil)
	res.AppendHeader(sip.NewHeader("WWW-Authenticate", chal))
	return res
}

// bind applies the Contact headers of an authenticated REGISTER and
// answers 200 with the agent's bindings.
func (h *registrarHandler) bind(ctx context.Context, req *sip.Request, agent string) *sip.Response {
	now := h.clock.Now()
	headerExpires := defaultExpires
	if e := req.GetHeader("Expires"); e != nil {
		secs, err := strconv.ParseUint(strings.TrimSpace(e.Value()), 10, 32)
		if err != nil {
			return sip.NewResponseFromRequest(req, sip.StatusBadRequest, "Bad Expires", nil)
		}
		headerExpires = time.Duration(secs) * time.Second
	}
	var err error
	for _, hdr := range req.GetHeaders("Contact") {
		c, ok := hdr.(*sip.ContactHeader)
		if !ok {
			return sip.NewResponseFromRequest(req, sip.StatusBadRequest, "Bad Contact", nil)
		}
		if c.Address.Wildcard {
			if headerExpires != 0 {
				return sip.NewResponseFromRequest(req, sip.StatusBadRequest, "Contact * needs Expires: 0", nil)
			}
			err = h.registrar.UnregisterAll(ctx, agent)
			break
		}
		expires := headerExpires
		if v, ok := c.Params.Get("expires"); ok {
			secs, perr := strconv.ParseUint(v, 10, 32)
			if perr != nil {
				return sip.NewResponseFromRequest(req, sip.StatusBadRequest, "Bad Contact expires", nil)
			}
			expires = time.Duration(secs) * time.Second
		}
		contact := c.Address.String()
		if len(contact) > 1024 {
			return sip.NewResponseFromRequest(req, sip.StatusBadRequest, "Contact too long", nil)
		}
		if expires == 0 {
			err = h.registrar.Unregister(ctx, agent, contact)
		} else {
			err = h.registrar.Register(ctx, telephony.Registration{Agent: agent, Contact: contact,
				Source: req.Source(), Transport: strings.ToLower(req.Transport()),
				Expires: now.Add(min(max(expires, minExpires), maxExpires)), Updated: now})
		}
		if err != nil {
			break
		}
	}
	if err != nil {
		h.log.Error("sip: registration not stored", "agent", agent, "error", err)
		return sip.NewResponseFromRequest(req, sip.StatusInternalServerError, "Server Error", nil)
	}
	res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil)
	for _, reg := range h.registrar.Contacts(agent) {
		res.AppendHeader(sip.NewHeader("Contact", "<"+reg.Contact+">;expires="+
			strconv.Itoa(int(reg.Expires.Sub(now).Seconds()))))
	}
	return res
}

// sourceIP is the host of a host:port source.
func sourceIP(src string) string {
	if host, _, err := net.SplitHostPort(src); err == nil {
		return host
	}
	return src
}

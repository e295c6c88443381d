// Package agentui is the staff side of the hotline over HTTP: the JSON API
// under /api/v1 for agents, supervisors, admins and departments, health and
// metrics endpoints, and the embedded console.
package agentui

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/canned"
	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/eventbus"
	"github.com/open12345/hotline/files"
	"github.com/open12345/hotline/knowledge"
	"github.com/open12345/hotline/phonecode"
	"github.com/open12345/hotline/quota"
	"github.com/open12345/hotline/routing"
	"github.com/open12345/hotline/screenpop"
	"github.com/open12345/hotline/ticketing"
	"github.com/open12345/hotline/webchat"
)

// SessionCookie names the cookie holding a staff session token.
const SessionCookie = "hotline_session"

// Check is a readiness probe of one dependency.
type Check struct {
	Name string
	Ping func(ctx context.Context) error
}

// Deps are what the Server serves: the domain services, the readiness
// checks, and where metrics are registered.
type Deps struct {
	Tickets  *ticketing.Service
	Auth     *auth.Service
	Checks   []Check // what /readyz pings
	Registry *prometheus.Registry
	Log      *slog.Logger
	Files    *files.Store // contents of ticket attachments
	Dispatch Dispatch     // deliveries and queue statistics
	Guides   *knowledge.Service
	Search   SearchAdmin // verifies search indexes; nil when none runs here
	// CitizenLimit bounds the public endpoints per client address
	// (zero: DefaultCitizenLimit).
	CitizenLimit CitizenLimit
	// MetricsToken, when set, is the bearer token /metrics requires.
	MetricsToken string
	// TrustedProxies are the reverse proxies whose X-Forwarded-For and
	// X-Forwarded-Proto are believed; nobody else's are.
	TrustedProxies []netip.Prefix
	// Codes send and check the SMS codes of the public web form; Quotas
	// count what citizens do across instances.
	Codes        *phonecode.Service
	Quotas       quota.Store
	PublicLimits PublicLimits // zero: DefaultPublicLimits

	Routing      *routing.Engine
	RoutingStore routing.Store
	// Controls act on contacts through the channel that carries them
	// (voice, chat); a channel without one is ended in routing directly.
	Controls map[routing.Channel]ContactControl
	// Calls are the callers' past calls for the screen pop; nil: none are
	// recorded (screenpop.NoCalls).
	Calls screenpop.CallHistory
	// SIPPasswords sets agents' phone passwords; nil: no telephony, and
	// PUT /users/{username}/sip-password answers unavailable.
	SIPPasswords SIPPasswords
	// CallRecords are the call records and the missed-call list; nil: no
	// telephony, and their endpoints answer unavailable. Recordings is the
	// directory of the calls' recordings (HOTLINE_DATA_DIR/recordings).
	CallRecords CallRecords
	Recordings  string
	Bus         *eventbus.Local // ticket notices for the consoles; nil: none
	Clock       clock.Clock
	Hub         HubConfig

	// IVRMenus and Prompts are the IVR's menu and prompts, which admins
	// change; nil: no telephony, and /ivr answers unavailable.
	IVRMenus IVRMenus
	Prompts  IVRPrompts

	// Chats is the citizens' web chat; nil: /ws/chat answers unavailable.
	// ChatOrigins are the pages besides the server's own that may open it.
	Chats       *webchat.Service
	ChatOrigins []string
	// ChatImages are the chats' images; nil: chats take text only.
	ChatImages *webchat.Images
	// Canned are the canned replies (常用语); nil: /canned-replies
	// answers unavailable.
	Canned *canned.Service
}

// Server serves the staff API.
type Server struct {
	chats    *webchat.Socket  // the citizens' chat socket; nil: none
	chatsSvc *webchat.Service // the chats; nil: none
	// chatImages serves the chats' images; nil: none.
	chatImages *chatImages
	canned     *canned.Service // nil: none
	// chatOrigins are the portals besides the server itself that may
	// embed the chat (HOTLINE_CHAT_ORIGINS).
	chatOrigins []string
	tickets     *ticketing.Service
	auth        *auth.Service
	checks      []Check
	log         *slog.Logger
	metrics     *metrics
	mux         *http.ServeMux
	files       *files.Store
	dispat      Dispatch
	guides      *knowledge.Service
	search      SearchAdmin
	// citizens rate-limits the public endpoints.
	citizens *clientLimiter
	// logins bounds the login requests of one client address on this
	// node, before the database is asked anything.
	logins *clientLimiter

	routing       *routing.Engine
	routingConfig *routing.ConfigService
	controls      contactControls
	hub           *Hub
	history       *screenpop.Finder
	edge          edge

	clock        clock.Clock
	sipPasswords SIPPasswords
	calls        CallRecords
	recordings   string
	ivrMenus     IVRMenus
	prompts      IVRPrompts
	codes        *phonecode.Service
	quotas       quota.Store
	publicLimits PublicLimits
}

// NewServer returns a Server for deps, with its websocket hub running;
// metrics are registered on deps.Registry. Close stops the hub.
func NewServer(deps Deps) (*Server, error) {
	if deps.Files == nil || deps.Guides == nil || deps.Routing == nil || deps.RoutingStore == nil || deps.Clock == nil ||
		deps.Codes == nil || deps.Quotas == nil {
		return nil, errors.New("agentui: Deps.Files, Guides, Routing, RoutingStore, Clock, Codes and Quotas are required")
	}
	if deps.PublicLimits == (PublicLimits{}) {
		deps.PublicLimits = DefaultPublicLimits
	}
	if deps.Calls == nil {
		deps.Calls = screenpop.NoCalls{}
	}
	m, err := newMetrics(deps.Registry, deps.Tickets)
	if err != nil {
		return nil, err
	}
	s := &Server{tickets: deps.Tickets, auth: deps.Auth, checks: deps.Checks, log: deps.Log,
		metrics: m, mux: http.NewServeMux(), files: deps.Files, dispat: deps.Dispatch,
		guides: deps.Guides, search: deps.Search, citizens: newClientLimiter(deps.CitizenLimit),
		logins:  newClientLimiter(loginRate),
		routing: deps.Routing, routingConfig: routing.NewConfigService(deps.RoutingStore, deps.Routing),
		controls: newContactControls(deps.Routing, withChatControl(deps)),
		history:  citizenHistory(deps),
		edge:     edge{trusted: deps.TrustedProxies, origins: deps.Hub.AllowedOrigins},
		clock:    deps.Clock, sipPasswords: deps.SIPPasswords, calls: deps.CallRecords,
		recordings: deps.Recordings, ivrMenus: deps.IVRMenus, prompts: deps.Prompts,
		codes: deps.Codes, quotas: deps.Quotas, publicLimits: deps.PublicLimits, chatOrigins: deps.ChatOrigins}
	if s.hub, err = newHub(deps.Hub, deps, s.history, s.routingConfig, s.controls); err != nil {
		return nil, err
	}
	if deps.Chats != nil {
		s.chats, s.chatsSvc = s.chatSocket(deps.Chats, deps.ChatOrigins), deps.Chats
		if deps.ChatImages != nil {
			s.chatImages = newChatImages(s, deps.ChatImages)
		}
	}
	s.canned = deps.Canned
	s.routes(metricsHandler(deps.Registry, deps.MetricsToken, deps.Log))
	return s, nil
}

// Close ends every console and chat websocket and stops the hub.
func (s *Server) Close() {
	s.hub.Close()
	if s.chats != nil {
		s.chats.Close()
	}
}

// ServeHTTP implements http.Handler: every request passes the edge's
// checks (its URL's characters, who the client is, cross-site writes)
// before a handler sees it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r = s.edge.withClient(r)
	if clientOf(r).https {
		w.Header().Set("Strict-Transport-Security", "max-age=31536000")
	}
	if r.URL.Path == "/ws/agent" && checkURL(r.URL) == nil {
		// A websocket lives for hours: it is measured by the hub's own
		// metrics, not by the request histogram.
		s.hub.ServeHTTP(w, r)
		return
	}
	if r.URL.Path == "/ws/chat" && checkURL(r.URL) == nil && s.chats != nil {
		s.chats.ServeHTTP(w, r)
		return
	}
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		if p := recover(); p != nil {
			s.log.ErrorContext(r.Context(), "panic serving request", "path", r.URL.Path, "client", clientAddr(r),
				"panic", p, "stack", string(debug.Stack()))
			if !rec.wrote {
				writeError(rec, r, s.log, errs.E(errs.Internal, "internal error"))
			}
		}
		s.metrics.observe(r, rec.status, time.Since(start))
	}()
	h := rec.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	if strings.HasPrefix(r.URL.Path, "/api/") {
		h.Set("Cache-Control", "no-store")
	}
	if err := checkURL(r.URL); err != nil {
		writeError(rec, r, s.log, err)
		return
	}
	if err := s.edge.checkCSRF(r); err != nil {
		writeError(rec, r, s.log, err)
		return
	}
	s.mux.ServeHTTP(rec, r)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (deadlines).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(b)
}

// handlerFunc is an API handler for an authenticated actor; a returned
// error is written as the error envelope.
type handlerFunc func(w http.ResponseWriter, r *http.Request, a auth.Actor) error

// authed wraps h so that it runs only for a logged-in user holding one of roles.
func (s *Server) authed(h handlerFunc, roles ...auth.Role) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		actor, _, err := s.auth.Authenticate(r.Context(), requestToken(r))
		if err == nil && !actor.Is(roles...) {
			err = errs.E(errs.Forbidden, "the %s role may not do this", actor.Role)
		}
		if err == nil {
			err = h(w, r, actor)
		}
		if err != nil {
			writeError(w, r, s.log, err)
		}
	})
}

// public wraps a handler that needs no login.
func (s *Server) public(h func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			writeError(w, r, s.log, err)
		}
	})
}

// noRoute answers requests no API route matched: 405 with Allow when the
// path exists for other methods, else 404.
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request) error {
	var allow []string
	for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = method
		if _, pattern := s.mux.Handler(probe); pattern != "" && pattern != "/api/" {
			allow = append(allow, method)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeJSON(w, http.StatusMethodNotAllowed, errorBody{errorDetail{Code: errs.Invalid,
			Message: r.Method + " is not allowed here; use " + strings.Join(allow, " or ")}})
		return nil
	}
	return errs.E(errs.NotFound, "no such API endpoint")
}

// requestToken returns the bearer token, else the session cookie.
func requestToken(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if tok, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(tok)
		}
		return ""
	}
	if c, err := r.Cookie(SessionCookie); err == nil {
		return c.Value
	}
	return ""
}

var (
	everyone   = auth.Roles
	staffRoles = []auth.Role{auth.RoleAdmin, auth.RoleSupervisor, auth.RoleAgent}
	admins     = []auth.Role{auth.RoleAdmin}
	overseers  = []auth.Role{auth.RoleAdmin, auth.RoleSupervisor}
)

// routes registers every endpoint. A GET that takes no query parameters is
// wrapped in withQuery with none, so that a parameter it would ignore is a
// 400 naming it; the others check theirs with queryOf.
func (s *Server) routes(metrics http.Handler) {
	m := s.mux
	m.HandleFunc("GET /healthz", s.healthz)
	m.HandleFunc("GET /readyz", s.readyz)
	m.Handle("GET /metrics", metrics)

	m.Handle("POST /api/v1/login", s.public(s.login))
	m.Handle("POST /api/v1/logout", s.public(s.logout))
	m.Handle("GET /api/v1/me", s.authed(withQuery(s.me), everyone...))
	m.Handle("GET /api/v1/users", s.authed(withQuery(s.listUsers), overseers...))
	m.Handle("POST /api/v1/users", s.authed(s.createUser, admins...))
	m.Handle("PUT /api/v1/users/{username}/sip-password", s.authed(s.setSIPPassword, staffRoles...))

	m.Handle("POST /api/v1/tickets", s.authed(s.createTicket, staffRoles...))
	m.Handle("GET /api/v1/tickets", s.authed(s.listTickets, everyone...))
	m.Handle("GET /api/v1/tickets/{id}", s.authed(withQuery(s.getTicket), everyone...))
	m.Handle("GET /api/v1/tickets/{id}/events", s.authed(s.ticketEvents, everyone...))
	m.Handle("POST /api/v1/tickets/{id}/actions/{action}", s.authed(s.ticketAction, everyone...))
	m.Handle("POST /api/v1/tickets/{id}/attachments", s.authed(s.uploadAttachment, everyone...))
	m.Handle("GET /api/v1/tickets/{id}/attachments", s.authed(withQuery(s.listAttachments), everyone...))
	m.Handle("GET /api/v1/tickets/{id}/attachments/{aid}", s.authed(withQuery(s.downloadAttachment), everyone...))

	m.Handle("GET /api/v1/departments", s.authed(withQuery(s.listDepartments), everyone...))
	m.Handle("POST /api/v1/departments", s.authed(s.createDepartment, admins...))
	m.Handle("PUT /api/v1/departments/{code}", s.authed(s.updateDepartment, admins...))
	m.Handle("GET /api/v1/calendar/{year}", s.authed(withQuery(s.getCalendar), everyone...))
	m.Handle("PUT /api/v1/calendar/{year}", s.authed(s.putCalendar, admins...))
	m.Handle("GET /api/v1/deadline", s.authed(s.deadline, everyone...))
	m.Handle("GET /api/v1/deadline/policies", s.authed(withQuery(s.getPolicies), everyone...))
	m.Handle("PUT /api/v1/deadline/policies", s.authed(s.putPolicies, admins...))
	m.Handle("GET /api/v1/catalogue", s.authed(withQuery(s.getCatalogue), everyone...))
	m.Handle("PUT /api/v1/catalogue", s.authed(s.putCatalogue, admins...))
	m.Handle("GET /api/v1/catalogue/suggest", s.authed(s.suggest, staffRoles...))

	m.Handle("GET /api/v1/deliveries", s.authed(s.listDeliveries, deliveryViewers...))
	m.Handle("POST /api/v1/deliveries/{id}/retry", s.authed(s.retryDelivery, overseers...))
	m.Handle("GET /api/v1/admin/queues", s.authed(withQuery(s.queueStats), overseers...))

	s.guideRoutes()
	s.routingRoutes()
	s.ivrRoutes()
	s.publicTicketRoutes()
	s.citizenRoutes()
	s.callRoutes()
	s.chatRoutes()
	s.cannedRoutes()
	m.Handle("GET /api/v1/routing/chat-targets", s.authed(withQuery(s.getChatTargets), staffRoles...))
	s.chatImageRoutes()

	m.Handle("/api/", s.public(s.noRoute))
	m.Handle("/", consoleHandler())
}

// citizenHistory is the screen pop's finder: tickets, calls, and the web
// chats when the server has them.
func citizenHistory(deps Deps) *screenpop.Finder {
	f := screenpop.NewFinder(deps.Tickets, deps.Calls, deps.Tickets.Location())
	if deps.Chats != nil {
		f = f.WithChats(deps.Chats.PastChats())
	}
	return f
}

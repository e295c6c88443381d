// Package agentui is the staff side of the hotline over HTTP: the JSON API
// under /api/v1 for agents, supervisors, admins and departments, health and
// metrics endpoints and the embedded console. Its Server is the one HTTP
// handler: the citizens' side (citizenweb) is served on its mux, and every
// request passes the edge (internal/httpx) first.
package agentui

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/canned"
	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/eventbus"
	"github.com/open12345/hotline/files"
	"github.com/open12345/hotline/internal/httpx"
	"github.com/open12345/hotline/knowledge"
	"github.com/open12345/hotline/reports"
	"github.com/open12345/hotline/routing"
	"github.com/open12345/hotline/screenpop"
	"github.com/open12345/hotline/ticketing"
	"github.com/open12345/hotline/webchat"
)

// SessionCookie names the cookie holding a staff session token.
const SessionCookie = "hotline_session"

// Check is a readiness probe of one dependency: Ping's error makes
// /readyz answer 503. A check with Report instead of Ping only shows a
// part's state in /readyz (the SIP trunk: without it the consoles and
// chats still work), never making the server not ready.
type Check struct {
	Name   string
	Ping   func(ctx context.Context) error
	Report func() string
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
	// MetricsToken, when set, is the bearer token /metrics requires.
	MetricsToken string
	// TrustedProxies are the reverse proxies whose X-Forwarded-For and
	// X-Forwarded-Proto are believed; nobody else's are.
	TrustedProxies []netip.Prefix
	// Citizen is the citizens' side (citizenweb), served under this
	// server's edge; nil: none.
	Citizen Citizen

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
	// Outbound places agents' calls to citizens; nil: POST
	// /calls/outbound answers unavailable.
	Outbound OutboundCaller
	Bus      *eventbus.Local // ticket notices for the consoles; nil: none
	Clock    clock.Clock
	Hub      HubConfig

	// IVRMenus and Prompts are the IVR's menu and prompts, which admins
	// change; nil: no telephony, and /ivr answers unavailable.
	IVRMenus IVRMenus
	Prompts  IVRPrompts

	// Chats is the citizens' web chat as agents and overseers see it;
	// nil: none.
	Chats *webchat.Service
	// Reports are the indicators' reports; nil: /reports answers unavailable.
	Reports *reports.Service
	// ChatImages are the chats' images; nil: chats take text only.
	ChatImages *webchat.Images
	// Canned are the canned replies (常用语); nil: /canned-replies
	// answers unavailable.
	Canned *canned.Service
}

// Citizen is the citizens' side as the staff server serves it: its routes
// go on the server's mux, so that one table of routes answers unknown
// paths and methods and names the routes in the metrics, and its chat
// socket passes the edge without the request histogram.
type Citizen interface {
	// Routes registers the citizens' pages and public API on m.
	Routes(m *http.ServeMux)
	// ChatSocket is /ws/chat; nil when no chat runs here.
	ChatSocket() http.Handler
}

// Server serves the staff API.
type Server struct {
	chatsSvc *webchat.Service // the chats; nil: none
	// chatImages are the chats' images and imageFiles their contents;
	// nil: none.
	chatImages *webchat.Images
	imageFiles *webchat.ImageFiles
	canned     *canned.Service // nil: none
	tickets    *ticketing.Service
	reports    *reports.Service
	auth       *auth.Service
	checks     []Check
	log        *slog.Logger
	metrics    *metrics
	mux        *http.ServeMux
	files      *files.Store
	dispat     Dispatch
	guides     *knowledge.Service
	search     SearchAdmin
	// logins bounds the login requests of one client address on this
	// node, before the database is asked anything.
	logins *httpx.Limiter
	// handler is the mux behind the edge.
	handler http.Handler

	routing       *routing.Engine
	routingConfig *routing.ConfigService
	controls      contactControls
	hub           *Hub
	history       *screenpop.Finder

	clock        clock.Clock
	sipPasswords SIPPasswords
	calls        CallRecords
	outbound     OutboundCaller
	recordings   string
	ivrMenus     IVRMenus
	prompts      IVRPrompts
}

// NewServer returns a Server for deps, with its websocket hub running;
// metrics are registered on deps.Registry. Close stops the hub.
func NewServer(deps Deps) (*Server, error) {
	if deps.Files == nil || deps.Guides == nil || deps.Routing == nil || deps.RoutingStore == nil || deps.Clock == nil {
		return nil, errors.New("agentui: Deps.Files, Guides, Routing, RoutingStore and Clock are required")
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
		guides: deps.Guides, search: deps.Search,
		logins:  httpx.NewLimiter(loginRate),
		routing: deps.Routing, routingConfig: routing.NewConfigService(deps.RoutingStore, deps.Routing),
		controls: newContactControls(deps.Routing, withChatControl(deps)),
		history:  citizenHistory(deps),
		clock:    deps.Clock, sipPasswords: deps.SIPPasswords, calls: deps.CallRecords, outbound: deps.Outbound,
		recordings: deps.Recordings, ivrMenus: deps.IVRMenus, prompts: deps.Prompts, reports: deps.Reports}
	if s.hub, err = newHub(deps.Hub, deps, s.history, s.routingConfig, s.controls); err != nil {
		return nil, err
	}
	if deps.Chats != nil {
		s.chatsSvc = deps.Chats
		if deps.ChatImages != nil {
			s.chatImages, s.imageFiles = deps.ChatImages, webchat.NewImageFiles(deps.ChatImages, deps.Files, deps.Log)
		}
	}
	s.canned = deps.Canned
	s.routes(metricsHandler(deps.Registry, deps.MetricsToken, deps.Log), deps.Citizen)
	sockets := map[string]http.Handler{"/ws/agent": s.hub}
	if deps.Citizen != nil {
		if chat := deps.Citizen.ChatSocket(); chat != nil {
			sockets["/ws/chat"] = chat
		}
	}
	edge := &httpx.Edge{Trusted: deps.TrustedProxies, Origins: deps.Hub.AllowedOrigins, Cookie: SessionCookie,
		Sockets: sockets, Observe: s.metrics.observe, Log: deps.Log}
	s.handler = edge.Handler(s.mux)
	return s, nil
}

// Close ends every console websocket and stops the hub.
func (s *Server) Close() {
	s.hub.Close()
}

// ServeHTTP implements http.Handler: every request passes the edge's
// checks (its URL's characters, who the client is, cross-site writes)
// before a handler sees it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
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
			httpx.WriteError(w, r, s.log, err)
		}
	})
}

// public wraps a handler that needs no login.
func (s *Server) public(h func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return httpx.Handle(s.log, h)
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
		httpx.WriteJSON(w, http.StatusMethodNotAllowed, httpx.ErrorBody{Error: httpx.ErrorDetail{Code: errs.Invalid,
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
// 400 naming it; the others check theirs with httpx.Query.
func (s *Server) routes(metrics http.Handler, citizen Citizen) {
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
	s.callRoutes()
	s.chatRoutes()
	s.cannedRoutes()
	m.Handle("GET /api/v1/routing/chat-targets", s.authed(withQuery(s.getChatTargets), staffRoles...))
	s.chatImageRoutes()
	s.reportRoutes()
	if citizen != nil {
		citizen.Routes(m)
	}

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

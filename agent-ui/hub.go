package agentui

import (
	"context"
	"hash/fnv"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/eventbus"
	"github.com/open12345/hotline/internal/httpx"
	"github.com/open12345/hotline/routing"
	"github.com/open12345/hotline/screenpop"
	"github.com/open12345/hotline/ticketing"
	"github.com/open12345/hotline/webchat"
)

// subprotocol is what the staff websocket speaks; a client offers it with
// "bearer.<token>" when it has no session cookie.
const subprotocol = "hotline.v1"

// HubConfig tunes the websocket hub.
type HubConfig struct {
	// AllowedOrigins are origins besides the server's own whose pages may
	// use the console: open the websocket and send cookie-authenticated
	// writes (scheme://host[:port]).
	AllowedOrigins []string
	// LogoutGrace is how long an agent whose last tab closed stays in
	// routing, so that a reconnect finds the agent as it was (default 20 s).
	LogoutGrace time.Duration
	// WallboardEvery bounds how often wallboards are sent (default 250 ms).
	WallboardEvery time.Duration
	// PingEvery is how often a connection is pinged and its session
	// re-checked (default 25 s).
	PingEvery time.Duration
}

// Hub is the staff websocket: it keeps every console tab, turns routing
// events and ticket notices into messages for the right people, and sends
// wallboards. Close ends every connection.
type Hub struct {
	cfg      HubConfig
	log      *slog.Logger
	clock    clock.Clock
	loc      *time.Location // times in messages read as local time
	auth     *auth.Service
	engine   *routing.Engine
	config   *routing.ConfigService
	controls contactControls
	history  *screenpop.Finder
	chats    *webchat.Service // nil: no web chat here
	tickets  *ticketing.Service
	upgrader websocket.Upgrader
	metrics  hubMetrics

	mu      sync.Mutex
	clients map[*wsClient]struct{}
	byUser  map[string][]*wsClient
	grace   map[string]*graceTimer // agents whose last tab closed
	// userLocks serialise each user's routing login and logout.
	userLocks [64]sync.Mutex
	offers    map[string]*pendingOffer
	closed    bool

	wallboard *wallboard
	notices   *eventbus.Subscription
	stop      context.CancelFunc
	wg        sync.WaitGroup
}

type pendingOffer struct {
	sent, withdrawn bool
}

type hubMetrics struct {
	connections prometheus.Gauge
	wsDropped   prometheus.Counter
	wsMessages  *prometheus.CounterVec
}

func newHubMetrics(reg *prometheus.Registry) (hubMetrics, error) {
	m := hubMetrics{
		connections: prometheus.NewGauge(prometheus.GaugeOpts{Name: "hotline_ws_connections", Help: "Open staff websocket connections."}),
		wsDropped:   prometheus.NewCounter(prometheus.CounterOpts{Name: "hotline_ws_dropped_total", Help: "Staff websockets dropped for not reading their messages."}),
		wsMessages: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hotline_ws_requests_total",
			Help: "Requests received over staff websockets, by type."}, []string{"type"}),
	}
	for _, c := range []prometheus.Collector{m.connections, m.wsDropped, m.wsMessages} {
		if err := reg.Register(c); err != nil {
			return m, err
		}
	}
	return m, nil
}

// newHub starts a hub on the routing engine and the notice bus.
func newHub(cfg HubConfig, deps Deps, history *screenpop.Finder, config *routing.ConfigService, controls contactControls) (*Hub, error) {
	if cfg.LogoutGrace <= 0 {
		cfg.LogoutGrace = 20 * time.Second
	}
	if cfg.PingEvery <= 0 {
		cfg.PingEvery = wsPingEvery
	}
	if cfg.WallboardEvery <= 0 {
		cfg.WallboardEvery = 250 * time.Millisecond
	}
	m, err := newHubMetrics(deps.Registry)
	if err != nil {
		return nil, err
	}
	h := &Hub{cfg: cfg, log: deps.Log, clock: deps.Clock, loc: deps.Tickets.Location(), auth: deps.Auth, engine: deps.Routing, config: config,
		controls: controls, history: history, metrics: m, clients: map[*wsClient]struct{}{}, byUser: map[string][]*wsClient{},
		grace: map[string]*graceTimer{}, offers: map[string]*pendingOffer{}, chats: deps.Chats, tickets: deps.Tickets}
	h.upgrader = websocket.Upgrader{
		HandshakeTimeout: 10 * time.Second,
		ReadBufferSize:   1024,
		WriteBufferPool:  &sync.Pool{},
		Subprotocols:     []string{subprotocol},
		CheckOrigin:      h.originAllowed,
		Error: func(w http.ResponseWriter, r *http.Request, status int, reason error) {
			httpx.WriteJSON(w, status, httpx.ErrorBody{Error: httpx.ErrorDetail{Code: errs.Invalid, Message: reason.Error()}})
		},
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.stop = cancel
	h.wallboard = newWallboard(h, cfg.WallboardEvery)
	// Routing events come in order on the hub's own goroutine, so that
	// onRouting may call the engine; Close ends it through ctx.
	routingEvents := h.engine.Subscribe()
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		defer routingEvents.Close()
		for {
			ev, err := routingEvents.Next(ctx)
			if err != nil {
				return
			}
			h.onRouting(ev)
		}
	}()
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		h.wallboard.run(ctx)
	}()
	if h.chats != nil {
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			h.forwardChats(ctx)
		}()
	}
	if deps.Bus != nil {
		h.notices = deps.Bus.Subscribe(func(string) bool { return true }, 1024)
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			h.forwardNotices()
		}()
	}
	return h, nil
}

// originAllowed accepts no Origin (scripts), the server's own origin, and
// the configured ones.
func (h *Hub) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	return origin == "" || httpx.OriginAllowed(r, origin, h.cfg.AllowedOrigins)
}

// wsToken is the session cookie, else the token offered as a subprotocol.
func wsToken(r *http.Request) string {
	for _, p := range websocket.Subprotocols(r) {
		if tok, ok := strings.CutPrefix(p, "bearer."); ok {
			return tok
		}
	}
	if c, err := r.Cookie(SessionCookie); err == nil {
		return c.Value
	}
	return ""
}

// ServeHTTP upgrades an authenticated staff request and serves it until
// the connection ends.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.originAllowed(r) {
		httpx.WriteError(w, r, h.log, errs.E(errs.Forbidden, "this origin may not open the console websocket"))
		return
	}
	token := wsToken(r)
	actor, _, err := h.auth.Authenticate(r.Context(), token)
	if err != nil {
		httpx.WriteError(w, r, h.log, err)
		return
	}
	if !h.admit(actor.Username) {
		httpx.WriteError(w, r, h.log, errs.E(errs.RateLimited, "at most %d console tabs per user", wsMaxTabs))
		return
	}
	conn, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		h.log.Debug("websocket upgrade failed", "err", err)
		return
	}
	c := &wsClient{hub: h, conn: conn, actor: actor, token: token,
		send: make(chan []byte, wsSendQueue), done: make(chan struct{})}
	if err := h.register(r.Context(), c); err != nil {
		c.enqueue(encode("error", "", httpx.ErrorDetail{Code: errs.CodeOf(err), Message: errs.Message(err)}))
		c.close(websocket.CloseInternalServerErr, "could not start the session")
		return
	}
	go c.writeLoop()
	// After registering, so that no message falls between the two.
	go h.sendOpenChats(context.WithoutCancel(r.Context()), c)
	// Return at once: net/http then frees the request, its context and
	// the connection's 4 KiB read and write buffers, which a hijacked
	// connection keeps for as long as its handler runs.
	go func() {
		c.readLoop()
		h.unregister(c)
	}()
}

// admit reports whether the user may open one more tab.
func (h *Hub) admit(user string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return !h.closed && len(h.byUser[user]) < wsMaxTabs
}

// register adds the client, logs an agent into routing on the first tab,
// and queues the full state for it.
func (h *Hub) register(ctx context.Context, c *wsClient) error {
	user := c.actor.Username
	isAgent := c.actor.Role == auth.RoleAgent
	defer h.lockUser(user)()
	h.mu.Lock()
	if g := h.grace[user]; g != nil {
		g.timer.Stop() // back within the grace period: still in routing
		delete(h.grace, user)
	}
	h.mu.Unlock()
	if isAgent {
		if _, online := h.onlineAgent(user); !online {
			if err := h.login(ctx, c.actor); err != nil {
				return err
			}
		}
	}
	var pop *offerMessage
	if v, ok := h.engine.Agent(user); ok && isAgent && v.Offer != nil {
		m := h.offerMessage(ctx, *v.Offer)
		pop = &m
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return errs.E(errs.Unavailable, "the server is shutting down")
	}
	h.clients[c] = struct{}{}
	h.byUser[user] = append(h.byUser[user], c)
	h.metrics.connections.Inc()
	// The state is queued under the lock: a message queued later for
	// this user cannot be older than it.
	h.resync(c, pop)
	return nil
}

// lockUser serialises a user's logins and logouts to routing (a tab
// arriving while the grace period of the last one runs out); it returns
// the unlock.
func (h *Hub) lockUser(user string) func() {
	hash := fnv.New32a()
	hash.Write([]byte(user)) // never fails
	mu := &h.userLocks[hash.Sum32()%uint32(len(h.userLocks))]
	mu.Lock()
	return mu.Unlock
}

func (h *Hub) onlineAgent(user string) (routing.AgentView, bool) {
	v, ok := h.engine.Agent(user)
	return v, ok && v.State != routing.Offline
}

// login puts an agent into routing with the saved skills, or every queue.
func (h *Hub) login(ctx context.Context, actor auth.Actor) error {
	_, err := h.config.Login(ctx, actor.Username)
	return err
}

// unregister drops a closed client; the agent leaves routing when the
// last tab has been gone for the grace period.
func (h *Hub) unregister(c *wsClient) {
	user := c.actor.Username
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.clients[c]; !ok {
		return
	}
	delete(h.clients, c)
	h.metrics.connections.Dec()
	h.byUser[user] = slices.DeleteFunc(h.byUser[user], func(x *wsClient) bool { return x == c })
	if len(h.byUser[user]) > 0 {
		return
	}
	delete(h.byUser, user)
	if c.actor.Role != auth.RoleAgent || h.closed {
		return
	}
	grace := h.cfg.LogoutGrace
	if c.sessionEnded.Load() {
		grace = 0 // logged out or expired: no reconnect to wait for
	}
	g := &graceTimer{}
	g.timer = h.clock.AfterFunc(grace, func() { h.logoutAfterGrace(user, g) })
	h.grace[user] = g
}

// graceTimer is an agent's pending logout; its identity tells a timer
// that fired late from the one that replaced it.
type graceTimer struct{ timer clock.Timer }

// logoutAfterGrace logs the agent out of routing unless a tab came back
// (or this timer was replaced) meanwhile.
func (h *Hub) logoutAfterGrace(user string, g *graceTimer) {
	defer h.lockUser(user)()
	h.mu.Lock()
	if h.grace[user] != g || len(h.byUser[user]) > 0 {
		h.mu.Unlock()
		return
	}
	delete(h.grace, user)
	h.mu.Unlock()
	if _, err := h.engine.Logout(user); err != nil && !errs.Is(err, errs.NotFound) {
		h.log.Error("log agent out of routing", "agent", user, "err", err)
	}
}

// toUser queues a message for every tab of a user.
func (h *Hub) toUser(user string, msg []byte) {
	h.mu.Lock()
	tabs := slices.Clone(h.byUser[user])
	h.mu.Unlock()
	for _, c := range tabs {
		c.enqueue(msg)
	}
}

// toEach queues a message for every client that want accepts.
func (h *Hub) toEach(want func(auth.Actor) bool, msg []byte) {
	h.mu.Lock()
	targets := make([]*wsClient, 0, len(h.clients))
	for c := range h.clients {
		if want(c.actor) {
			targets = append(targets, c)
		}
	}
	h.mu.Unlock()
	for _, c := range targets {
		c.enqueue(msg)
	}
}

// EndSession closes every connection opened with the token (logout); an
// agent left with no tab leaves routing at once.
func (h *Hub) EndSession(token string) {
	h.mu.Lock()
	var ended []*wsClient
	for c := range h.clients {
		if c.token == token {
			ended = append(ended, c)
		}
	}
	h.mu.Unlock()
	for _, c := range ended {
		c.endSession()
	}
}

// Close ends every connection (going away) and stops the hub's goroutines.
func (h *Hub) Close() {
	h.mu.Lock()
	h.closed = true
	clients := make([]*wsClient, 0, len(h.clients))
	for c := range h.clients {
		clients = append(clients, c)
	}
	for user, g := range h.grace {
		g.timer.Stop()
		delete(h.grace, user)
	}
	h.mu.Unlock()
	for _, c := range clients {
		c.close(websocket.CloseGoingAway, "server shutting down")
	}
	h.stop()
	if h.notices != nil {
		h.notices.Close()
	}
	h.wg.Wait()
}

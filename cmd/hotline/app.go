package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"path/filepath"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	agentui "github.com/open12345/hotline/agent-ui"
	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/canned"
	"github.com/open12345/hotline/citizenweb"
	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/eventbus"
	"github.com/open12345/hotline/files"
	"github.com/open12345/hotline/internal/jobs"
	"github.com/open12345/hotline/knowledge"
	"github.com/open12345/hotline/phonecode"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/reports"
	"github.com/open12345/hotline/routing"
	"github.com/open12345/hotline/telephony"
	"github.com/open12345/hotline/telephony/prompts"
	"github.com/open12345/hotline/telephony/sip"
	"github.com/open12345/hotline/ticketing"
	"github.com/open12345/hotline/ticketing/dispatch"
	"github.com/open12345/hotline/webchat"
)

// Main is the running hotline server: it wires the adapters to the domain
// services. Tests start the same Main on port 0.
type Main struct {
	Config Config
	Log    *slog.Logger
	Clock  clock.Clock
	Hasher auth.Hasher
	// ShutdownTimeout bounds how long Close waits for in-flight requests.
	ShutdownTimeout time.Duration

	DB      *postgres.DB
	Redis   *redis.Client
	Tickets *ticketing.Service
	Auth    *auth.Service
	Files   *files.Store // attachments, under DataDir/attachments
	Bus     *eventbus.Local
	Guides  *knowledge.Service
	Syncer  *knowledge.Syncer // keeps the search indexes in step with the database
	// Routing offers calls and chats to agents; RoutingStore keeps its queues and skills.
	Routing      *routing.Engine
	Chats        *webchat.Service
	RoutingStore *postgres.RoutingStore
	// Registrar knows agents' registered phones; SIPPasswords sets theirs.
	Registrar    *telephony.Registrar
	SIPPasswords *telephony.Credentials
	// Calls are the call records and the missed-call list.
	Calls *telephony.Calls
	// IVRMenus is the IVR menu admins change; Prompts are the IVR's
	// prompts and operators' recordings of them.
	IVRMenus *telephony.Menus
	Prompts  *prompts.Library

	loc           *time.Location
	searchTargets []knowledge.Target
	stopSync      context.CancelFunc
	syncDone      chan struct{}

	stopRouting context.CancelFunc
	stopChats   func() // stops following routing for the chats
	stopReports func() // stops refreshing the reports' aggregates
	routingDone chan struct{}
	api         *agentui.Server
	citizen     *citizenweb.Server

	sip     *sip.Server
	stopSIP context.CancelFunc
	voice   *sip.Calls // the call flow, which the console's actions go through
	callLog *telephony.CallRecorder
	// Outbound places the agents' calls to citizens (回拨, 回访);
	// stopWork stops offering the missed-call list as work.
	Outbound *telephony.OutboundCalls
	stopWork func()

	worker    *jobs.Server // the node's Asynq server, shared by the domains' jobs
	stopRelay context.CancelFunc
	relayDone chan struct{}

	listener net.Listener
	server   *http.Server
	debug    *http.Server
	served   chan error
}

// NewMain returns a Main with the system clock and the default hasher.
func NewMain(cfg Config, log *slog.Logger) *Main {
	return &Main{Config: cfg, Log: log, Clock: clock.System{}, Hasher: auth.DefaultHasher(), ShutdownTimeout: 30 * time.Second}
}

// Run checks the configuration, connects to PostgreSQL and Redis, migrates
// the schema, starts the dispatch workers, and serves HTTP. It returns once
// the listener is ready; Close stops it.
func (m *Main) Run(ctx context.Context) (err error) {
	if err := m.Config.validate(); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, m.Close())
		}
	}()
	loc := m.Config.TZ
	m.loc = loc
	if m.DB, err = postgres.Open(ctx, m.Config.DatabaseURL); err != nil {
		return fmt.Errorf("HOTLINE_DATABASE_URL: %w", err)
	}
	version, err := m.DB.Migrate(ctx)
	if err != nil {
		return err
	}
	m.Log.Info("database ready", "schema_version", version)
	ropts, err := redis.ParseURL(m.Config.RedisURL)
	if err != nil {
		return fmt.Errorf("HOTLINE_REDIS_URL: %w", err)
	}
	m.Redis = redis.NewClient(ropts)

	ticketStore := postgres.NewTicketStore(m.DB)
	m.Tickets = ticketing.NewService(ticketStore, m.Clock, loc, m.Log)
	quotas := postgres.NewQuotaStore(m.DB)
	if m.Auth, err = auth.NewService(postgres.NewUserStore(m.DB), quotas, m.Clock, m.Hasher, m.Log, m.Config.authOptions()...); err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	checks := []agentui.Check{
		{Name: "postgres", Ping: m.DB.Ping},
		{Name: "redis", Ping: func(ctx context.Context) error { return m.Redis.Ping(ctx).Err() }},
	}
	if m.Files, err = files.New(filepath.Join(m.Config.DataDir, "attachments")); err != nil {
		return fmt.Errorf("HOTLINE_DATA_DIR: %w", err)
	}
	var sms dispatch.SMS = &dispatch.LogSMS{Log: m.Log}
	if m.Config.SMSURL != "" {
		sms = dispatch.NewHTTPSMS(m.Config.SMSURL, m.Config.SMSKey)
	}
	m.worker = m.newJobs()
	admin, err := m.startDispatch(ticketStore, sms, loc, reg)
	if err != nil {
		return err
	}
	// Every domain registers its jobs on m.worker above this line.
	if err := m.worker.Start(); err != nil {
		return err
	}
	if err := m.startSearch(ctx); err != nil {
		return err
	}
	if err := m.startRouting(ctx); err != nil {
		return err
	}
	if err := m.startTelephony(ctx, reg); err != nil {
		return err
	}
	checks = append(checks, trunkCheck(m.sip, m.Config.SIPTrunk))
	chatStore := postgres.NewChatStore(m.DB)
	m.Chats = webchat.NewService(chatStore, m.Guides, m.Clock, m.Log, m.Config.chatConfig(m.Tickets, quotas, sms, loc))
	chatImages := webchat.NewImages(m.Chats, chatStore)
	m.citizen, err = citizenweb.New(citizenweb.Deps{Tickets: m.Tickets, Guides: m.Guides, Quotas: quotas,
		Codes: phonecode.NewService(postgres.NewPhoneCodeStore(m.DB), quotas, sms, m.Clock, m.Log),
		Clock: m.Clock, Log: m.Log, Chats: m.Chats, ChatOrigins: m.Config.ChatOrigins, ChatImages: chatImages, Files: m.Files})
	if err != nil {
		return err
	}
	reportService, err := m.startReports(ctx, loc)
	if err != nil {
		return err
	}
	m.api, err = agentui.NewServer(agentui.Deps{Tickets: m.Tickets, Auth: m.Auth, Checks: checks,
		Registry: reg, Log: m.Log, Files: m.Files, Dispatch: admin, Guides: m.Guides, Search: m.Syncer,
		Routing: m.Routing, RoutingStore: m.RoutingStore, SIPPasswords: m.SIPPasswords, IVRMenus: m.IVRMenus, Prompts: m.Prompts,
		Controls: map[routing.Channel]agentui.ContactControl{routing.Voice: m.voice},
		Calls:    m.Calls, CallRecords: m.Calls, Outbound: outboundCaller(m.Outbound), Recordings: filepath.Join(m.Config.DataDir, "recordings"), Bus: m.Bus, Clock: m.Clock, Hub: m.Config.hubConfig(),
		MetricsToken: m.Config.MetricsToken, TrustedProxies: m.Config.TrustedProxies, Citizen: m.citizen,
		Chats: m.Chats, ChatImages: chatImages, Reports: reportService,
		Canned: canned.NewService(postgres.NewCannedStore(m.DB), m.Clock)})
	if err != nil {
		return err
	}
	// Chats waiting for an agent when the server stopped queue again now.
	stopFollowing, err := m.Chats.Follow(ctx, m.Routing)
	if err != nil {
		return fmt.Errorf("hand chats to routing: %w", err)
	}
	idleCtx, stopIdle := context.WithCancel(context.Background())
	idleDone := make(chan struct{})
	go func() { defer close(idleDone); m.Chats.RunIdle(idleCtx) }()
	m.stopChats = func() { stopIdle(); <-idleDone; stopFollowing() }
	if err := m.serveDebug(); err != nil {
		return err
	}
	return m.serve(m.api)
}

// reportsFresh is how old today's figures may be when a report reads
// them; the refresher recounts them this often.
const reportsFresh = time.Minute

// startReports opens the reports' aggregates in the hotline's time zone
// and refreshes them in the background until Close.
func (m *Main) startReports(ctx context.Context, loc *time.Location) (*reports.Service, error) {
	store, err := postgres.NewReportStore(ctx, m.DB, loc)
	if err != nil {
		return nil, err
	}
	store.Fresh = reportsFresh
	svc := reports.NewService(store, store, m.Clock)
	refreshCtx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); svc.Refresh(refreshCtx, reportsFresh, m.Log) }()
	m.stopReports = func() { stop(); <-done }
	return svc, nil
}

// outboundCaller is o as the API's, nil when there is none.
func outboundCaller(o *telephony.OutboundCalls) agentui.OutboundCaller {
	if o == nil {
		return nil
	}
	return o
}

// newJobs returns the node's job server, with the workers of
// HOTLINE_WORKERS; the domains register on it and Run starts it.
func (m *Main) newJobs() *jobs.Server {
	d := m.Config.dispatchConfig()
	return jobs.New(m.Redis, jobs.Config{Concurrency: d.Concurrency, PollInterval: d.PollInterval, RetryPoll: d.RetryPoll}, m.Log)
}

// startDispatch starts the outbox relay and registers the dispatch
// handlers and the sweep schedule on m.worker. None of them needs Redis to
// be up: messages wait in the outbox until it is.
func (m *Main) startDispatch(tickets *postgres.TicketStore, sms dispatch.SMS, loc *time.Location, reg *prometheus.Registry) (*dispatch.Admin, error) {
	cfg := m.Config.dispatchConfig()
	store := postgres.NewDispatchStore(m.DB)
	inspector := asynq.NewInspectorFromRedisClient(m.Redis)
	metrics, err := dispatch.NewMetrics(reg, inspector, store)
	if err != nil {
		return nil, err
	}
	m.Bus = eventbus.NewLocal()
	handlers := dispatch.NewHandlers(dispatch.Deps{Store: store, Tickets: tickets, Sweeper: m.Tickets,
		Bus: m.Bus, SMS: sms, Clock: m.Clock, Loc: loc, Log: m.Log}, cfg)
	if err := handlers.Register(m.worker, metrics); err != nil {
		return nil, err
	}
	relay := dispatch.NewRelay(store, asynq.NewClientFromRedisClient(m.Redis), inspector, m.Clock, cfg, metrics, m.Log)
	ctx, cancel := context.WithCancel(context.Background())
	m.stopRelay, m.relayDone = cancel, make(chan struct{})
	go func() {
		defer close(m.relayDone)
		relay.Run(ctx)
	}()
	return dispatch.NewAdmin(store, inspector, m.Clock), nil
}

// serveDebug serves the Go profiler on its own address, for operators.
func (m *Main) serveDebug() error {
	if m.Config.DebugAddr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", m.Config.DebugAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", m.Config.DebugAddr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	m.debug = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := m.debug.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.Log.Error("debug server stopped", "err", err)
		}
	}()
	m.Log.Info("serving pprof", "addr", ln.Addr().String())
	return nil
}

func (m *Main) serve(h http.Handler) error {
	ln, err := net.Listen("tcp", m.Config.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", m.Config.HTTPAddr, err)
	}
	m.listener = ln
	m.server = &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(m.Log.Handler(), slog.LevelWarn),
	}
	m.served = make(chan error, 1)
	go func() { m.served <- m.server.Serve(ln) }()
	m.Log.Info("serving HTTP", "addr", ln.Addr().String())
	return nil
}

// HTTPAddr returns the address the server listens on.
func (m *Main) HTTPAddr() string { return m.listener.Addr().String() }

// Close stops accepting requests, lets in-flight ones finish (up to
// ShutdownTimeout), stops the workers, and closes the connections to Redis
// and PostgreSQL; then it logs "stopped", so that an operator knows that
// shutdown is complete.
func (m *Main) Close() error {
	if m.DB == nil { // never started, or closed already
		return nil
	}
	var errs []error
	if m.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), m.ShutdownTimeout)
		defer cancel()
		if err := m.server.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("shut down HTTP: %w", err))
		}
		if err := <-m.served; err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, fmt.Errorf("serve HTTP: %w", err))
		}
		m.server = nil
	}
	if m.api != nil {
		// Shutdown does not wait for hijacked connections: end them here.
		m.api.Close()
		m.api = nil
	}
	if m.citizen != nil {
		m.citizen.Close() // the chat sockets
		m.citizen = nil
	}
	if err := m.stopTelephony(); err != nil {
		errs = append(errs, err)
	}
	if m.stopChats != nil {
		m.stopChats()
		m.stopChats = nil
	}
	if m.stopReports != nil {
		m.stopReports()
		m.stopReports = nil
	}
	m.stopRoutingEngine()
	if m.stopRelay != nil {
		m.stopRelay()
		<-m.relayDone
		m.stopRelay = nil
	}
	if m.worker != nil {
		m.worker.Shutdown()
		m.worker = nil
	}
	if err := m.stopSearch(); err != nil {
		errs = append(errs, err)
	}
	if m.debug != nil {
		if err := m.debug.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close debug server: %w", err))
		}
		m.debug = nil
	}
	if m.Redis != nil {
		if err := m.Redis.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close redis: %w", err))
		}
		m.Redis = nil
	}
	m.DB.Close()
	m.DB = nil
	err := errors.Join(errs...)
	if err != nil {
		m.Log.Error("stopped, with errors", "err", err)
		return err
	}
	m.Log.Info("stopped")
	return nil
}

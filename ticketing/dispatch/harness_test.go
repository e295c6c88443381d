package dispatch_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/eventbus"
	"github.com/open12345/hotline/internal/jobs"
	"github.com/open12345/hotline/internal/testenv"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/postgres/pgtest"
	"github.com/open12345/hotline/ticketing"
	"github.com/open12345/hotline/ticketing/dispatch"
)

var (
	agent      = auth.Actor{Username: "agent1", Role: auth.RoleAgent}
	supervisor = auth.Actor{Username: "supervisor", Role: auth.RoleSupervisor}
	admin      = auth.Actor{Username: "admin", Role: auth.RoleAdmin}
)

func deptActor(code string) auth.Actor {
	return auth.Actor{Username: "dept-" + code, Role: auth.RoleDepartment, Department: code}
}

const secret = "0123456789abcdef-secret"

// harness is the dispatch loop on a fresh database and a private Redis:
// ticket service, relay, workers, and a fake clock at 2026-09-30 10:00
// Shanghai time (the clock drives deadlines; the queue runs in real time).
type harness struct {
	t       *testing.T
	ctx     context.Context
	loc     *time.Location
	clock   *clock.Fake
	db      *postgres.DB
	tickets *ticketing.Service
	store   *postgres.DispatchStore
	redis   *testenv.Redis
	client  *asynq.Client
	admin   *dispatch.Admin
	bus     *eventbus.Local
	sms     *fakeSMS
	cfg     dispatch.Config
	relay   *dispatch.Relay
	inspect *asynq.Inspector
	metrics *dispatch.Metrics

	stopRelay func() // stops the running relay; the test may run its own
}

func fastConfig() dispatch.Config {
	return dispatch.Config{MaxRetry: 4, RetryBase: 20 * time.Millisecond, RetryMax: 100 * time.Millisecond,
		WebhookTimeout: 300 * time.Millisecond, Concurrency: 8, SweepEvery: time.Hour,
		PollInterval: 10 * time.Millisecond, RetryPoll: 20 * time.Millisecond, RelayWait: 200 * time.Millisecond}
}

// newHarness starts the harness; domains register further jobs on the
// shared server next to dispatch's before it starts.
func newHarness(t *testing.T, cfg dispatch.Config, domains ...func(*jobs.Server) error) *harness {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, ctx: context.Background(), loc: loc, cfg: cfg,
		clock: clock.NewFake(time.Date(2026, 9, 30, 10, 0, 0, 0, loc)),
		db:    pgtest.NewDB(t), redis: testenv.StartRedis(t), bus: eventbus.NewLocal(), sms: &fakeSMS{}}
	log := slog.New(slog.DiscardHandler)
	tstore := postgres.NewTicketStore(h.db)
	h.tickets = ticketing.NewService(tstore, h.clock, loc, log)
	h.store = postgres.NewDispatchStore(h.db)
	rc := h.redis.Client()
	inspector := asynq.NewInspectorFromRedisClient(rc)
	metrics, err := dispatch.NewMetrics(prometheus.NewRegistry(), inspector, h.store)
	if err != nil {
		t.Fatal(err)
	}
	handlers := dispatch.NewHandlers(dispatch.Deps{Store: h.store, Tickets: tstore, Sweeper: h.tickets,
		Bus: h.bus, SMS: h.sms, Clock: h.clock, Loc: loc, Log: log}, cfg)
	server := jobs.New(rc, jobs.Config{Concurrency: cfg.Concurrency, PollInterval: cfg.PollInterval, RetryPoll: cfg.RetryPoll}, log)
	if err := handlers.Register(server, metrics); err != nil {
		t.Fatal(err)
	}
	for _, register := range domains {
		if err := register(server); err != nil {
			t.Fatal(err)
		}
	}
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	h.client = asynq.NewClientFromRedisClient(rc)
	h.relay = dispatch.NewRelay(h.store, h.client, inspector, h.clock, cfg, metrics, log)
	h.inspect, h.metrics = inspector, metrics
	ctx, cancel := context.WithCancel(h.ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.relay.Run(ctx)
	}()
	h.stopRelay = func() {
		cancel()
		<-done
	}
	t.Cleanup(func() {
		h.stopRelay()
		server.Shutdown()
	})
	h.admin = dispatch.NewAdmin(h.store, inspector, h.clock)
	for _, d := range []ticketing.Department{{Code: "rsj", Name: "市人力资源和社会保障局"}, {Code: "cgj", Name: "市城市管理局"}} {
		h.department(d.Code, d.Name, "")
	}
	return h
}

// department creates or updates a department with a webhook (none if url is "").
func (h *harness) department(code, name, url string) {
	h.t.Helper()
	d := ticketing.Department{Code: code, Name: name, WebhookURL: url}
	if url != "" {
		d.WebhookSecret = secret
	}
	if _, err := h.tickets.SaveDepartment(h.ctx, admin, d, false); err != nil {
		h.t.Fatal(err)
	}
}

// newTicket records a complaint with the citizen's phone.
func (h *harness) newTicket(phone string) *ticketing.Ticket {
	h.t.Helper()
	tk, err := h.tickets.Create(h.ctx, agent, ticketing.NewTicket{Kind: ticketing.KindComplaint,
		Channel: ticketing.ChannelPhone, Title: "小区垃圾清运不及时", Content: "垃圾三天未清运",
		Citizen: ticketing.Citizen{Name: "张三", Phone: phone, IDNumber: "11010519491231002X"}})
	if err != nil {
		h.t.Fatal(err)
	}
	return tk
}

func (h *harness) act(actor auth.Actor, id int64, a ticketing.Action, req ticketing.Request) *ticketing.Ticket {
	h.t.Helper()
	tk, err := h.tickets.Act(h.ctx, actor, id, a, req)
	if err != nil {
		h.t.Fatalf("%s %s on ticket %d: %v", actor.Username, a, id, err)
	}
	return tk
}

func (h *harness) deliveries(f dispatch.DeliveryFilter) []dispatch.Delivery {
	h.t.Helper()
	ds, err := h.admin.Deliveries(h.ctx, admin, f)
	if err != nil {
		h.t.Fatal(err)
	}
	return ds
}

// waitIdle waits until the dispatch loop has nothing left to do: the relay
// waits between passes and finished none while the queues and the outbox
// were looked at, no queue holds a task that is pending, running,
// scheduled or waiting for a retry, and no outbox message waits for the
// relay. Only then may a test say that something did not happen (a
// second delivery, a third SMS): whatever was on its way has arrived.
func (h *harness) waitIdle() {
	h.t.Helper()
	testenv.Eventually(h.t, "the relay and the queues to go idle", func() bool {
		before, idle := h.relay.Idle()
		if !idle || !testenv.QueuesIdle(h.t, h.inspect, dispatch.QueueUrgent, dispatch.QueueDefault, dispatch.QueueLow) {
			return false
		}
		backlog, err := h.store.OutboxBacklog(h.ctx)
		if err != nil {
			h.t.Fatal(err)
		}
		after, idle := h.relay.Idle()
		return backlog == 0 && idle && after == before
	})
}

// received is one request a receiver got.
type received struct {
	Delivery, Event, Signature string
	Body                       []byte
}

// receiver is a department's webhook endpoint. answer decides the reply
// to the nth request (from 0); nil answers 200.
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	got    []received
	answer func(n int, w http.ResponseWriter, r *http.Request)
}

func newReceiver(t *testing.T, answer func(n int, w http.ResponseWriter, r *http.Request)) *receiver {
	rc := &receiver{answer: answer}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			t.Errorf("receiver: %v", err)
		}
		rc.mu.Lock()
		n := len(rc.got)
		rc.got = append(rc.got, received{Delivery: r.Header.Get("X-Hotline-Delivery"),
			Event: r.Header.Get("X-Hotline-Event"), Signature: r.Header.Get("X-Hotline-Signature"), Body: body})
		rc.mu.Unlock()
		if rc.answer != nil {
			rc.answer(n, w, r)
		}
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// webhookBody is what a receiver decodes.
type webhookBody struct {
	Event      string         `json:"event"`
	DeliveryID string         `json:"delivery_id"`
	Ticket     ticketing.View `json:"ticket"`
	Detail     map[string]any `json:"detail"`
}

func decodeBody(t *testing.T, b []byte) webhookBody {
	t.Helper()
	var w webhookBody
	if err := json.Unmarshal(b, &w); err != nil {
		t.Fatalf("webhook body %s: %v", b, err)
	}
	return w
}

// fakeSMS is an SMS gateway that records messages and can fail.
type fakeSMS struct {
	mu    sync.Mutex
	sent  []string
	fails int // fail this many sends first
}

func (f *fakeSMS) Send(_ context.Context, phone, text string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fails > 0 {
		f.fails--
		return "", io.ErrUnexpectedEOF
	}
	f.sent = append(f.sent, phone+" "+text)
	return "sms-1", nil
}

func (f *fakeSMS) messages() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.sent...)
}

package agentui_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	agentui "github.com/open12345/hotline/agent-ui"
	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/citizenweb"
	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/eventbus"
	"github.com/open12345/hotline/files"
	"github.com/open12345/hotline/internal/apitest"
	"github.com/open12345/hotline/internal/httpx"
	"github.com/open12345/hotline/internal/testenv"
	"github.com/open12345/hotline/knowledge"
	"github.com/open12345/hotline/knowledge/embedded"
	"github.com/open12345/hotline/phonecode"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/postgres/pgtest"
	"github.com/open12345/hotline/routing"
	"github.com/open12345/hotline/ticketing"
	"github.com/open12345/hotline/ticketing/dispatch"
)

// env is a running API on a fresh database, with a fake clock at
// 2026-09-30 10:00 Shanghai time and one logged-in user per role.
type env struct {
	t      *testing.T
	srv    *httptest.Server
	db     *postgres.DB
	clock  *clock.Fake
	loc    *time.Location
	tokens map[string]string // username → bearer token
	files  string            // where attachment contents are stored
	syncer *knowledge.Syncer // the in-memory search index's; synced after every guide change
	index  *embedded.Index
	// routing runs on the fake clock: tests move it and call Expire.
	routing *routing.Engine
	bus     *eventbus.Local
}

// logoutGrace is how long an agent stays in routing after the last tab
// closed, and wallboardEvery the wallboards' interval, in tests; both run
// on the fake clock.
const (
	logoutGrace    = 300 * time.Millisecond
	wallboardEvery = 20 * time.Millisecond
)

// startRouting gives the env a routing engine with the queues of the migration.
func (e *env) startRouting(ctx context.Context, loc *time.Location) {
	e.routing = routing.New(e.clock, routing.Config{Location: loc})
	queues, err := postgres.NewRoutingStore(e.db).Queues(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, q := range queues {
		if err := e.routing.SetQueue(q); err != nil {
			e.t.Fatal(err)
		}
	}
}

// citizenBurst is how many public requests one address may make at once in tests.
const citizenBurst = 30

const testPassword = "correct horse battery"

// startSearch gives the env an in-memory index that follows every guide
// change before the request that made it returns.
func (e *env) startSearch(log *slog.Logger) *knowledge.Service {
	ix := embedded.New()
	e.t.Cleanup(func() {
		if err := ix.Close(); err != nil {
			e.t.Error(err)
		}
	})
	store := postgres.NewGuideStore(e.db)
	analyzer := knowledge.NewAnalyzer(nil)
	e.index = ix
	e.syncer = knowledge.NewSyncer(store, analyzer, log, time.Hour, knowledge.Target{Name: "embedded", Index: ix})
	if err := e.syncer.LoadVocabulary(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	sync := func() {
		if err := e.syncer.SyncOnce(context.Background()); err != nil {
			e.t.Errorf("sync search index: %v", err)
		}
	}
	sync()
	return knowledge.NewService(store, ix, analyzer, e.clock, e.loc, log, sync)
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t)
}

// newEnvWith is newEnv with changes to the server's dependencies.
func newEnvWith(t *testing.T, change ...func(*agentui.Deps)) *env {
	t.Helper()
	return newEnvOn(t, func(_ *postgres.DB, d *agentui.Deps) {
		for _, c := range change {
			c(d)
		}
	})
}

// newEnvOn is newEnv with a change to the server's dependencies that
// needs the env's database.
func newEnvOn(t *testing.T, change func(*postgres.DB, *agentui.Deps)) *env {
	t.Helper()
	ctx := context.Background()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	db := pgtest.NewDB(t)
	clk := clock.NewFake(time.Date(2026, 9, 30, 10, 0, 0, 0, loc))
	log := slog.New(slog.DiscardHandler)
	store := postgres.NewTicketStore(db)
	tickets := ticketing.NewService(store, clk, loc, log)
	quotas := postgres.NewQuotaStore(db)
	authn, err := auth.NewService(postgres.NewUserStore(db), quotas, clk, auth.FastHasher(), log)
	if err != nil {
		t.Fatal(err)
	}
	authn.SessionTTL = 90 * 24 * time.Hour // tests move the clock by weeks
	for _, d := range []ticketing.Department{
		{Code: "rsj", Name: "市人社局"}, {Code: "cgj", Name: "市城管局"},
		{Code: "cgj-th", Name: "天河区城管局", Parent: "cgj", Region: "天河区"},
	} {
		d.CreatedAt = clk.Now()
		if err := store.SaveDepartment(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	e := &env{t: t, db: db, clock: clk, loc: loc, tokens: map[string]string{}}
	users := []auth.NewUser{
		{Username: "admin", Role: auth.RoleAdmin}, {Username: "supervisor", Role: auth.RoleSupervisor},
		{Username: "agent1", DisplayName: "话务员一号", Role: auth.RoleAgent}, {Username: "agent2", Role: auth.RoleAgent},
		{Username: "dept-rsj", DisplayName: "人社局信访科", Role: auth.RoleDepartment, Department: "rsj"},
		{Username: "dept-cgj", Role: auth.RoleDepartment, Department: "cgj"},
	}
	for _, u := range users {
		u.Password = testPassword
		if _, err := authn.AddUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	e.files = filepath.Join(t.TempDir(), "attachments")
	blobs, err := files.New(e.files)
	if err != nil {
		t.Fatal(err)
	}
	guides := e.startSearch(log)
	e.startRouting(ctx, loc)
	e.bus = eventbus.NewLocal()
	deps := agentui.Deps{Tickets: tickets, Auth: authn,
		Checks: []agentui.Check{{Name: "postgres", Ping: db.Ping}}, Registry: prometheus.NewRegistry(), Log: log, Files: blobs,
		Dispatch: dispatch.NewAdmin(postgres.NewDispatchStore(db), queueInspector(t), clk),
		Guides:   guides, Search: e.syncer,
		Routing: e.routing, RoutingStore: postgres.NewRoutingStore(db), Bus: e.bus, Clock: clk,
		Hub: agentui.HubConfig{LogoutGrace: logoutGrace, WallboardEvery: wallboardEvery, PingEvery: 200 * time.Millisecond}}
	change(db, &deps)
	// The citizens' side serves the chats and images the staff's does,
	// as cmd/hotline composes them; its own tests are citizenweb's.
	citizen, err := citizenweb.New(citizenweb.Deps{Tickets: deps.Tickets, Guides: deps.Guides, Quotas: quotas,
		Codes: phonecode.NewService(postgres.NewPhoneCodeStore(db), quotas, &dispatch.LogSMS{Log: log}, clk, log),
		Limit: httpx.Rate{PerSecond: 0.001, Burst: citizenBurst}, Clock: deps.Clock, Log: deps.Log,
		Chats: deps.Chats, ChatImages: deps.ChatImages, Files: deps.Files})
	if err != nil {
		t.Fatal(err)
	}
	deps.Citizen = citizen
	api, err := agentui.NewServer(deps)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(api)
	t.Cleanup(e.srv.Close)
	t.Cleanup(citizen.Close)
	t.Cleanup(api.Close) // runs first: ends the websockets
	for _, u := range users {
		var out struct{ Token string }
		e.must(e.call("", "POST", "/api/v1/login", map[string]string{"username": u.Username, "password": testPassword}), 200, &out)
		e.tokens[u.Username] = out.Token
	}
	return e
}

// response is an API answer.
type response = apitest.Response

// call sends a request as user ("" for none); body is JSON-encoded unless
// it is already []byte.
func (e *env) call(user, method, path string, body any) response {
	e.t.Helper()
	switch b := body.(type) {
	case nil:
		return e.callWith(user, method, path, nil, "")
	case []byte:
		return e.callWith(user, method, path, b, "application/json")
	default:
		js, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		return e.callWith(user, method, path, js, "application/json")
	}
}

func (e *env) callWith(user, method, path string, body []byte, contentType string) response {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+e.tokens[user])
	}
	return e.do(req)
}

// do sends a request and reads the whole answer.
func (e *env) do(req *http.Request) response {
	e.t.Helper()
	return apitest.Do(e.t, e.srv.Client(), req)
}

// must checks the status and decodes the body into out (if not nil).
func (e *env) must(r response, status int, out any) {
	e.t.Helper()
	apitest.Must(e.t, r, status, out)
}

// errorCode returns the code of an error envelope, failing if the body is not one.
func (e *env) errorCode(r response) string {
	e.t.Helper()
	var env struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(r.Body, &env); err != nil || env.Error.Code == "" || env.Error.Message == "" {
		e.t.Fatalf("status %d without error envelope: %s", r.Status, r.Body)
	}
	return env.Error.Code
}

// ticket is the part of a ticket the tests read.
type ticket struct {
	ID            int64
	Number        string
	Status        string
	Department    string
	CoDepartments []string `json:"co_departments"`
	Citizen       ticketing.Citizen
	Confidential  bool
	SignDueAt     *time.Time `json:"sign_due_at"`
	DueAt         *time.Time `json:"due_at"`
	DispatchCount int        `json:"dispatch_count"`
	ReturnCount   int        `json:"return_count"`
	ReopenCount   int        `json:"reopen_count"`
	Satisfaction  *int
	MergedInto    *int64 `json:"merged_into"`
	Title         string
	Content       string
	Reply         string
	Version       int
}

func (e *env) newTicket(kind string, extra map[string]any) ticket {
	e.t.Helper()
	body := map[string]any{"kind": kind, "channel": "phone", "title": "小区夜间施工噪音", "content": "每晚十一点后仍在施工",
		"citizen": map[string]any{"name": "张三", "phone": "13812341234", "id_number": "11010519491231002X"}}
	for k, v := range extra {
		body[k] = v
	}
	var t ticket
	e.must(e.call("agent1", "POST", "/api/v1/tickets", body), 201, &t)
	return t
}

func (e *env) act(user string, id int64, action string, body any) response {
	e.t.Helper()
	return e.call(user, "POST", fmt.Sprintf("/api/v1/tickets/%d/actions/%s", id, action), body)
}

// mustAct takes an action that must succeed and returns the ticket.
func (e *env) mustAct(user string, id int64, action string, body any) ticket {
	e.t.Helper()
	var t ticket
	e.must(e.act(user, id, action, body), 200, &t)
	return t
}

func (e *env) get(user string, id int64) ticket {
	e.t.Helper()
	var t ticket
	e.must(e.call(user, "GET", fmt.Sprintf("/api/v1/tickets/%d", id), nil), 200, &t)
	return t
}

type event struct {
	Action  string
	From    string
	To      string
	Actor   struct{ Username, Role string }
	Payload map[string]any
}

func (e *env) events(id int64) []event {
	e.t.Helper()
	var out struct{ Items []event }
	e.must(e.call("admin", "GET", fmt.Sprintf("/api/v1/tickets/%d/events", id), nil), 200, &out)
	return out.Items
}

// queueInspector reads the queue statistics of the test Redis; the API
// tests run no workers, so they only read.
func queueInspector(t *testing.T) *asynq.Inspector {
	t.Helper()
	opt, err := redis.ParseURL(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	rc := redis.NewClient(opt)
	t.Cleanup(func() { rc.Close() })
	return asynq.NewInspectorFromRedisClient(rc)
}

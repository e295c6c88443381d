package citizenweb_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/citizenweb"
	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/internal/apitest"
	"github.com/open12345/hotline/internal/httpx"
	"github.com/open12345/hotline/knowledge"
	"github.com/open12345/hotline/knowledge/embedded"
	"github.com/open12345/hotline/phonecode"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/postgres/pgtest"
	"github.com/open12345/hotline/ticketing"
)

// env is the citizens' side behind the edge on a fresh database, with a
// fake clock at 2026-09-30 10:00 Shanghai time; staff act through the
// domain services as the users of actors.
type env struct {
	t       *testing.T
	srv     *httptest.Server
	db      *postgres.DB
	clock   *clock.Fake
	tickets *ticketing.Service
	guides  *knowledge.Service
	actors  map[string]auth.Actor // username → the staff user acting
	sms     *smsBox               // the SMS the public endpoints sent
}

// newEnv starts the citizens' side with changes to its dependencies. The
// per-address token bucket is wide enough not to get in the way of the
// limits under test.
func newEnv(t *testing.T, change ...func(*citizenweb.Deps)) *env {
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
	quotas := postgres.NewQuotaStore(db)
	e := &env{t: t, db: db, clock: clk, tickets: ticketing.NewService(store, clk, loc, log), actors: map[string]auth.Actor{}, sms: &smsBox{}}
	for _, d := range []ticketing.Department{{Code: "rsj", Name: "市人社局"}, {Code: "cgj", Name: "市城管局"}} {
		d.CreatedAt = clk.Now()
		if err := store.SaveDepartment(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	authn, err := auth.NewService(postgres.NewUserStore(db), quotas, clk, auth.FastHasher(), log)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []auth.NewUser{{Username: "admin", Role: auth.RoleAdmin}, {Username: "agent1", Role: auth.RoleAgent},
		{Username: "dept-cgj", Role: auth.RoleDepartment, Department: "cgj"}} {
		u.Password = "correct horse battery"
		added, err := authn.AddUser(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		e.actors[u.Username] = added.Actor()
	}
	ix := embedded.New()
	t.Cleanup(func() {
		if err := ix.Close(); err != nil {
			t.Error(err)
		}
	})
	e.guides = knowledge.NewService(postgres.NewGuideStore(db), ix, knowledge.NewAnalyzer(nil), clk, loc, log, nil)
	deps := citizenweb.Deps{Tickets: e.tickets, Guides: e.guides, Quotas: quotas,
		Codes: phonecode.NewService(postgres.NewPhoneCodeStore(db), quotas, e.sms, clk, log),
		Limit: httpx.Rate{PerSecond: 1000, Burst: 1000}, Clock: clk, Log: log}
	for _, c := range change {
		c(&deps)
	}
	cw, err := citizenweb.New(deps)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	cw.Routes(mux)
	e.srv = httptest.NewServer((&httpx.Edge{Log: log}).Handler(mux))
	t.Cleanup(e.srv.Close)
	t.Cleanup(cw.Close) // runs first: ends the websockets
	return e
}

// response is an answer of the server.
type response = apitest.Response

// call sends a request; body is JSON-encoded unless nil.
func (e *env) call(method, path string, body any) response {
	e.t.Helper()
	return e.callWithHeader(method, path, body, nil)
}

// callWithHeader is call with extra headers.
func (e *env) callWithHeader(method, path string, body any, headers map[string]string) response {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		js, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return apitest.Do(e.t, e.srv.Client(), req)
}

// must checks the status and decodes the body into out (if not nil).
func (e *env) must(r response, status int, out any) {
	e.t.Helper()
	apitest.Must(e.t, r, status, out)
}

// act takes a ticket action as a staff user, which must succeed.
func (e *env) act(user string, id int64, a ticketing.Action, req ticketing.Request) {
	e.t.Helper()
	if _, err := e.tickets.Act(context.Background(), e.actors[user], id, a, req); err != nil {
		e.t.Fatalf("%s %s: %v", user, a, err)
	}
}

// count returns how many tickets exist.
func (e *env) count() int {
	e.t.Helper()
	var n int
	if err := e.db.Pool.QueryRow(e.t.Context(), "SELECT count(*) FROM tickets").Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// smsBox is the SMS gateway of the tests: it keeps what was sent.
type smsBox struct {
	mu   sync.Mutex
	sent []string // "phone text"
	down bool     // the gateway fails
}

func (b *smsBox) Send(_ context.Context, phone, text string) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.down {
		return "", errors.New("gateway down")
	}
	b.sent = append(b.sent, phone+" "+text)
	return fmt.Sprintf("sms-%d", len(b.sent)), nil
}

var codePattern = regexp.MustCompile(`验证码是(\d{6})`)

// code returns the last code sent to phone.
func (b *smsBox) code(t *testing.T, phone string) string {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := len(b.sent) - 1; i >= 0; i-- {
		if m := codePattern.FindStringSubmatch(b.sent[i]); m != nil && strings.HasPrefix(b.sent[i], phone+" ") {
			return m[1]
		}
	}
	t.Fatalf("no code was sent to %s", phone)
	return ""
}

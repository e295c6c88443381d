package auth_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/postgres/pgtest"
)

const password = "correct horse battery"

// harness is an auth.Service on a fresh database with the fake clock, and
// the log it writes.
type harness struct {
	svc   *auth.Service
	clock *clock.Fake
	log   *bytes.Buffer
	logMu *sync.Mutex
}

func newHarness(t *testing.T, hasher auth.Hasher, opts ...auth.Option) *harness {
	t.Helper()
	db := pgtest.NewDB(t)
	h := &harness{clock: clock.NewFake(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)), log: &bytes.Buffer{}, logMu: &sync.Mutex{}}
	log := slog.New(slog.NewTextHandler(lockedWriter{h.log, h.logMu}, nil))
	svc, err := auth.NewService(postgres.NewUserStore(db), postgres.NewQuotaStore(db), h.clock, hasher, log, opts...)
	if err != nil {
		t.Fatal(err)
	}
	h.svc = svc
	for _, u := range []string{"admin", "agent1"} {
		role := auth.RoleAgent
		if u == "admin" {
			role = auth.RoleAdmin
		}
		if _, err := svc.AddUser(context.Background(), auth.NewUser{Username: u, Role: role, Password: password}); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

type lockedWriter struct {
	b  *bytes.Buffer
	mu *sync.Mutex
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (h *harness) logged() string {
	h.logMu.Lock()
	defer h.logMu.Unlock()
	return h.log.String()
}

func (h *harness) login(user, pass, client string) error {
	_, _, err := h.svc.Login(context.Background(), user, pass, client)
	return err
}

// burst runs n logins at once and counts the outcomes by error code ("" for success).
func (h *harness) burst(t *testing.T, n int, attempt func(i int) error) map[errs.Code]int {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	out := map[errs.Code]int{}
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			err := attempt(i)
			mu.Lock()
			out[errs.CodeOf(err)]++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	return out
}

// The attempt is counted before the password is checked, atomically with
// the limit: a burst of 100 gets exactly the 5 checks the limit allows
// (before, 75 of 100 were checked, and the right password passed at
// attempt 20 of 40).
func TestLogin_ParallelAttemptsCannotPassTheLimit(t *testing.T) {
	h := newHarness(t, auth.FastHasher())
	got := h.burst(t, 100, func(int) error { return h.login("agent1", "wrong password", "10.0.0.1") })
	if got[errs.Unauthorized] != 5 || got[errs.RateLimited] != 95 {
		t.Fatalf("100 parallel wrong passwords: %v, want 5 unauthorized and 95 rate_limited", got)
	}
	if err := h.login("agent1", password, "10.0.0.1"); !errs.Is(err, errs.RateLimited) {
		t.Fatalf("the right password from the throttled client: %v", err)
	}
	if errs.RetryAfterOf(h.login("agent1", password, "10.0.0.1")) <= 0 {
		t.Fatal("a throttled login says when to try again")
	}
}

// An attacker locks out only themselves: the owner logs in from a client
// with no failures (before, anyone could lock admin out for 15 minutes).
func TestLogin_LockoutIsPerClient(t *testing.T) {
	h := newHarness(t, auth.FastHasher())
	for range 5 {
		if err := h.login("admin", "guess", "203.0.113.9"); !errs.Is(err, errs.Unauthorized) {
			t.Fatal(err)
		}
	}
	if err := h.login("admin", password, "203.0.113.9"); !errs.Is(err, errs.RateLimited) {
		t.Fatalf("the attacker's client: %v, want rate_limited", err)
	}
	if err := h.login("admin", password, "10.1.2.3"); err != nil {
		t.Fatalf("the owner from another client: %v", err)
	}
	h.clock.Advance(15 * time.Minute)
	if err := h.login("admin", password, "203.0.113.9"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

// Many addresses guessing one username put it under attack: each client
// that failed then waits for its window, while a client that has not
// failed still logs in.
func TestLogin_UnderAttackEachFailedClientWaits(t *testing.T) {
	h := newHarness(t, auth.FastHasher())
	for i := range 20 {
		if err := h.login("admin", "guess", fmt.Sprintf("198.51.100.%d", i)); !errs.Is(err, errs.Unauthorized) {
			t.Fatal(err)
		}
	}
	if err := h.login("admin", "guess again", "198.51.100.3"); !errs.Is(err, errs.RateLimited) {
		t.Fatalf("a client that failed, under attack: %v, want rate_limited", err)
	}
	if err := h.login("admin", "guess", "198.51.100.200"); !errs.Is(err, errs.Unauthorized) {
		t.Fatalf("a new client has its one try: %v", err)
	}
	if err := h.login("admin", password, "10.1.2.3"); err != nil {
		t.Fatalf("the owner, under attack: %v", err)
	}
	if err := h.login("agent1", password, "198.51.100.3"); err != nil {
		t.Fatalf("another user from an attacking client: %v", err)
	}
}

// One client spraying a password over many usernames is stopped too.
func TestLogin_PerClientLimitOverAllUsernames(t *testing.T) {
	h := newHarness(t, auth.FastHasher())
	for i := range 50 {
		if err := h.login(fmt.Sprintf("user%d", i), "password1", "192.0.2.7"); !errs.Is(err, errs.Unauthorized) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	if err := h.login("agent1", password, "192.0.2.7"); !errs.Is(err, errs.RateLimited) {
		t.Fatalf("after 50 failures from the client: %v", err)
	}
}

// A username no account can have (20,000 characters, control characters)
// is refused before any lookup or hashing, and still counts and is logged
// (before, the failure insert failed, the error was swallowed, and 60
// attempts got 60×401 and no 429).
func TestLogin_MalformedUsernamesAreBoundedCountedAndLogged(t *testing.T) {
	h := newHarness(t, auth.FastHasher())
	long := strings.Repeat("a", 20_000)
	var invalid, limited int
	for range 60 {
		switch err := h.login(long, "x", "192.0.2.8"); errs.CodeOf(err) {
		case errs.Invalid:
			invalid++
		case errs.RateLimited:
			limited++
		default:
			t.Fatalf("a 20,000-character username: %v", err)
		}
	}
	if invalid != 50 || limited != 10 {
		t.Fatalf("60 attempts: %d invalid, %d rate_limited; want 50 and 10", invalid, limited)
	}
	if n := strings.Count(h.logged(), "login refused: malformed input"); n != 50 {
		t.Fatalf("logged %d refusals, want 50", n)
	}
	for _, name := range []string{strings.Repeat("b", 65), "a\x00b", "名字", "x"} {
		if err := h.login(name, password, "192.0.2.9"); !errs.Is(err, errs.Invalid) {
			t.Errorf("username %.20q: %v, want invalid", name, err)
		}
	}
	if err := h.login("agent1", strings.Repeat("p", 257), "192.0.2.9"); !errs.Is(err, errs.Invalid) {
		t.Errorf("a 257-byte password: %v, want invalid", err)
	}
}

// heapBytes reads the bytes of live and not yet swept heap objects.
func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// Password hashes run at most a few at once, so a burst of logins cannot
// take the memory of one Argon2id hash per request (60 logins took the
// process from 141 MB to 1.17 GB before); the memory returns afterwards.
func TestLogin_ConcurrentHashingIsBoundedInMemory(t *testing.T) {
	const mib = 1 << 20
	hasher := auth.Hasher{Time: 1, MemoryKiB: 8 * 1024, Threads: 1} // 8 MiB a hash
	h := newHarness(t, hasher, auth.WithHashing(2, time.Minute))
	runtime.GC()
	base := heapBytes()
	var peak atomic.Uint64
	done := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(200 * time.Microsecond) // sampling, not waiting for anything
		defer tick.Stop()
		for {
			if b := heapBytes(); b > peak.Load() {
				peak.Store(b)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	got := h.burst(t, 40, func(i int) error {
		return h.login(fmt.Sprintf("nobody%d", i), "guess", fmt.Sprintf("10.9.0.%d", i))
	})
	close(done)
	<-sampled
	if got[errs.Unauthorized] != 40 {
		t.Fatalf("40 logins: %v", got)
	}
	// Two hashes of 8 MiB live at once, plus garbage the collector has not
	// yet swept (up to the live heap again); forty unbounded would be 320 MiB.
	if grown := (peak.Load() - base) / mib; grown > 100 {
		t.Fatalf("the heap grew by %d MiB during 40 concurrent logins, want at most 100", grown)
	}
	runtime.GC()
	if after := heapBytes(); after > base+16*mib {
		t.Fatalf("after the burst the heap holds %d MiB more than before", (after-base)/mib)
	}
}

// A token's expiry holds even while the token is remembered in memory
// (before, a token issued for 3 s answered at 8 s).
func TestAuthenticate_CacheNeverOutlivesTheToken(t *testing.T) {
	h := newHarness(t, auth.FastHasher())
	ctx := context.Background()
	tok, err := h.svc.IssueToken(ctx, "agent1", 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.svc.Authenticate(ctx, tok); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(2 * time.Second)
	if _, _, err := h.svc.Authenticate(ctx, tok); err != nil {
		t.Fatalf("at 2 s: %v", err)
	}
	h.clock.Advance(1 * time.Second)
	if _, _, err := h.svc.Authenticate(ctx, tok); !errs.Is(err, errs.Unauthorized) {
		t.Fatalf("at 3 s the token has expired, got %v", err)
	}
}

// A client the user logged in from before keeps its five tries while the
// username is under attack, and stays open when it is locked down to
// every other client.
func TestLogin_KnownClientsKeepTheirTriesUnderAttack(t *testing.T) {
	h := newHarness(t, auth.FastHasher())
	if err := h.login("admin", password, "10.1.2.3"); err != nil { // the owner's desk
		t.Fatal(err)
	}
	for i := range 100 {
		if err := h.login("admin", "guess", fmt.Sprintf("198.51.%d.%d", i/200, i%200)); !errs.Is(err, errs.Unauthorized) && !errs.Is(err, errs.RateLimited) {
			t.Fatal(err)
		}
	}
	// Locked down: a new client is refused outright, with a wait.
	err := h.login("admin", password, "192.0.2.50")
	if !errs.Is(err, errs.RateLimited) || errs.RetryAfterOf(err) <= 0 || !strings.Contains(errs.Message(err), "place you used before") {
		t.Fatalf("a new client during a lockdown: %v", err)
	}
	// The owner mistypes twice and still logs in from the known desk.
	for range 2 {
		if err := h.login("admin", "typo", "10.1.2.3"); !errs.Is(err, errs.Unauthorized) {
			t.Fatalf("a typo from the known desk: %v", err)
		}
	}
	if err := h.login("admin", password, "10.1.2.3"); err != nil {
		t.Fatalf("the owner from the known desk: %v", err)
	}
	h.clock.Advance(15 * time.Minute)
	if err := h.login("admin", password, "192.0.2.50"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

// A client over its limits is refused before it waits for a hashing slot,
// so a flood from one address cannot keep everyone else from logging in:
// with one slot and no patience for it, the owner's logins, one after the
// other amid the flood, always find the slot free.
func TestLogin_ThrottledFloodTakesNoSlots(t *testing.T) {
	h := newHarness(t, auth.FastHasher(), auth.WithHashing(1, time.Millisecond))
	for i := range 50 {
		if err := h.login(fmt.Sprintf("user%d", i), "x-password", "203.0.113.9"); !errs.Is(err, errs.Unauthorized) {
			t.Fatal(err)
		}
	}
	owner := make(chan error, 1)
	got := h.burst(t, 300, func(i int) error {
		if i == 0 {
			for range 10 {
				if err := h.login("agent1", password, "10.1.2.3"); err != nil {
					owner <- err
					return err
				}
			}
			owner <- nil
			return nil
		}
		return h.login("agent1", "guess", "203.0.113.9")
	})
	if err := <-owner; err != nil {
		t.Fatalf("the owner during a throttled flood: %v", err)
	}
	if got[errs.RateLimited] != 299 {
		t.Fatalf("the flood: %v, want 299 rate_limited", got)
	}
}

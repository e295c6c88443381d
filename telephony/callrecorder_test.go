package telephony_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/internal/testenv"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/postgres/pgtest"
	"github.com/open12345/hotline/telephony"
)

// newCallLog is the call log of calls, closed at the test's end.
func newCallLog(t *testing.T, calls *telephony.Calls, opts ...telephony.RecorderOption) *telephony.CallRecorder {
	t.Helper()
	log := calls.CallLog(slog.New(slog.DiscardHandler), opts...)
	t.Cleanup(func() {
		if err := log.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return log
}

// faultyStore is a real call store whose WriteCalls fails as fail says
// (nil: it writes).
type faultyStore struct {
	telephony.CallStore
	fail   func(b telephony.CallBatch) error
	writes atomic.Int64
}

func (s *faultyStore) WriteCalls(ctx context.Context, b telephony.CallBatch) error {
	s.writes.Add(1)
	if err := s.fail(b); err != nil {
		return err
	}
	return s.CallStore.WriteCalls(ctx, b)
}

// logCall runs a call through log: started, keys 1 2 3, queued, rang,
// ended abandoned; it returns the record's ID.
func logCall(ctx context.Context, t *testing.T, log telephony.CallLog, caller string) int64 {
	t.Helper()
	now := time.Now()
	id, err := log.Started(ctx, caller, "12345", now)
	if err != nil {
		t.Error(err)
		return 0
	}
	for _, err := range []error{
		log.IVRDigit(ctx, id, '1', now), log.IVRDigit(ctx, id, '2', now), log.IVRDigit(ctx, id, '3', now),
		log.Queued(ctx, id, "consultation", now), log.Rang(ctx, id, "agent1", now),
		log.Ended(ctx, id, telephony.OutcomeAbandoned, telephony.HangupCaller, now),
	} {
		if err != nil {
			t.Error(err)
		}
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		t.Errorf("call id %q is not a record's", id)
	}
	return n
}

// checkLogged checks that call id's record is logCall's.
func checkLogged(ctx context.Context, t *testing.T, calls *telephony.Calls, id int64) {
	t.Helper()
	c, err := calls.Get(ctx, supervisor, id)
	if err != nil {
		t.Fatalf("call %d: %v", id, err)
	}
	var steps []string
	for _, e := range c.Events {
		steps = append(steps, string(e.Event)+" "+e.Detail)
	}
	want := []string{"started 12345", "digit 1", "digit 2", "digit 3", "queued consultation", "offered agent1", "ended abandoned"}
	if !slices.Equal(steps, want) || c.IVRPath != "123" || c.Queue != "consultation" || c.Outcome != telephony.OutcomeAbandoned ||
		c.HangupBy != telephony.HangupCaller {
		t.Fatalf("call %d: %+v, steps %q, want %q", id, c, steps, want)
	}
}

// Many calls logged at once are written with each call's steps in order,
// in far fewer transactions than steps.
func TestCallRecorder_KeepsEachCallsStepsInOrder(t *testing.T) {
	db := pgtest.NewDB(t)
	store := &faultyStore{CallStore: postgres.NewCallStore(db), fail: func(telephony.CallBatch) error { return nil }}
	calls := telephony.NewCalls(store, clock.System{})
	log := newCallLog(t, calls)
	ctx := context.Background()
	ids := make([]int64, 300)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() { ids[i] = logCall(ctx, t, log, fmt.Sprintf("1380013%04d", i)) })
	}
	wg.Wait()
	if err := log.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		checkLogged(ctx, t, calls, id)
	}
	if n := store.writes.Load(); n >= int64(len(ids)*7) {
		t.Errorf("%d transactions for %d steps: not batched", n, len(ids)*7)
	}
	cbs, _, err := calls.Callbacks(ctx, supervisor, telephony.CallbackFilter{Limit: telephony.MaxCallPage})
	if err != nil || len(cbs) != telephony.MaxCallPage || cbs[0].Reason != telephony.ReasonMissed {
		t.Fatalf("callbacks %d (%v), want a missed call each", len(cbs), err)
	}
}

// Close writes every step logged before it, and the log then refuses
// calls (the flow runs them under local ids).
func TestCallRecorder_CloseWritesWhatIsPending(t *testing.T) {
	db := pgtest.NewDB(t)
	gate := make(chan struct{}) // holds the first write, so that steps pile up behind it
	slow := &faultyStore{CallStore: postgres.NewCallStore(db), fail: func(telephony.CallBatch) error {
		<-gate
		return nil
	}}
	calls := telephony.NewCalls(slow, clock.System{})
	log := calls.CallLog(slog.New(slog.DiscardHandler))
	ctx := context.Background()
	var ids []int64
	for i := range 50 {
		ids = append(ids, logCall(ctx, t, log, fmt.Sprintf("1390013%04d", i)))
	}
	close(gate)
	if err := log.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		checkLogged(ctx, t, calls, id)
	}
	if _, err := log.Started(ctx, "13800138000", "12345", time.Now()); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("a call after Close: %v, want unavailable", err)
	}
}

// While the database is unavailable the writes wait and are tried again,
// in order; none is lost.
func TestCallRecorder_RetriesWhileTheDatabaseIsUnavailable(t *testing.T) {
	db := pgtest.NewDB(t)
	var down atomic.Bool
	down.Store(true)
	store := &faultyStore{CallStore: postgres.NewCallStore(db), fail: func(telephony.CallBatch) error {
		if down.Load() {
			return errs.E(errs.Unavailable, "database unavailable")
		}
		return nil
	}}
	calls := telephony.NewCalls(store, clock.System{})
	log := newCallLog(t, calls, telephony.WithRetryDelay(time.Millisecond))
	ctx := context.Background()
	first := logCall(ctx, t, log, "13800138000")
	testenv.Eventually(t, "the write tried and tried again", func() bool { return store.writes.Load() >= 3 })
	second := logCall(ctx, t, log, "13800138001")
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := log.Flush(short); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("flush while down: %v, want unavailable", err)
	}
	down.Store(false)
	if err := log.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	checkLogged(ctx, t, calls, first)
	checkLogged(ctx, t, calls, second)
}

// A batch the database refuses is written call by call: only the call it
// refuses is dropped, and logged.
func TestCallRecorder_DropsOnlyTheCallTheDatabaseRefuses(t *testing.T) {
	db := pgtest.NewDB(t)
	// The refused call is known by its caller: its id is reserved when it
	// starts, and its first write may be on its way by then.
	store := &faultyStore{CallStore: postgres.NewCallStore(db), fail: func(b telephony.CallBatch) error {
		if slices.ContainsFunc(b.Calls, func(w telephony.CallWrite) bool { return w.Call.Caller == "13800138009" }) {
			return errs.E(errs.Invalid, "refused")
		}
		return nil
	}}
	calls := telephony.NewCalls(store, clock.System{})
	var logs bytes.Buffer
	var logsMu sync.Mutex
	log := calls.CallLog(slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &logsMu}, nil)))
	ctx := context.Background()
	id, err := log.Started(ctx, "13800138009", "12345", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	var good []int64
	for i := range 20 {
		good = append(good, logCall(ctx, t, log, fmt.Sprintf("1370013%04d", i)))
	}
	if err := log.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range good {
		checkLogged(ctx, t, calls, id)
	}
	if _, err := calls.Get(ctx, supervisor, n); !errs.Is(err, errs.NotFound) {
		t.Fatalf("the refused call: %v, want not_found", err)
	}
	logsMu.Lock()
	defer logsMu.Unlock()
	if !strings.Contains(logs.String(), "dropped") || !strings.Contains(logs.String(), "call="+id) {
		t.Fatalf("logs %q, want the dropped call", logs.String())
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// A database down past Close's deadline loses the pending writes, which
// Close reports.
func TestCallRecorder_CloseReportsWhatItCouldNotWrite(t *testing.T) {
	db := pgtest.NewDB(t)
	store := &faultyStore{CallStore: postgres.NewCallStore(db), fail: func(telephony.CallBatch) error {
		return errs.E(errs.Unavailable, "database unavailable")
	}}
	log := telephony.NewCalls(store, clock.System{}).CallLog(slog.New(slog.DiscardHandler), telephony.WithRetryDelay(time.Millisecond))
	ctx := context.Background()
	logCall(ctx, t, log, "13800138000")
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := log.Close(short); err == nil || !strings.Contains(err.Error(), "1 calls") {
		t.Fatalf("close: %v, want one call's writes lost", err)
	}
}

// Two writers reserving blocks of ids from one database (two nodes), and
// Start beside them, never give two calls one id.
func TestCallRecorder_IDsNeverCollideAcrossWriters(t *testing.T) {
	db := pgtest.NewDB(t)
	calls := telephony.NewCalls(postgres.NewCallStore(db), clock.System{})
	logs := []*telephony.CallRecorder{newCallLog(t, calls), newCallLog(t, telephony.NewCalls(postgres.NewCallStore(db), clock.System{}))}
	ctx := context.Background()
	var mu sync.Mutex
	seen := map[int64]bool{}
	take := func(id int64) {
		mu.Lock()
		defer mu.Unlock()
		if seen[id] {
			t.Errorf("id %d given twice", id)
		}
		seen[id] = true
	}
	var wg sync.WaitGroup
	for _, log := range logs {
		for range 4 {
			wg.Go(func() {
				for range 150 { // more than a block each
					take(logCall(ctx, t, log, "13800138000"))
				}
			})
		}
	}
	wg.Go(func() {
		for range 50 {
			c, err := calls.Start(ctx, telephony.NewCall{Direction: telephony.Inbound, Caller: "13800138000", Callee: "12345"})
			if err != nil {
				t.Error(err)
				return
			}
			take(c.ID)
		}
	})
	wg.Wait()
	for _, log := range logs {
		if err := log.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if len(seen) != 2*4*150+50 {
		t.Fatalf("%d ids", len(seen))
	}
	for id := range seen {
		if _, err := calls.Get(ctx, supervisor, id); err != nil {
			t.Fatalf("call %d: %v", id, err)
		}
	}
}

// A step of a call the log does not hold is not_found; one of a call
// without a record (a local id) is skipped.
func TestCallRecorder_StepsOfUnknownCalls(t *testing.T) {
	calls := telephony.NewCalls(postgres.NewCallStore(pgtest.NewDB(t)), clock.System{})
	log := newCallLog(t, calls)
	ctx := context.Background()
	if err := log.Queued(ctx, "999999", "consultation", time.Now()); !errs.Is(err, errs.NotFound) {
		t.Fatalf("unknown call: %v, want not_found", err)
	}
	if err := log.Queued(ctx, telephony.LocalCallID(), "consultation", time.Now()); err != nil {
		t.Fatalf("local call: %v", err)
	}
	id := strconv.FormatInt(logCall(ctx, t, log, "13800138000"), 10)
	if err := log.Queued(ctx, id, "consultation", time.Now()); !errs.Is(err, errs.NotFound) {
		t.Fatalf("ended call: %v, want not_found", err)
	}
}

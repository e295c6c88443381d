package agentui_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
)

func (e *env) createWithKey(user, key string, body map[string]any) response {
	e.t.Helper()
	js, err := json.Marshal(body)
	if err != nil {
		e.t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/tickets", bytes.NewReader(js))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+e.tokens[user])
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	return e.do(req)
}

// A retry with the same Idempotency-Key answers the first ticket (the kill
// test showed a committed ticket whose answer was lost, so the client's
// retry made a duplicate).
func TestTickets_IdempotencyKey(t *testing.T) {
	e := newEnv(t)
	body := map[string]any{"kind": "help", "channel": "phone", "title": "路灯不亮", "content": "三天了"}
	before := e.count()
	var first ticket
	r := e.createWithKey("agent1", "7d1f0c4e-1", body)
	e.must(r, 201, &first)
	if r.Header.Get("Idempotent-Replayed") != "" {
		t.Fatal("a first request is not a replay")
	}
	var again ticket
	r = e.createWithKey("agent1", "7d1f0c4e-1", body)
	e.must(r, 201, &again)
	if again.ID != first.ID || again.Number != first.Number || r.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("the retry answered %+v (replayed %q), want ticket %d", again, r.Header.Get("Idempotent-Replayed"), first.ID)
	}
	// The same key for another request is refused; another user's keys are theirs.
	changed := map[string]any{"kind": "help", "channel": "phone", "title": "路灯不亮", "content": "四天了"}
	if r := e.createWithKey("agent1", "7d1f0c4e-1", changed); r.Status != 409 {
		t.Fatalf("the key reused for another request: %d", r.Status)
	}
	var other ticket
	e.must(e.createWithKey("agent2", "7d1f0c4e-1", body), 201, &other)
	if other.ID == first.ID {
		t.Fatal("another user's request with the same key got the first user's ticket")
	}
	for _, bad := range []string{"has space", strings.Repeat("k", 256), "键"} {
		if r := e.createWithKey("agent1", bad, body); r.Status != 400 {
			t.Fatalf("key %.10q: %d", bad, r.Status)
		}
	}
	// Parallel retries make one ticket.
	var wg sync.WaitGroup
	ids := make([]int64, 10)
	for i := range ids {
		wg.Go(func() {
			var tk ticket
			r := e.createWithKey("agent1", "parallel-key", body)
			if r.Status == 201 && json.Unmarshal(r.Body, &tk) == nil {
				ids[i] = tk.ID
			}
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id == 0 || id != ids[0] {
			t.Fatalf("parallel retries answered %v", ids)
		}
	}
	e.t = t
	if n := e.count() - before; n != 3 {
		t.Fatalf("%d tickets created, want 3", n)
	}
	// A day later the key may be used again.
	e.clock.Advance(25 * 3600e9)
	var later ticket
	e.must(e.createWithKey("agent1", "7d1f0c4e-1", body), 201, &later)
	if later.ID == first.ID {
		t.Fatal("an expired key still answered its first ticket")
	}
}

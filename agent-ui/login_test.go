package agentui_test

import (
	"strings"
	"sync"
	"testing"
)

// The audit's reproductions, through HTTP: parallel attempts against one
// user cannot pass the limit, and a 20,000-character username is refused
// with 400 and throttled like any other failure.
func TestLogin_ParallelAndOversizedAttemptsAreThrottled(t *testing.T) {
	e := newEnv(t)
	var mu sync.Mutex
	var wg sync.WaitGroup
	statuses := map[int]int{}
	start := make(chan struct{})
	for range 40 {
		wg.Go(func() {
			<-start
			r := e.call("", "POST", "/api/v1/login", map[string]string{"username": "agent2", "password": "wrong password"})
			mu.Lock()
			statuses[r.Status]++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	if statuses[401] != 5 || statuses[429] != 35 {
		t.Fatalf("40 parallel wrong passwords: %v, want 5×401 and 35×429", statuses)
	}

	long := strings.Repeat("a", 20_000)
	statuses = map[int]int{}
	for range 60 {
		r := e.call("", "POST", "/api/v1/login", map[string]string{"username": long, "password": "x"})
		statuses[r.Status]++
		e.errorCode(r)
	}
	// The client had 5 failures already: 45 more are answered 400, the rest 429.
	if statuses[400] != 45 || statuses[429] != 15 {
		t.Fatalf("60 logins with a 20,000-character username: %v, want 45×400 and 15×429", statuses)
	}
}

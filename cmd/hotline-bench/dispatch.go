package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/ticketing"
	"github.com/open12345/hotline/ticketing/dispatch"
)

const webhookSecret = "bench-webhook-secret-0123456789"

// receiver is the departments' webhook endpoint: it checks signatures,
// counts deliveries by ID, and times each dispatch from the ticket's
// dispatched_at (set by the server as the action began, before its commit).
type receiver struct {
	srv      *http.Server
	url      string
	mu       sync.Mutex
	latency  []time.Duration
	ids      map[string]int
	invalid  int
	received atomic.Int64
}

func newReceiver() (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &receiver{url: "http://" + ln.Addr().String() + "/hook", ids: map[string]int{}}
	r.srv = &http.Server{Handler: http.HandlerFunc(r.serve), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := r.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Println("receiver:", err)
		}
	}()
	return r, nil
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	now := time.Now()
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	var msg struct {
		Event      string `json:"event"`
		DeliveryID string `json:"delivery_id"`
		Ticket     struct {
			DispatchedAt *time.Time `json:"dispatched_at"`
		} `json:"ticket"`
	}
	if err == nil {
		err = json.Unmarshal(body, &msg)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil || !dispatch.Verify(webhookSecret, body, req.Header.Get("X-Hotline-Signature")) {
		r.invalid++
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	r.ids[msg.DeliveryID]++
	if msg.Event == "ticket.dispatched" && msg.Ticket.DispatchedAt != nil {
		r.latency = append(r.latency, now.Sub(*msg.Ticket.DispatchedAt))
	}
	r.received.Add(1)
}

// duplicates counts deliveries that arrived more than once.
func (r *receiver) duplicates() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.ids {
		n += c - 1
	}
	return n
}

func (r *receiver) close(ctx context.Context) error { return r.srv.Shutdown(ctx) }

// hookDepartments points every department's webhook at the receiver.
func (b *bench) hookDepartments(ctx context.Context, url string) error {
	for _, code := range benchDepartments() {
		d := ticketing.Department{Code: code, Name: "部门" + code, WebhookURL: url, WebhookSecret: webhookSecret, CreatedAt: time.Now()}
		if err := b.store.SaveDepartment(ctx, d); err != nil {
			return err
		}
	}
	return nil
}

// newTickets records n accepted tickets without a phone (so no SMS) and
// returns their IDs.
func (b *bench) newTickets(ctx context.Context, svc *ticketing.Service, n int) ([]int64, error) {
	agent := auth.Actor{Username: "agent1", Role: auth.RoleAgent}
	ids := make([]int64, 0, n)
	for i := range n {
		t, err := svc.Create(ctx, agent, ticketing.NewTicket{Kind: ticketing.KindComplaint, Channel: ticketing.ChannelPhone,
			Title: fmt.Sprintf("占道经营 %d", i), Content: "路口早市占道经营，影响通行。"})
		if err != nil {
			return nil, err
		}
		ids = append(ids, t.ID)
	}
	return ids, nil
}

func (b *bench) ticketService() (*ticketing.Service, error) {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return nil, err
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	return ticketing.NewService(b.store, clock.System{}, loc, quiet), nil
}

// dispatchLatency dispatches tickets through the API at a fixed rate and
// times each from the action to the webhook's arrival at the department.
func (b *bench) dispatchLatency(ctx context.Context) (row, error) {
	rc, err := newReceiver()
	if err != nil {
		return row{}, err
	}
	defer rc.close(ctx)
	if err := b.hookDepartments(ctx, rc.url); err != nil {
		return row{}, err
	}
	svc, err := b.ticketService()
	if err != nil {
		return row{}, err
	}
	total := int(float64(b.o.dispatchRate) * b.o.dispatchFor.Seconds())
	ids, err := b.newTickets(ctx, svc, total)
	if err != nil {
		return row{}, err
	}
	client := newClient(64)
	depts := benchDepartments()
	var failed atomic.Int64
	var wg sync.WaitGroup
	sem := make(chan struct{}, 128)
	tick := time.NewTicker(time.Second / time.Duration(b.o.dispatchRate))
	start := time.Now()
	for i, id := range ids {
		<-tick.C
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			body := fmt.Sprintf(`{"department":%q}`, depts[i%len(depts)])
			if err := b.post(ctx, client, fmt.Sprintf("/api/v1/tickets/%d/actions/dispatch", id), body); err != nil {
				failed.Add(1)
			}
		}()
	}
	tick.Stop()
	wg.Wait()
	sent := time.Since(start)
	want := int64(total) - failed.Load()
	deadline := time.Now().Add(2 * time.Minute)
	for rc.received.Load() < want && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(time.Second) // let any duplicate show up
	rc.mu.Lock()
	p50, p99 := percentiles(rc.latency)
	got := len(rc.latency)
	rc.mu.Unlock()
	r := row{name: fmt.Sprintf("dispatch → webhook at %d/s", b.o.dispatchRate), count: got,
		rate: float64(total) / sent.Seconds(), p50: p50, p99: p99,
		note: fmt.Sprintf("%d failed, %d missing, %d duplicate, %d bad signature", failed.Load(), want-int64(got), rc.duplicates(), rc.invalid)}
	return r, nil
}

// post sends an authorised JSON POST as agent1 and wants a 2xx answer.
func (b *bench) post(ctx context.Context, client *http.Client, path, body string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.base+path, bytes.NewReader([]byte(body)))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+b.tokens["agent1"])
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s: status %d", path, resp.StatusCode)
	}
	return nil
}

// Package eventbus carries live notices inside one hotline node: dispatch
// workers publish what happened to tickets, and the consoles' websocket
// hub subscribes. Publishing never blocks: a subscriber that does not keep
// up loses notices (and can resynchronise from the API), the publisher and
// the other subscribers never wait for it. A bus across nodes (Redis
// pub/sub) can implement the same Publish later.
package eventbus

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Notice is one live notice.
type Notice struct {
	Topic    string         `json:"topic"` // see DepartmentTopic and StaffTopic
	Type     string         `json:"type"`  // e.g. ticket.dispatched
	TicketID int64          `json:"ticket_id,omitempty"`
	Number   string         `json:"number,omitempty"`
	At       time.Time      `json:"at"`
	Data     map[string]any `json:"data,omitempty"`
}

// DepartmentTopic is the topic of a department's console.
func DepartmentTopic(code string) string { return "department:" + code }

// StaffTopic is the topic of the consoles of an audience of staff
// (agents or supervisors).
func StaffTopic(audience string) string { return "staff:" + audience }

// Publisher publishes notices.
type Publisher interface {
	Publish(ctx context.Context, n Notice)
}

// Local is the in-process bus.
type Local struct {
	mu   sync.RWMutex
	subs map[*Subscription]struct{}
}

// NewLocal returns an empty in-process bus.
func NewLocal() *Local { return &Local{subs: map[*Subscription]struct{}{}} }

// Subscription receives the notices whose topic it matches.
type Subscription struct {
	C       <-chan Notice
	c       chan Notice
	match   func(topic string) bool
	bus     *Local
	dropped atomic.Int64
	once    sync.Once
}

// Subscribe returns a subscription to the topics match accepts, buffering
// up to buffer notices. Close it when done.
func (b *Local) Subscribe(match func(topic string) bool, buffer int) *Subscription {
	c := make(chan Notice, max(buffer, 1))
	s := &Subscription{C: c, c: c, match: match, bus: b}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	return s
}

// Publish hands n to every matching subscriber that has room.
func (b *Local) Publish(_ context.Context, n Notice) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for s := range b.subs {
		if !s.match(n.Topic) {
			continue
		}
		select {
		case s.c <- n:
		default:
			s.dropped.Add(1)
		}
	}
}

// Dropped returns how many notices the subscription lost because its
// buffer was full.
func (s *Subscription) Dropped() int64 { return s.dropped.Load() }

// Close ends the subscription and closes C.
func (s *Subscription) Close() {
	s.once.Do(func() {
		s.bus.mu.Lock()
		delete(s.bus.subs, s)
		s.bus.mu.Unlock()
		close(s.c)
	})
}

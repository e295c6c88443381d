package telephony

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/open12345/hotline/clock"
)

// ReachableFunc learns that an agent's phones became reachable (the first
// binding) or unreachable (the last one went). Calls arrive one at a time,
// in the order of the changes; it may call Lookup but not register.
type ReachableFunc func(agent string, reachable bool)

// Registrar keeps the bindings of agents' phones in the store and in
// memory, expires them on the clock and reports reachability. The store
// write comes first, so that a restart (Load) forgets nothing that was
// acknowledged.
type Registrar struct {
	store       Store
	clock       clock.Clock
	onReachable ReachableFunc
	log         *slog.Logger

	mu      sync.Mutex
	agents  map[string][]*binding
	closed  bool
	hookMu  sync.Mutex // held while calling onReachable, taken under mu
	timeout time.Duration
}

// binding is a registration with its expiry timer.
type binding struct {
	Registration
	timer clock.Timer
}

// NewRegistrar returns a registrar on store; onReachable may be nil.
func NewRegistrar(store Store, clk clock.Clock, onReachable ReachableFunc, log *slog.Logger) *Registrar {
	if onReachable == nil {
		onReachable = func(string, bool) {}
	}
	return &Registrar{store: store, clock: clk, onReachable: onReachable, log: log,
		agents: map[string][]*binding{}, timeout: 5 * time.Second}
}

// Load reads the stored bindings (after a restart), dropping the expired
// ones, and reports each agent with a binding reachable.
func (r *Registrar) Load(ctx context.Context) error {
	regs, err := r.store.Registrations(ctx)
	if err != nil {
		return fmt.Errorf("load registrations: %w", err)
	}
	for _, reg := range regs {
		if !reg.Expires.After(r.clock.Now()) {
			if err := r.store.DeleteRegistration(ctx, reg.Agent, reg.Contact); err != nil {
				return fmt.Errorf("drop expired registration: %w", err)
			}
			continue
		}
		r.mu.Lock()
		r.report(reg.Agent, r.put(reg), true) // unlocks r.mu
	}
	return nil
}

// Register stores reg (new or refreshed) until reg.Expires.
func (r *Registrar) Register(ctx context.Context, reg Registration) error {
	r.mu.Lock()
	if err := r.store.SaveRegistration(ctx, reg); err != nil {
		r.mu.Unlock()
		return fmt.Errorf("register %s: %w", reg.Agent, err)
	}
	became := r.put(reg)
	r.report(reg.Agent, became, true) // unlocks r.mu
	return nil
}

// put adds or refreshes a binding and reports whether it is the agent's
// first. The caller holds r.mu.
func (r *Registrar) put(reg Registration) bool {
	bs := r.agents[reg.Agent]
	first := len(bs) == 0
	for i, b := range bs {
		if b.Contact == reg.Contact {
			b.timer.Stop()
			bs = append(bs[:i], bs[i+1:]...)
			break
		}
	}
	b := &binding{Registration: reg}
	b.timer = r.clock.AfterFunc(reg.Expires.Sub(r.clock.Now()), func() { r.expire(b) })
	r.agents[reg.Agent] = append(bs, b)
	return first
}

// Unregister removes one binding of agent.
func (r *Registrar) Unregister(ctx context.Context, agent, contact string) error {
	r.mu.Lock()
	if err := r.store.DeleteRegistration(ctx, agent, contact); err != nil {
		r.mu.Unlock()
		return fmt.Errorf("unregister %s: %w", agent, err)
	}
	r.report(agent, r.drop(agent, func(b *binding) bool { return b.Contact == contact }), false)
	return nil
}

// UnregisterAll removes every binding of agent (Contact: *).
func (r *Registrar) UnregisterAll(ctx context.Context, agent string) error {
	for _, reg := range r.Contacts(agent) {
		if err := r.Unregister(ctx, agent, reg.Contact); err != nil {
			return err
		}
	}
	return nil
}

// expire drops b once its time has come, unless it was refreshed.
func (r *Registrar) expire(b *binding) {
	r.mu.Lock()
	if r.closed || b.Expires.After(r.clock.Now()) || !r.current(b) {
		r.mu.Unlock()
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
	defer cancel()
	if err := r.store.DeleteRegistration(ctx, b.Agent, b.Contact); err != nil {
		// The row is expired; Load drops it on the next start.
		r.log.Warn("sip: drop expired registration", "agent", b.Agent, "error", err)
	}
	r.report(b.Agent, r.drop(b.Agent, func(x *binding) bool { return x == b }), false)
}

// current reports whether b is still held (not refreshed or removed).
// The caller holds r.mu.
func (r *Registrar) current(b *binding) bool {
	for _, x := range r.agents[b.Agent] {
		if x == b {
			return true
		}
	}
	return false
}

// drop removes the agent's bindings that match and reports whether none
// is left of at least one. The caller holds r.mu.
func (r *Registrar) drop(agent string, match func(*binding) bool) bool {
	bs := r.agents[agent]
	kept := bs[:0]
	for _, b := range bs {
		if match(b) {
			b.timer.Stop()
			continue
		}
		kept = append(kept, b)
	}
	if len(kept) == 0 {
		delete(r.agents, agent)
		return len(bs) > 0
	}
	r.agents[agent] = kept
	return false
}

// report unlocks r.mu and, if changed, tells onReachable, keeping the
// order of changes.
func (r *Registrar) report(agent string, changed, reachable bool) {
	if !changed {
		r.mu.Unlock()
		return
	}
	r.hookMu.Lock()
	r.mu.Unlock()
	defer r.hookMu.Unlock()
	r.onReachable(agent, reachable)
}

// Lookup returns the agent's binding that registered last: the phone to
// ring.
func (r *Registrar) Lookup(agent string) (Registration, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var last *binding
	for _, b := range r.agents[agent] {
		if last == nil || !b.Updated.Before(last.Updated) {
			last = b
		}
	}
	if last == nil {
		return Registration{}, false
	}
	return last.Registration, true
}

// Contacts returns the agent's bindings, oldest registration first.
func (r *Registrar) Contacts(agent string) []Registration {
	r.mu.Lock()
	defer r.mu.Unlock()
	regs := make([]Registration, 0, len(r.agents[agent]))
	for _, b := range r.agents[agent] {
		regs = append(regs, b.Registration)
	}
	return regs
}

// Counts returns how many bindings are held and how many agents have at
// least one (are reachable).
func (r *Registrar) Counts() (bindings, agents int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, bs := range r.agents {
		bindings += len(bs)
	}
	return bindings, len(r.agents)
}

// Close stops the expiry timers; the stored bindings stay for Load.
func (r *Registrar) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	for _, bs := range r.agents {
		for _, b := range bs {
			b.timer.Stop()
		}
	}
}

package routing

import (
	"crypto/rand"
	"encoding/hex"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/errs"
)

// Engine routes contacts to agents. It is safe for concurrent use; every
// change runs under one lock, and the events it causes are queued, in
// order, for every subscription before the lock is released.
type Engine struct {
	mu       sync.Mutex
	clock    clock.Clock
	cfg      Config
	queues   map[string]*queue
	agents   map[string]*agent
	contacts map[string]*contact // waiting, offered or connected
	offers   map[string]*offer
	timers   timerHeap
	seq      uint64
	prefix   string // makes generated ids unique across restarts
	day      time.Time
	dirty    map[*agent]struct{}
	dirtyQ   map[string]struct{}
	pending  []Event
	evSeq    uint64 // the last event's Seq
	wake     chan struct{}
	subs     []*Subscription

	required channels            // the channels an agent needs a device for
	devices  map[string]channels // agent id → channels a device of the agent can ring for
}

type queue struct {
	cfg     QueueConfig
	lines   map[Channel]*line
	members []*agent // sorted by id, for round robin
	rrLast  string
	stats   counters
}

type counters struct {
	answered, abandoned, timedOut int
	within                        []int // answered within each service level threshold
}

type agent struct {
	Profile
	online    bool
	ready     bool // the agent chose ready
	reason    Reason
	heldWrap  bool // the agent holds wrap-up until choosing again
	wrapUntil time.Time
	devices   channels // what a device of the agent can ring for (see SetReachable)
	contacts  []*contact
	offer     *offer
	idleSince time.Time
	answered  int
	state     State
	shown     Reason
	since     time.Time
}

type contact struct {
	Contact
	status     ContactStatus
	arrived    time.Time // first arrival, kept through transfers: the fairness order
	enqueued   time.Time // arrival in the current queue: waits and service levels count from here
	seq        uint64
	lines      map[*line]int
	offers     []*offer
	declined   map[*agent]bool
	agent      *agent
	answeredAt time.Time
	endedAt    time.Time
	overflowed bool
	deadline   time.Time // maximum wait (zero: none)
	visit      uint64    // counts the queues it has entered, so old timers know they are stale
}

type offer struct {
	id      string
	contact *contact
	agent   *agent
	expires time.Time
	ringAll bool
}

// New returns an engine with no queues and no agents.
func New(clk clock.Clock, cfg Config) *Engine {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	e := &Engine{clock: clk, cfg: cfg.withDefaults(), queues: map[string]*queue{}, agents: map[string]*agent{},
		contacts: map[string]*contact{}, offers: map[string]*offer{}, prefix: hex.EncodeToString(b[:]),
		dirty: map[*agent]struct{}{}, dirtyQ: map[string]struct{}{}, wake: make(chan struct{}, 1),
		devices: map[string]channels{}}
	e.day = e.dayOf(e.now())
	return e
}

// lock starts a change at the current time.
func (e *Engine) lock() time.Time {
	e.mu.Lock()
	now := e.now()
	e.rollDay(now)
	return now
}

// rollDay starts the day's figures afresh once now is past local
// midnight. Views call it too, so that a quiet night does not show
// yesterday's figures until the next change.
func (e *Engine) rollDay(now time.Time) {
	if d := e.dayOf(now); d.After(e.day) {
		e.day = d
		for _, q := range e.queues {
			q.stats = counters{within: make([]int, len(e.cfg.ServiceLevels))}
		}
		for _, a := range e.agents {
			a.answered = 0
		}
	}
}

// unlock ends a change: it turns what changed into events, queues them for
// every subscription and releases the lock. Queuing under the lock keeps
// the changes in one order for all subscribers; nothing here waits for a
// subscriber.
func (e *Engine) unlock(now time.Time) {
	for a := range e.dirty {
		e.refresh(a, now)
		v := e.agentView(a, now)
		e.pending = append(e.pending, Event{Kind: EventAgent, At: now, Agent: &v})
	}
	clear(e.dirty)
	for q := range e.dirtyQ {
		e.pending = append(e.pending, Event{Kind: EventQueue, At: now, Queue: q})
	}
	clear(e.dirtyQ)
	for i := range e.pending {
		e.evSeq++
		e.pending[i].Seq = e.evSeq
	}
	for _, s := range e.subs {
		s.push(e.pending)
	}
	clear(e.pending)
	e.pending = e.pending[:0]
	e.mu.Unlock()
}

func (e *Engine) emit(ev Event) { e.pending = append(e.pending, ev) }

// now is the clock's time in the engine's zone, so that every time the
// engine hands out reads as local time.
func (e *Engine) now() time.Time { return e.clock.Now().In(e.cfg.Location) }

func (e *Engine) dayOf(t time.Time) time.Time {
	y, m, d := t.In(e.cfg.Location).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, e.cfg.Location)
}

func (e *Engine) nextID(kind string) string {
	e.seq++
	return kind + e.prefix + strconv.FormatUint(e.seq, 36)
}

// SetQueue adds a queue or changes one; a changed strategy or limit
// applies to the next decision. Errors: invalid.
func (e *Engine) SetQueue(cfg QueueConfig) error {
	if err := cfg.Normalize(); err != nil {
		return err
	}
	now := e.lock()
	defer e.unlock(now)
	q, ok := e.queues[cfg.Name]
	if !ok {
		q = &queue{lines: map[Channel]*line{}, stats: counters{within: make([]int, len(e.cfg.ServiceLevels))}}
		for _, ch := range []Channel{Voice, Chat} {
			q.lines[ch] = &line{queue: q, channel: ch}
		}
		e.queues[cfg.Name] = q
	}
	q.cfg = cfg
	e.rebuildMembers(q)
	e.dirtyQ[cfg.Name] = struct{}{}
	for _, a := range q.members {
		e.routeAgent(a, now)
	}
	return nil
}

// Queues returns every queue's configuration, by name.
func (e *Engine) Queues() []QueueConfig {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]QueueConfig, 0, len(e.queues))
	for _, q := range e.queues {
		out = append(out, q.cfg)
	}
	slices.SortFunc(out, func(a, b QueueConfig) int { return cmpString(a.Name, b.Name) })
	return out
}

func (e *Engine) rebuildMembers(q *queue) {
	q.members = q.members[:0]
	for _, a := range e.agents {
		if a.Skills[q.cfg.Name] > 0 {
			q.members = append(q.members, a)
		}
	}
	slices.SortFunc(q.members, func(a, b *agent) int { return cmpString(a.ID, b.ID) })
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// SetProfile adds an agent (offline) or changes an agent's name, skills
// and chat capacity. Errors: invalid.
func (e *Engine) SetProfile(p Profile) (AgentView, error) {
	if err := p.Normalize(); err != nil {
		return AgentView{}, err
	}
	now := e.lock()
	defer e.unlock(now)
	a := e.setProfile(p, now)
	e.routeAgent(a, now)
	return e.agentView(a, now), nil
}

func (e *Engine) setProfile(p Profile, now time.Time) *agent {
	if p.ChatCapacity == 0 {
		p.ChatCapacity = e.cfg.ChatCapacity
	}
	p.Skills = maps.Clone(p.Skills)
	a, ok := e.agents[p.ID]
	if !ok {
		a = &agent{state: Offline, since: now, idleSince: now, devices: e.devices[p.ID]}
		e.agents[p.ID] = a
	}
	old := a.Skills
	a.Profile = p
	for name, q := range e.queues {
		if old[name] > 0 || p.Skills[name] > 0 {
			e.rebuildMembers(q)
			e.dirtyQ[name] = struct{}{}
		}
	}
	e.dirty[a] = struct{}{}
	return a
}

// Login puts an agent online, not ready, with the given profile; an agent
// already online keeps its state and takes the new profile. Errors: invalid.
func (e *Engine) Login(p Profile) (AgentView, error) {
	if err := p.Normalize(); err != nil {
		return AgentView{}, err
	}
	now := e.lock()
	defer e.unlock(now)
	a := e.setProfile(p, now)
	if !a.online {
		a.online, a.ready, a.reason, a.heldWrap = true, false, ReasonNone, false
	}
	e.routeAgent(a, now)
	return e.agentView(a, now), nil
}

// Logout takes an agent offline: a ringing offer goes to the next agent;
// contacts in progress stay with the agent until they end. Errors: not_found.
func (e *Engine) Logout(id string) (AgentView, error) {
	now := e.lock()
	defer e.unlock(now)
	a, ok := e.agents[id]
	if !ok {
		return AgentView{}, errs.E(errs.NotFound, "no agent %s", id)
	}
	a.online, a.ready, a.reason, a.heldWrap = false, false, ReasonNone, false
	e.dirty[a] = struct{}{}
	if a.offer != nil {
		e.withdrawAndRequeue(a.offer, WithdrawnOffline, now)
	}
	return e.agentView(a, now), nil
}

// SetPresence is the agent's own choice: ready; not ready with a reason;
// or wrap-up, held until the agent chooses again. Choosing ready or not
// ready ends wrap-up; not ready (or wrap-up) withdraws a ringing offer.
// Errors: not_found, invalid, conflict (offline).
func (e *Engine) SetPresence(id string, state State, reason Reason) (AgentView, error) {
	switch {
	case state == NotReady && reason != ReasonNone && !slices.Contains(Reasons, reason):
		return AgentView{}, errs.E(errs.Invalid, "unknown reason %q", reason)
	case state != NotReady && reason != ReasonNone:
		return AgentView{}, errs.E(errs.Invalid, "only not_ready takes a reason")
	case state != Ready && state != NotReady && state != WrapUp:
		return AgentView{}, errs.E(errs.Invalid, "state must be ready, not_ready or wrap_up")
	}
	now := e.lock()
	defer e.unlock(now)
	a, ok := e.agents[id]
	if !ok {
		return AgentView{}, errs.E(errs.NotFound, "no agent %s", id)
	}
	if !a.online {
		return AgentView{}, errs.E(errs.Conflict, "agent %s is offline", id)
	}
	e.dirty[a] = struct{}{}
	switch state {
	case WrapUp:
		a.heldWrap = true
	default:
		a.ready, a.reason, a.heldWrap, a.wrapUntil = state == Ready, reason, false, time.Time{}
	}
	if a.offer != nil && state != Ready {
		e.withdrawAndRequeue(a.offer, WithdrawnDeclined, now)
	}
	e.routeAgent(a, now)
	return e.agentView(a, now), nil
}

// Enqueue puts a contact in its queue and offers it at once when an agent
// can take it. Errors: invalid, not_found (queue), conflict (id in use).
func (e *Engine) Enqueue(in Contact) (ContactView, error) {
	switch {
	case !in.Channel.Valid():
		return ContactView{}, errs.E(errs.Invalid, "channel must be voice or chat")
	case in.Priority < 0 || in.Priority > MaxPriority:
		return ContactView{}, errs.E(errs.Invalid, "priority must be 0-%d", MaxPriority)
	case len(in.ID) > 128 || len(in.Caller) > 64 || len(in.Ref) > 128:
		return ContactView{}, errs.E(errs.Invalid, "contact id, caller or ref too long")
	}
	in.Outbound = false // placed only by Place
	now := e.lock()
	defer e.unlock(now)
	q, ok := e.queues[in.Queue]
	if !ok {
		return ContactView{}, errs.E(errs.NotFound, "no queue %q", in.Queue)
	}
	if in.ID == "" {
		in.ID = e.nextID("c")
	} else if _, taken := e.contacts[in.ID]; taken {
		return ContactView{}, errs.E(errs.Conflict, "contact %s is already routed", in.ID)
	}
	e.seq++
	c := &contact{Contact: in, status: Waiting, arrived: now, seq: e.seq,
		lines: map[*line]int{}, declined: map[*agent]bool{}}
	e.contacts[c.ID] = c
	e.enterQueue(c, q, now)
	e.routeContact(c, now)
	return c.view(), nil
}

// enterQueue makes c wait in q from now, with q's overflow and maximum wait.
func (e *Engine) enterQueue(c *contact, q *queue, now time.Time) {
	c.Queue, c.enqueued, c.status, c.overflowed = q.cfg.Name, now, Waiting, false
	c.deadline = time.Time{}
	c.visit++
	if q.cfg.MaxWaitSeconds > 0 {
		c.deadline = now.Add(seconds(q.cfg.MaxWaitSeconds))
		e.schedule(timer{at: c.deadline, kind: timerMaxWait, contact: c, visit: c.visit})
	}
	if q.cfg.OverflowAfterSeconds > 0 {
		e.schedule(timer{at: now.Add(seconds(q.cfg.OverflowAfterSeconds)), kind: timerOverflow, contact: c, visit: c.visit})
	}
	e.waitInLines(c)
}

// waitInLines puts c in the lines of its queue and, once overflowed, of
// the overflow queue.
func (e *Engine) waitInLines(c *contact) {
	c.status = Waiting
	q := e.queues[c.Queue]
	if q != nil {
		q.lines[c.Channel].add(c)
		e.dirtyQ[q.cfg.Name] = struct{}{}
	}
	if c.overflowed && q != nil {
		if o := e.queues[q.cfg.OverflowTo]; o != nil {
			o.lines[c.Channel].add(c)
			e.dirtyQ[o.cfg.Name] = struct{}{}
		}
	}
}

func (e *Engine) leaveLines(c *contact) {
	for l := range c.lines {
		l.remove(c)
		e.dirtyQ[l.queue.cfg.Name] = struct{}{}
	}
}

func seconds(n int) time.Duration { return time.Duration(n) * time.Second }

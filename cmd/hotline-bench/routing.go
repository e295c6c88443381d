package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"syscall"
	"time"

	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/routing"
)

const (
	routingAgents  = 1000
	routingWaiting = 10000
	// routingExpireEvery is how many iterations (each a simulated
	// millisecond) pass between calls of Expire, as Run would make them.
	routingExpireEvery = 100
)

// routingQueues are the benchmark's voice queues: every strategy but ring
// all (which rings every ready member at once), wrap-up 0, no overflow and
// no maximum wait, so that only the decisions themselves are measured.
var routingQueues = []routing.QueueConfig{
	{Name: "consultation", Strategy: routing.LongestIdle},
	{Name: "complaint", Strategy: routing.LongestIdle},
	{Name: "suggestion", Strategy: routing.RoundRobin},
	{Name: "general", Strategy: routing.FewestAnswered},
	{Name: "housing", Strategy: routing.SkillLevel},
	{Name: "transport", Strategy: routing.LongestIdle},
}

// routingSim drives one engine from one goroutine with a fake clock: it
// accepts every offer at once and remembers each agent's contact.
type routingSim struct {
	e       *routing.Engine
	events  *routing.Subscription
	clk     *clock.Fake
	rng     *rand.Rand
	agents  []string
	offers  map[string]string // agent → ringing offer
	busy    map[string]string // agent → connected contact
	offered int               // offers made so far: the decisions
}

// newRoutingSim logs in n agents (not ready), each with one to three
// random queues at random levels.
func newRoutingSim(n int) (*routingSim, error) {
	clk := clock.NewFake(time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC))
	s := &routingSim{e: routing.New(clk, routing.Config{}), clk: clk, rng: rand.New(rand.NewPCG(12345, 1)),
		offers: map[string]string{}, busy: map[string]string{}}
	s.events = s.e.Subscribe()
	for _, q := range routingQueues {
		q.Title, q.RingSeconds = q.Name, 15
		if err := s.e.SetQueue(q); err != nil {
			return nil, err
		}
	}
	for i := range n {
		p := routing.Profile{ID: fmt.Sprintf("agent%04d", i), Skills: map[string]int{}}
		p.Name = p.ID
		for range 1 + s.rng.IntN(3) {
			p.Skills[routingQueues[s.rng.IntN(len(routingQueues))].Name] = 1 + s.rng.IntN(routing.MaxSkillLevel)
		}
		if _, err := s.e.Login(p); err != nil {
			return nil, err
		}
		s.agents = append(s.agents, p.ID)
	}
	return s, nil
}

// takeEvents takes the events queued so far, on the benchmark's goroutine:
// the events of the engine's calls are queued by the time they return.
func (s *routingSim) takeEvents() {
	for ev, ok := s.events.TryNext(); ok; ev, ok = s.events.TryNext() {
		if ev.Kind == routing.EventOffer {
			s.offers[ev.Offer.Agent] = ev.Offer.ID
			s.offered++
		}
	}
}

// arrive enqueues a voice call in a random queue.
func (s *routingSim) arrive() error {
	_, err := s.e.Enqueue(routing.Contact{Channel: routing.Voice,
		Queue: routingQueues[s.rng.IntN(len(routingQueues))].Name, Caller: "13800000000"})
	return err
}

// acceptAll accepts every offer ringing (there is at most one).
func (s *routingSim) acceptAll() error {
	s.takeEvents()
	for agent, offer := range s.offers {
		delete(s.offers, agent)
		c, err := s.e.Accept(agent, offer)
		if err != nil {
			return err
		}
		s.busy[agent] = c.ID
	}
	return nil
}

// hangUp ends the agent's contact, if any (wrap-up 0: the agent is free
// at once and is offered the best contact waiting for it).
func (s *routingSim) hangUp(agent string) error {
	id, ok := s.busy[agent]
	if !ok {
		return nil
	}
	delete(s.busy, agent)
	_, err := s.e.End(id)
	return err
}

// answerAndHangUp accepts the ringing offer and ends its contact at once.
func (s *routingSim) answerAndHangUp() error {
	s.takeEvents()
	for agent := range s.offers {
		if err := s.acceptAll(); err != nil {
			return err
		}
		return s.hangUp(agent)
	}
	return nil
}

// tick moves the fake clock a millisecond and fires due timers now and then.
func (s *routingSim) tick(i int) {
	s.clk.Advance(time.Millisecond)
	if i%routingExpireEvery == 0 {
		s.e.Expire()
	}
}

func (s *routingSim) waiting() int {
	n := 0
	for _, q := range s.e.Stats() {
		n += q.Waiting
	}
	return n
}

// routingBench measures routing decisions in-process: with every agent
// busy and a long queue, and with every agent ready and no queue.
func routingBench(ctx context.Context, o options) ([]row, error) {
	if path := os.Getenv("HOTLINE_BENCH_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
		defer pprof.StopCPUProfile()
	}
	busy, err := routingBusy(ctx, o.routingFor)
	if err != nil {
		return nil, err
	}
	idle, err := routingArrivals(ctx, o.routingFor)
	if err != nil {
		return nil, err
	}
	return []row{busy, idle}, nil
}

// routingBusy keeps 1,000 agents busy and 10,000 contacts waiting: each
// iteration a random agent hangs up, is offered and accepts the best
// contact it can serve, and a new contact arrives.
func routingBusy(ctx context.Context, d time.Duration) (row, error) {
	s, err := newBusySim()
	if err != nil {
		return row{}, err
	}
	waitingBefore := s.waiting()
	step := func() error {
		if err := s.hangUp(s.agents[s.rng.IntN(len(s.agents))]); err != nil {
			return err
		}
		if err := s.acceptAll(); err != nil {
			return err
		}
		if err := s.arrive(); err != nil {
			return err
		}
		// An agent whose queues were empty is offered the new arrival.
		return s.acceptAll()
	}
	m, err := routingLoop(ctx, s, d, step, nil)
	if err != nil {
		return row{}, err
	}
	return row{name: fmt.Sprintf("routing, %d busy agents, %d waiting", routingAgents, routingWaiting),
		count: m.decisions, rate: float64(m.decisions) / m.wall.Seconds(), p50: m.p50, p99: m.p99,
		note: fmt.Sprintf("timed: each iteration, hang-up → offer → accept → arrival; %d busy, %d→%d waiting; %s",
			len(s.busy), waitingBefore, s.waiting(), m.footnote())}, nil
}

// newBusySim has 11,000 contacts arrive while nobody is ready; then each
// agent becomes ready and accepts the best of them it can serve.
func newBusySim() (*routingSim, error) {
	s, err := newRoutingSim(routingAgents)
	if err != nil {
		return nil, err
	}
	for range routingWaiting + routingAgents {
		if err := s.arrive(); err != nil {
			return nil, err
		}
	}
	for _, a := range s.agents {
		if _, err := s.e.SetPresence(a, routing.Ready, routing.ReasonNone); err != nil {
			return nil, err
		}
		if err := s.acceptAll(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// routingArrivals keeps 1,000 agents ready and nobody waiting: each
// iteration a contact arrives and is offered to an agent (the decision,
// timed alone), who accepts and hangs up, ready again at once.
func routingArrivals(ctx context.Context, d time.Duration) (row, error) {
	s, err := newRoutingSim(routingAgents)
	if err != nil {
		return row{}, err
	}
	for _, a := range s.agents {
		if _, err := s.e.SetPresence(a, routing.Ready, routing.ReasonNone); err != nil {
			return row{}, err
		}
	}
	m, err := routingLoop(ctx, s, d, s.arrive, s.answerAndHangUp)
	if err != nil {
		return row{}, err
	}
	return row{name: fmt.Sprintf("routing, arrival with %d ready agents", routingAgents),
		count: m.decisions, rate: float64(m.decisions) / m.timed.Seconds(), p50: m.p50, p99: m.p99,
		note: fmt.Sprintf("timed: Enqueue alone (the rate too); whole arrival → accept → hang-up cycle %.0f/s; %d left waiting; %s",
			float64(m.iterations)/m.wall.Seconds(), s.waiting(), m.footnote())}, nil
}

// loopFigures are one measured loop's figures.
type loopFigures struct {
	iterations, decisions int
	wall, timed, p50, p99 time.Duration
	cpu                   time.Duration // this process's CPU time: what other processes on the machine do not skew
	allocs, bytes         float64       // per decision
	gcs                   uint32
}

func (m loopFigures) footnote() string {
	us := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1000 }
	return fmt.Sprintf("%.0f decisions per CPU second (whole iteration); timed part p50 %.1fµs, p99 %.1fµs, mean %.1fµs; %.0f allocs, %.0f B per decision (whole iteration), %d GCs; "+
		"fake clock +1ms per iteration, Expire every %d; one goroutine, %d cores",
		float64(m.decisions)/m.cpu.Seconds(), us(m.p50), us(m.p99), us(m.timed/time.Duration(m.iterations)), m.allocs, m.bytes, m.gcs, routingExpireEvery, runtime.NumCPU())
}

// routingLoop runs step, then untimed (when set), for d after a warm-up,
// timing each step; the clock moves a millisecond per iteration.
func routingLoop(ctx context.Context, s *routingSim, d time.Duration, step, untimed func() error) (loopFigures, error) {
	iterate := func(i int) (time.Duration, error) {
		t0 := time.Now()
		err := step()
		took := time.Since(t0)
		if err == nil && untimed != nil {
			err = untimed()
		}
		s.tick(i)
		return took, err
	}
	for i := range 1000 { // warm-up
		if _, err := iterate(i); err != nil {
			return loopFigures{}, err
		}
	}
	lat := make([]time.Duration, 0, 1<<20)
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s.takeEvents()
	m := loopFigures{decisions: -s.offered, cpu: -cpuTime()}
	start := time.Now()
	for end := start.Add(d); ctx.Err() == nil && time.Now().Before(end); m.iterations++ {
		took, err := iterate(m.iterations)
		if err != nil {
			return m, err
		}
		lat, m.timed = append(lat, took), m.timed+took
	}
	s.takeEvents()
	m.wall, m.cpu, m.decisions = time.Since(start), m.cpu+cpuTime(), m.decisions+s.offered
	if m.decisions == 0 {
		return m, fmt.Errorf("routing: no decision in %s", d)
	}
	m.finish(before, lat)
	return m, ctx.Err()
}

// finish adds the allocations since before and the percentiles of lat.
func (m *loopFigures) finish(before runtime.MemStats, lat []time.Duration) {
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	m.gcs = after.NumGC - before.NumGC
	m.allocs = float64(after.Mallocs-before.Mallocs) / float64(m.decisions)
	m.bytes = float64(after.TotalAlloc-before.TotalAlloc) / float64(m.decisions)
	slices.Sort(lat)
	m.p50, m.p99 = lat[len(lat)/2], lat[len(lat)*99/100]
}

// cpuTime is the user and system time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

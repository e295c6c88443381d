package routing_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/routing"
)

// The simulation's knobs: ROUTING_SIM_SEED replays a run (its seed is
// logged), ROUTING_SIM_STEPS changes its length.
const (
	seedEnv  = "ROUTING_SIM_SEED"
	stepsEnv = "ROUTING_SIM_STEPS"
)

func simSeed(t *testing.T) uint64 {
	if s := os.Getenv(seedEnv); s != "" {
		seed, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: %v", seedEnv, s, err)
		}
		return seed
	}
	return rand.Uint64()
}

func simSteps(t *testing.T) int {
	if s := os.Getenv(stepsEnv); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("%s=%q is not a positive number", stepsEnv, s)
		}
		return n
	}
	return 10_000
}

// simQueues are four queues with different strategies: one overflows,
// two have a maximum wait, all but one have wrap-up.
func simQueues(rng *rand.Rand) []routing.QueueConfig {
	backup := routing.RoundRobin
	if rng.IntN(2) == 0 {
		backup = routing.FewestAnswered
	}
	return []routing.QueueConfig{
		{Name: "general", Strategy: routing.LongestIdle, RingSeconds: 15, WrapUpSeconds: 10,
			OverflowAfterSeconds: 30, OverflowTo: "backup"},
		{Name: "backup", Strategy: backup, RingSeconds: 10, WrapUpSeconds: 5},
		{Name: "complaint", Strategy: routing.SkillLevel, RingSeconds: 20, WrapUpSeconds: 30, MaxWaitSeconds: 90},
		{Name: "vip", Strategy: routing.RingAll, RingSeconds: 12, MaxWaitSeconds: 200},
	}
}

// simProfiles are about 30 agents in one to three queues each, at random
// levels, some with their own chat capacity.
func simProfiles(rng *rand.Rand, queues []routing.QueueConfig) []routing.Profile {
	out := make([]routing.Profile, 28+rng.IntN(5))
	for i := range out {
		p := routing.Profile{ID: fmt.Sprintf("agent%02d", i), Skills: map[string]int{}}
		for _, j := range rng.Perm(len(queues))[:1+rng.IntN(3)] {
			p.Skills[queues[j].Name] = 1 + rng.IntN(routing.MaxSkillLevel)
		}
		if rng.IntN(3) == 0 {
			p.ChatCapacity = 1 + rng.IntN(5)
		}
		out[i] = p
	}
	return out
}

// sim drives an engine with random steps and checks it after each one.
type sim struct {
	t        *testing.T
	rng      *rand.Rand
	clk      *clock.Fake
	e        *routing.Engine
	queues   map[string]routing.QueueConfig
	profiles []routing.Profile
	online   map[string]bool // a busy agent's view does not tell
	phones   bool            // the engine requires a phone for voice
	sub      *routing.Subscription
	step     int
	what     string // the step being taken, for failure messages

	ledger
	before   map[string]routing.ContactView // waiting before the step
	staleIDs []string                       // offers that have ended
	n        map[string]int                 // what happened, for the summary
}

func newSim(t *testing.T, seed uint64) *sim {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	beijing := time.FixedZone("CST", 8*3600)
	// Starts late in the evening so that the run crosses local midnight.
	s := &sim{t: t, rng: rng, clk: clock.NewFake(time.Date(2026, 9, 30, 21, 0, 0, 0, beijing)),
		queues: map[string]routing.QueueConfig{}, online: map[string]bool{}, ledger: newLedger(), n: map[string]int{}}
	s.e = routing.New(s.clk, routing.Config{Location: beijing})
	s.sub = s.e.Subscribe()
	t.Cleanup(s.sub.Close)
	qs := simQueues(rng)
	for _, q := range qs {
		if err := s.e.SetQueue(q); err != nil {
			t.Fatal(err)
		}
		s.queues[q.Name] = q
	}
	s.profiles = simProfiles(rng, qs)
	// Mostly as with the voice channel running: a phone is needed for
	// calls, and most agents have one registered.
	if s.phones = rng.IntN(4) > 0; s.phones {
		if err := s.e.RequireDevice(routing.Voice, true); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range s.profiles {
		if rng.IntN(4) > 0 {
			if err := s.e.SetReachable(p.ID, routing.Voice, true); err != nil {
				t.Fatal(err)
			}
		}
		s.must(s.e.Login(p))
		s.online[p.ID] = true
		if rng.IntN(3) > 0 {
			s.must(s.e.SetPresence(p.ID, routing.Ready, routing.ReasonNone))
		}
	}
	s.drain()
	s.events = nil
	return s
}

func TestSimulation(t *testing.T) {
	seed := simSeed(t)
	t.Logf("seed %d (replay: %s=%d go test -run TestSimulation ./routing/)", seed, seedEnv, seed)
	s := newSim(t, seed)
	live := s.e.Contacts()
	for s.step = 1; s.step <= simSteps(t); s.step++ {
		s.snapshot(live)
		s.randomStep()
		live = s.verify()
	}
	s.finish()
}

// randomStep takes one step; the weights are out of 100.
func (s *sim) randomStep() {
	switch r := s.rng.IntN(100); {
	case r < 16:
		s.arrive()
	case r < 28:
		s.hangUp(true)
	case r < 33:
		s.hangUp(false)
	case r < 50:
		s.accept()
	case r < 54:
		s.decline()
	case r < 64:
		s.presence()
	case r < 67:
		s.logInOrOut()
	case r < 70:
		s.transfer()
	case r < 72:
		s.phone()
	default:
		s.advance()
	}
}

func (s *sim) arrive() {
	c := routing.Contact{ID: fmt.Sprintf("c%d", s.step), Channel: routing.Voice, Queue: s.randomQueue()}
	if s.rng.IntN(2) == 0 {
		c.Channel = routing.Chat
	}
	if s.rng.IntN(5) == 0 {
		c.Priority = 1 + s.rng.IntN(routing.MaxPriority)
	}
	s.what = fmt.Sprintf("enqueue %s %s in %s, priority %d", c.ID, c.Channel, c.Queue, c.Priority)
	s.must(s.e.Enqueue(c))
	s.enqueued(c.ID)
	s.n["arrivals"]++
}

// hangUp ends a connected contact (the conversation is over) or one
// waiting or ringing (the citizen gives up).
func (s *sim) hangUp(connected bool) {
	live := slices.DeleteFunc(s.contacts(), func(c routing.ContactView) bool {
		return (c.Status == routing.Connected) != connected
	})
	if len(live) == 0 {
		return
	}
	c := live[s.rng.IntN(len(live))]
	s.what = fmt.Sprintf("end %s (%s)", c.ID, c.Status)
	s.must(s.e.End(c.ID))
	s.n["ends while "+string(c.Status)]++
}

// ringing returns the agents with an offer ringing, by id.
func (s *sim) ringing() []routing.AgentView {
	return slices.DeleteFunc(s.e.Agents(), func(a routing.AgentView) bool { return a.Offer == nil })
}

func (s *sim) accept() {
	if s.rng.IntN(20) == 0 {
		s.badAccept()
		return
	}
	rs := s.ringing()
	if len(rs) == 0 {
		return
	}
	a := rs[s.rng.IntN(len(rs))]
	s.what = fmt.Sprintf("%s accepts %s", a.ID, a.Offer.Contact.ID)
	s.must(s.e.Accept(a.ID, a.Offer.ID))
}

// badAccept accepts another agent's offer (not found) or one that has
// ended (conflict): the engine must refuse.
func (s *sim) badAccept() {
	agent := s.randomAgent()
	var id string
	want := errs.NotFound
	if rs := s.ringing(); len(rs) > 0 && s.rng.IntN(2) == 0 {
		if other := rs[s.rng.IntN(len(rs))]; other.ID != agent.ID {
			id = other.Offer.ID
		}
	} else if len(s.staleIDs) > 0 {
		id, want = s.staleIDs[s.rng.IntN(len(s.staleIDs))], errs.Conflict
	}
	if id == "" {
		return
	}
	s.what = fmt.Sprintf("%s accepts offer %s", agent.ID, id)
	if _, err := s.e.Accept(agent.ID, id); errs.CodeOf(err) != want {
		s.fail("accepting an offer that is not %s's: %v, want %s", agent.ID, err, want)
	}
	s.n["refused accepts"]++
}

func (s *sim) decline() {
	rs := s.ringing()
	if len(rs) == 0 {
		return
	}
	a := rs[s.rng.IntN(len(rs))]
	s.what = fmt.Sprintf("%s declines %s", a.ID, a.Offer.Contact.ID)
	if err := s.e.Decline(a.ID, a.Offer.ID); err != nil {
		s.fail("decline: %v", err)
	}
	s.declined(a.Offer.Contact.ID, a.ID)
	s.n["declines"]++
}

func (s *sim) presence() {
	online := slices.DeleteFunc(s.e.Agents(), func(a routing.AgentView) bool { return !s.online[a.ID] })
	if len(online) == 0 {
		return
	}
	a := online[s.rng.IntN(len(online))]
	state, reason := routing.Ready, routing.ReasonNone
	switch r := s.rng.IntN(20); {
	case r < 5:
		state, reason = routing.NotReady, routing.Reasons[s.rng.IntN(len(routing.Reasons))]
	case r < 8:
		state = routing.WrapUp
	}
	s.what = fmt.Sprintf("%s chooses %s %s", a.ID, state, reason)
	s.must(s.e.SetPresence(a.ID, state, reason))
}

// logInOrOut logs an agent in, or one out: often one with an offer
// ringing, which must then go to someone else.
func (s *sim) logInOrOut() {
	agents := s.e.Agents()
	on := slices.DeleteFunc(slices.Clone(agents), func(a routing.AgentView) bool { return !s.online[a.ID] })
	off := slices.DeleteFunc(agents, func(a routing.AgentView) bool { return s.online[a.ID] })
	if len(off) > 0 && s.rng.IntN(2) == 0 {
		id := off[s.rng.IntN(len(off))].ID
		s.what = "login " + id
		s.must(s.e.Login(s.profiles[slices.IndexFunc(s.profiles, func(p routing.Profile) bool { return p.ID == id })]))
		s.online[id] = true
		s.n["logins"]++
		return
	}
	if rs := s.ringing(); len(rs) > 0 && s.rng.IntN(2) == 0 {
		on = rs
	}
	if len(on) == 0 {
		return
	}
	id := on[s.rng.IntN(len(on))].ID
	s.what = "logout " + id
	s.must(s.e.Logout(id))
	s.online[id] = false
	s.n["logouts"]++
}

func (s *sim) transfer() {
	var connected []routing.ContactView
	for _, c := range s.contacts() {
		if c.Status == routing.Connected {
			connected = append(connected, c)
		}
	}
	if len(connected) == 0 {
		return
	}
	c, to := connected[s.rng.IntN(len(connected))], s.randomQueue()
	s.what = fmt.Sprintf("%s transfers %s to %s", c.Agent, c.ID, to)
	s.must(s.e.Transfer(c.ID, to))
	s.transferred(c.ID, c.Agent)
	s.n["transfers"]++
}

// phone registers or unregisters an agent's phone; often the phone of an
// agent a call rings for goes away.
func (s *sim) phone() {
	a, registered := s.randomAgent(), s.rng.IntN(2) == 0
	calls := slices.DeleteFunc(s.ringing(), func(a routing.AgentView) bool { return a.Offer.Contact.Channel != routing.Voice })
	if len(calls) > 0 && s.rng.IntN(2) == 0 {
		a, registered = calls[s.rng.IntN(len(calls))], false
	}
	s.what = fmt.Sprintf("%s's phone registered %v", a.ID, registered)
	if err := s.e.SetReachable(a.ID, routing.Voice, registered); err != nil {
		s.fail("SetReachable: %v", err)
	}
	s.n["phone changes"]++
}

// advance moves the clock mostly by a few seconds, sometimes past ring
// and wrap-up times, rarely by minutes.
func (s *sim) advance() {
	var d time.Duration
	switch r := s.rng.IntN(20); {
	case r < 15:
		d = time.Duration(s.rng.IntN(3000)) * time.Millisecond
	case r < 19:
		d = time.Duration(s.rng.IntN(25)) * time.Second
	default:
		d = time.Duration(s.rng.IntN(150)) * time.Second
	}
	s.what = fmt.Sprintf("advance %v and expire", d)
	s.clk.Advance(d)
	s.e.Expire()
}

// contacts returns the live contacts by id: Contacts orders contacts that
// arrived at the same time as it finds them, and a replay must pick the same.
func (s *sim) contacts() []routing.ContactView {
	all := s.e.Contacts()
	slices.SortFunc(all, func(a, b routing.ContactView) int { return strings.Compare(a.ID, b.ID) })
	return all
}

func (s *sim) randomQueue() string {
	names := []string{"general", "backup", "complaint", "vip"}
	return names[s.rng.IntN(len(names))]
}

func (s *sim) randomAgent() routing.AgentView {
	all := s.e.Agents()
	return all[s.rng.IntN(len(all))]
}

// must fails the run on an error from a step that cannot fail.
func (s *sim) must(_ any, err error) {
	if err != nil {
		s.fail("%v", err)
	}
}

func (s *sim) fail(format string, args ...any) {
	s.t.Helper()
	s.t.Fatalf("step %d (%s) at %s: %s", s.step, s.what, s.clk.Now().Format(time.DateTime),
		fmt.Sprintf(format, args...))
}

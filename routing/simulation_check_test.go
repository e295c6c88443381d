package routing_test

import (
	"slices"

	"github.com/open12345/hotline/routing"
)

// ledger follows every contact the simulation enqueued through the events.
type ledger struct {
	events   []routing.Event                  // this step's
	ever     []string                         // every contact enqueued, in order
	fate     map[string]routing.ContactStatus // Waiting (waiting or ringing), Connected or how it ended
	endings  map[string]int                   // how many times each contact ended
	declines map[string]map[string]bool       // contact → agents who declined it
}

func newLedger() ledger {
	return ledger{fate: map[string]routing.ContactStatus{}, endings: map[string]int{},
		declines: map[string]map[string]bool{}}
}

func (l *ledger) enqueued(id string) {
	l.ever = append(l.ever, id)
	l.fate[id] = routing.Waiting
}

func (l *ledger) declined(contact, agent string) {
	if l.declines[contact] == nil {
		l.declines[contact] = map[string]bool{}
	}
	l.declines[contact][agent] = true
}

// transferred: the engine forgets earlier declines and keeps the contact
// from going straight back to the agent who passed it on.
func (l *ledger) transferred(contact, from string) {
	l.declines[contact] = map[string]bool{from: true}
}

// drain hands the events queued so far to record: a step's events are
// queued by the time the engine's call returns.
func (s *sim) drain() {
	for ev, ok := s.sub.TryNext(); ok; ev, ok = s.sub.TryNext() {
		s.record(ev)
	}
}

// record follows one event.
func (s *sim) record(ev routing.Event) {
	s.events = append(s.events, ev)
	move := func(id string, from, to routing.ContactStatus) {
		if got := s.fate[id]; got != from {
			s.fail("%s for contact %s which is %s, not %s", ev.Kind, id, got, from)
		}
		s.fate[id] = to
		if to != routing.Waiting && to != routing.Connected {
			s.endings[id]++
		}
	}
	switch ev.Kind {
	case routing.EventOffer:
		s.n["offers"]++
	case routing.EventWithdrawn:
		s.staleIDs = append(s.staleIDs, ev.Offer.ID)
		s.n["withdrawn: "+ev.Reason]++
	case routing.EventAssigned:
		move(ev.Contact.ID, routing.Waiting, routing.Connected)
		s.n["answered"]++
	case routing.EventEnded:
		if ev.Reason == "transferred" {
			move(ev.Contact.ID, routing.Connected, routing.Waiting)
			return
		}
		move(ev.Contact.ID, routing.Connected, routing.Ended)
		s.n["routed and ended"]++
	case routing.EventAbandoned:
		move(ev.Contact.ID, routing.Waiting, routing.Abandoned)
		s.n["abandoned"]++
	case routing.EventTimedOut:
		move(ev.Contact.ID, routing.Waiting, routing.TimedOut)
		s.n["timed out"]++
	case routing.EventOverflow:
		s.n["overflowed"]++
	}
}

// snapshot remembers the contacts waiting before a step.
func (s *sim) snapshot(live []routing.ContactView) {
	s.events, s.what = s.events[:0], ""
	s.before = map[string]routing.ContactView{}
	for _, c := range live {
		if c.Status == routing.Waiting {
			s.before[c.ID] = c
		}
	}
}

// verify checks the engine after a step and returns the live contacts.
func (s *sim) verify() []routing.ContactView {
	s.t.Helper()
	s.drain()
	if err := s.e.Check(); err != nil {
		s.fail("Check: %v", err)
	}
	all := s.e.Contacts()
	live := make(map[string]routing.ContactView, len(all))
	for _, c := range all {
		live[c.ID] = c
	}
	s.checkLedger(live)
	s.checkAgents(live)
	for _, ev := range s.events {
		if ev.Kind == routing.EventOffer {
			s.checkOldestFirst(ev.Offer, live)
		}
	}
	s.n["max waiting"] = max(s.n["max waiting"], len(s.before))
	return all
}

// checkLedger: every contact ever enqueued is exactly one of routed,
// abandoned, timed out, or still live — and live as the events say.
func (s *sim) checkLedger(live map[string]routing.ContactView) {
	open := 0
	for _, id := range s.ever {
		fate, v := s.fate[id], live[id]
		switch {
		case v.ID == "" && (fate == routing.Waiting || fate == routing.Connected):
			s.fail("contact %s is %s by the events but not live", id, fate)
		case v.ID == "" && s.endings[id] != 1:
			s.fail("contact %s ended %d times", id, s.endings[id])
		case v.ID == "":
		case s.endings[id] != 0:
			s.fail("contact %s is live (%s) but ended as %s", id, v.Status, fate)
		case (v.Status == routing.Connected) != (fate == routing.Connected):
			s.fail("contact %s is %s, the events say %s", id, v.Status, fate)
		default:
			open++
		}
	}
	if open != len(live) {
		s.fail("%d live contacts, %d known to be open", len(live), open)
	}
}

// checkAgents: each connected contact is held by the agent it names, and
// agents hold nothing else; an offer rings only for an online agent who is
// ready (busy, when chats are open), for a contact that is offered.
func (s *sim) checkAgents(live map[string]routing.ContactView) {
	held, connected, waiting := 0, 0, 0
	for _, a := range s.e.Agents() {
		for _, c := range a.Contacts {
			if v := live[c.ID]; v.Status != routing.Connected || v.Agent != a.ID {
				s.fail("agent %s holds contact %s: %+v", a.ID, c.ID, v)
			}
			held++
		}
		if o := a.Offer; o != nil {
			if !s.online[a.ID] || a.State != routing.Ready && (a.State != routing.Busy || a.Chats == 0) {
				s.fail("offer %s rings for %s, who is %s (online %v)", o.ID, a.ID, a.State, s.online[a.ID])
			}
			if o.Contact.Channel == routing.Voice && !a.VoiceReachable {
				s.fail("call %s rings for %s, who has no phone", o.Contact.ID, a.ID)
			}
			if live[o.Contact.ID].Status != routing.Offered {
				s.fail("offer %s rings for contact %s, which is %q", o.ID, o.Contact.ID, live[o.Contact.ID].Status)
			}
		}
	}
	for _, v := range live {
		switch v.Status {
		case routing.Connected:
			connected++
		case routing.Waiting, routing.Offered:
			waiting++
		}
	}
	if held != connected {
		s.fail("%d connected contacts, %d held by agents", connected, held)
	}
	for _, st := range s.e.Stats() {
		waiting -= st.Waiting
	}
	if waiting != 0 {
		s.fail("the queues' figures count %d more or fewer waiting contacts than there are", -waiting)
	}
}

// checkOldestFirst: no contact that waited before the step and still waits
// after it, in a queue and channel the agent could take and not declined
// by the agent, outranks the contact offered.
func (s *sim) checkOldestFirst(o *routing.OfferView, live map[string]routing.ContactView) {
	skills := s.profiles[slices.IndexFunc(s.profiles, func(p routing.Profile) bool { return p.ID == o.Agent })].Skills
	x := o.Contact
	for id, y := range s.before {
		if id == x.ID || live[id].Status != routing.Waiting || s.declines[id][o.Agent] {
			continue
		}
		if x.Channel == routing.Chat && y.Channel == routing.Voice {
			continue // the agent may have had chats open
		}
		inQueue := skills[y.Queue] > 0
		if q := s.queues[y.Queue]; y.Overflowed && skills[q.OverflowTo] > 0 {
			inQueue = true
		}
		outranks := y.Priority > x.Priority || y.Priority == x.Priority && y.ArrivedAt.Before(x.ArrivedAt)
		if inQueue && outranks {
			s.fail("%s offered %s (priority %d, arrived %s) while %s (priority %d, arrived %s, %s) waited",
				o.Agent, x.ID, x.Priority, x.ArrivedAt.Format("15:04:05.000"),
				y.ID, y.Priority, y.ArrivedAt.Format("15:04:05.000"), y.Queue)
		}
	}
}

// finish checks the totals and prints a summary.
func (s *sim) finish() {
	live := len(s.e.Contacts())
	total := s.n["routed and ended"] + s.n["abandoned"] + s.n["timed out"] + live
	if total != len(s.ever) {
		s.fail("%d contacts enqueued, %d accounted for", len(s.ever), total)
	}
	s.t.Logf("%d steps to %s: %d contacts, %d offers, %d answered, %d abandoned, %d timed out, %d still live",
		s.step-1, s.clk.Now().Format("2006-01-02 15:04"), len(s.ever), s.n["offers"], s.n["answered"],
		s.n["abandoned"], s.n["timed out"], live)
	s.t.Logf("details: %v", s.n)
	for _, st := range s.e.Stats() {
		s.t.Logf("today in %s: %+v", st.Queue, st)
	}
	if s.step-1 < 10_000 {
		return
	}
	want := []string{"offers", "answered", "abandoned", "timed out", "transfers", "declines",
		"overflowed", "withdrawn: timeout", "withdrawn: taken", "withdrawn: gone", "withdrawn: offline"}
	if s.phones {
		want = append(want, "withdrawn: unreachable")
	}
	for _, k := range want {
		if s.n[k] == 0 {
			s.t.Errorf("the run never saw %q", k)
		}
	}
}

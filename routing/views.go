package routing

import (
	"cmp"
	"slices"
	"time"
)

// Contact is a call or chat asking for an agent.
type Contact struct {
	ID       string  `json:"id"` // empty: the engine assigns one
	Channel  Channel `json:"channel"`
	Queue    string  `json:"queue"`
	Priority int     `json:"priority"` // 0 normal … 9 highest
	Caller   string  `json:"caller"`   // the citizen's phone number or chat name
	Ref      string  `json:"ref"`      // the channel's own reference: call or chat id
	// Outbound marks a contact an agent placed (Engine.Place), never one
	// that waited: a callback or a 回访 call.
	Outbound bool `json:"outbound,omitempty"`
}

// MaxPriority is the highest contact priority.
const MaxPriority = 9

// ContactStatus is where a contact is in routing.
type ContactStatus string

// Contact statuses.
const (
	Waiting   ContactStatus = "waiting"
	Offered   ContactStatus = "offered"
	Connected ContactStatus = "connected"
	Ended     ContactStatus = "ended"     // answered and finished, or transferred away
	Abandoned ContactStatus = "abandoned" // the citizen left before an agent answered
	TimedOut  ContactStatus = "timed_out" // waited the queue's maximum
)

// ContactView is a contact as the engine sees it now.
type ContactView struct {
	Contact
	Status     ContactStatus `json:"status"`
	ArrivedAt  time.Time     `json:"arrived_at"` // first arrival: what oldest-first orders by
	Agent      string        `json:"agent,omitempty"`
	AnsweredAt time.Time     `json:"answered_at,omitzero"`
	EndedAt    time.Time     `json:"ended_at,omitzero"`
	Overflowed bool          `json:"overflowed,omitempty"`
}

// OfferView is a contact ringing for one agent.
type OfferView struct {
	ID        string      `json:"offer_id"`
	Agent     string      `json:"agent"`
	Contact   ContactView `json:"contact"`
	ExpiresAt time.Time   `json:"expires_at"`
}

// AgentView is an agent's presence as consoles and wallboards show it.
type AgentView struct {
	ID     string    `json:"id"`
	Name   string    `json:"name"`
	State  State     `json:"state"`
	Reason Reason    `json:"reason,omitempty"`
	Since  time.Time `json:"since"` // when State (and Reason) began
	// WrapUpUntil is when wrap-up ends by itself (zero when held by the agent).
	WrapUpUntil time.Time      `json:"wrap_up_until,omitzero"`
	IdleSince   time.Time      `json:"idle_since,omitzero"`
	Answered    int            `json:"answered"` // contacts answered today
	Skills      map[string]int `json:"skills"`
	Voice       int            `json:"voice"` // active calls
	Chats       int            `json:"chats"` // active chats
	ChatLimit   int            `json:"chat_capacity"`
	// VoiceReachable is false while the engine requires a device for voice
	// and the agent has no phone registered: calls are not offered to the
	// agent, chats still are.
	VoiceReachable bool          `json:"voice_reachable"`
	Contacts       []ContactView `json:"contacts"` // active contacts, oldest first
	Offer          *OfferView    `json:"offer,omitempty"`
}

// QueueStats are a queue's live figures for today.
type QueueStats struct {
	Queue       string  `json:"queue"`
	Title       string  `json:"title"`
	Waiting     int     `json:"waiting"`
	LongestWait float64 `json:"longest_wait_seconds"`
	Answered    int     `json:"answered"`
	Abandoned   int     `json:"abandoned"`
	TimedOut    int     `json:"timed_out"`
	// ServiceLevel maps a threshold in seconds to the share of contacts
	// answered within it, out of all answered, abandoned and timed out
	// today; nil (JSON null) when there were none: nothing was measured.
	ServiceLevel map[string]*float64 `json:"service_level"`
	// AnsweredWithin maps a threshold to the contacts answered within it
	// today, so that a wallboard can add queues up.
	AnsweredWithin map[string]int `json:"answered_within"`
	// AnswerRate is answered ÷ (answered + abandoned + timed out) today;
	// nil when none of them happened.
	AnswerRate   *float64 `json:"answer_rate"`
	ReadyAgents  int      `json:"ready_agents"`
	BusyAgents   int      `json:"busy_agents"`
	AgentsOnline int      `json:"agents_online"`
}

// EventKind names what happened.
type EventKind string

// Event kinds.
const (
	EventOffer     EventKind = "offer"             // Offer rings for Offer.Agent
	EventWithdrawn EventKind = "offer.withdrawn"   // Offer stopped ringing (Reason says why)
	EventAssigned  EventKind = "contact.assigned"  // Contact was accepted by Contact.Agent
	EventEnded     EventKind = "contact.ended"     // Contact finished or was transferred away
	EventAbandoned EventKind = "contact.abandoned" // the citizen left before an answer
	EventTimedOut  EventKind = "contact.timed_out" // the channel decides what happens now
	EventOverflow  EventKind = "contact.overflowed"
	EventAgent     EventKind = "agent" // Agent's view changed
	EventQueue     EventKind = "queue" // a queue's figures changed
)

// Why an offer was withdrawn.
const (
	WithdrawnAccepted = "accepted" // this agent accepted it
	WithdrawnTaken    = "taken"    // another agent accepted it (ring all)
	WithdrawnDeclined = "declined"
	WithdrawnTimeout  = "timeout"
	WithdrawnGone     = "gone" // the citizen left
	WithdrawnMaxWait  = "max_wait"
	WithdrawnOffline  = "offline" // the agent logged out
	// WithdrawnUnreachable: the agent's device for the channel went away
	// (the phone's registration ended); the agent stays ready.
	WithdrawnUnreachable = "unreachable"
)

// Event is one thing that happened in routing, for the consoles and the
// channels. Only the fields its kind names are set.
type Event struct {
	// Seq numbers the engine's events from 1 in the order they happened;
	// a subscription sees consecutive numbers from its first event.
	Seq     uint64
	Kind    EventKind
	At      time.Time
	Agent   *AgentView
	Offer   *OfferView
	Contact *ContactView
	Queue   string
	Reason  string
}

// Positions is Position of every waiting contact at once, by contact id,
// in one pass and a sort instead of one pass per contact: for a queue of
// thousands of chats, each told its place whenever the queue moves.
func Positions(contacts []ContactView) map[string]int {
	type line struct {
		queue   string
		channel Channel
	}
	lines := map[line][]ContactView{}
	for _, c := range contacts {
		if c.Status == Waiting {
			k := line{c.Queue, c.Channel}
			lines[k] = append(lines[k], c)
		}
	}
	out := make(map[string]int)
	for _, waiting := range lines {
		// Listed oldest first (ties in the engine's order): a stable sort
		// by priority leaves the rest of Position's order as it is.
		slices.SortStableFunc(waiting, func(a, b ContactView) int {
			return cmp.Or(cmp.Compare(b.Priority, a.Priority), a.ArrivedAt.Compare(b.ArrivedAt))
		})
		for i, c := range waiting {
			out[c.ID] = i + 1
		}
	}
	return out
}

// Position is v's place among the contacts waiting in its queue on its
// channel, counting from 1: those of higher priority, then those that
// arrived earlier, come first; of two that arrived at once, the one
// listed first (contacts are as Engine.Contacts lists them, oldest
// first). It is 0 when v is not waiting there.
func Position(contacts []ContactView, v ContactView) int {
	n, found := 1, false
	for _, o := range contacts {
		if o.Queue != v.Queue || o.Channel != v.Channel || o.Status != Waiting {
			continue
		}
		if o.ID == v.ID {
			found = true
			continue
		}
		earlier := o.ArrivedAt.Before(v.ArrivedAt) || o.ArrivedAt.Equal(v.ArrivedAt) && !found
		if o.Priority > v.Priority || o.Priority == v.Priority && earlier {
			n++
		}
	}
	if !found {
		return 0
	}
	return n
}

// Package routing is the hotline's automatic contact distributor (ACD),
// shared by voice calls and web chats: agents with skills and presence,
// queues with strategies, offers with a ring timeout, wrap-up, overflow,
// maximum wait and live queue statistics. It is pure Go with an injected
// clock: nothing here sleeps, and timers fire when Expire is called at or
// after their time (Run does that in production).
//
// Rules that peers got wrong and this package keeps:
//   - a contact that is gone releases every agent it reserved at once
//     (FreeSWITCH mod_callcenter #2540);
//   - wrap-up belongs to the agent, not to a queue, and nothing but the
//     agent ends it before its time (Asterisk #1006);
//   - an agent's idle clock restarts only when that agent's own contact
//     ends or is transferred away; what happens to the contact afterwards
//     never touches it (Asterisk #607).
package routing

import (
	"slices"
	"time"

	"github.com/open12345/hotline/errs"
)

// Channel is how a contact reaches the hotline.
type Channel string

// Channels.
const (
	Voice Channel = "voice"
	Chat  Channel = "chat"
)

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool { return c == Voice || c == Chat }

// State is an agent's presence as supervisors see it.
type State string

// States. Busy and wrap-up are set by the engine; an agent chooses ready
// or not ready (and may hold wrap-up).
const (
	Offline  State = "offline"
	Ready    State = "ready"
	NotReady State = "not_ready"
	Busy     State = "busy"
	WrapUp   State = "wrap_up"
)

// Reason says why an agent is not ready.
type Reason string

// Reasons. Missed is set by the engine when an offer rang out.
const (
	ReasonNone     Reason = ""
	ReasonBreak    Reason = "break"
	ReasonMeal     Reason = "meal"
	ReasonTraining Reason = "training"
	ReasonMeeting  Reason = "meeting"
	ReasonMissed   Reason = "missed"
)

// Reasons lists the reasons an agent may choose (missed is the engine's).
var Reasons = []Reason{ReasonBreak, ReasonMeal, ReasonTraining, ReasonMeeting}

// Strategy chooses among the ready agents of a queue when a contact arrives.
type Strategy string

// Strategies.
const (
	LongestIdle    Strategy = "longest_idle"    // the agent idle the longest (default)
	RoundRobin     Strategy = "round_robin"     // the next agent after the last one offered
	RingAll        Strategy = "ring_all"        // every ready agent at once; the first to accept wins
	FewestAnswered Strategy = "fewest_answered" // the agent who answered the fewest contacts today
	SkillLevel     Strategy = "skill_level"     // the highest skill level, then longest idle
)

// Strategies lists every strategy.
var Strategies = []Strategy{LongestIdle, RoundRobin, RingAll, FewestAnswered, SkillLevel}

// QueueConfig is one queue's configuration. Durations are whole seconds,
// as operators write them.
type QueueConfig struct {
	Name     string   `json:"name"`  // e.g. consultation
	Title    string   `json:"title"` // what the console shows, e.g. 咨询
	Strategy Strategy `json:"strategy"`
	// RingSeconds is how long an offer rings before it goes to the next agent.
	RingSeconds int `json:"ring_seconds"`
	// WrapUpSeconds is the agent's after-contact work time; the agent
	// becomes ready again by itself when it ends.
	WrapUpSeconds int `json:"wrap_up_seconds"`
	// MaxWaitSeconds ends the wait (0: no limit); the contact's channel
	// decides what happens then (voicemail, callback, offline message).
	MaxWaitSeconds int `json:"max_wait_seconds"`
	// OverflowAfterSeconds makes a waiting contact also eligible in
	// OverflowTo after that long (0: never).
	OverflowAfterSeconds int    `json:"overflow_after_seconds"`
	OverflowTo           string `json:"overflow_to,omitempty"`
	// ServiceLevelSeconds is the service level's threshold: the share of
	// calls answered within it is the queue's service level in the
	// reports (80/20); 0 is DefaultServiceLevelSeconds.
	ServiceLevelSeconds int `json:"service_level_seconds,omitempty"`
}

// Limits of a queue's configuration.
const (
	MaxRingSeconds     = 120
	MaxWrapUpSeconds   = 3600
	MaxWaitLimit       = 24 * 3600
	DefaultRingSeconds = 15
	// DefaultServiceLevelSeconds is the 20 of the usual 80/20.
	DefaultServiceLevelSeconds = 20
	MaxServiceLevelSeconds     = 1200
	MaxChatCapacity    = 10
	MaxSkillLevel      = 10
)

// Normalize fills defaults and checks the configuration. Errors: invalid.
func (q *QueueConfig) Normalize() error {
	if !validName(q.Name) {
		return errs.E(errs.Invalid, "queue name must be 1-32 letters, digits, - or _")
	}
	if q.Strategy == "" {
		q.Strategy = LongestIdle
	}
	if !slices.Contains(Strategies, q.Strategy) {
		return errs.E(errs.Invalid, "unknown strategy %q", q.Strategy)
	}
	if q.RingSeconds == 0 {
		q.RingSeconds = DefaultRingSeconds
	}
	switch {
	case len([]rune(q.Title)) > 40:
		return errs.E(errs.Invalid, "queue title is longer than 40 characters")
	case q.RingSeconds < 1 || q.RingSeconds > MaxRingSeconds:
		return errs.E(errs.Invalid, "ring_seconds must be 1-%d", MaxRingSeconds)
	case q.WrapUpSeconds < 0 || q.WrapUpSeconds > MaxWrapUpSeconds:
		return errs.E(errs.Invalid, "wrap_up_seconds must be 0-%d", MaxWrapUpSeconds)
	case q.MaxWaitSeconds < 0 || q.MaxWaitSeconds > MaxWaitLimit:
		return errs.E(errs.Invalid, "max_wait_seconds must be 0-%d", MaxWaitLimit)
	case q.ServiceLevelSeconds < 0 || q.ServiceLevelSeconds > MaxServiceLevelSeconds:
		return errs.E(errs.Invalid, "service_level_seconds must be 1-%d (0: %d)", MaxServiceLevelSeconds, DefaultServiceLevelSeconds)
	case q.OverflowAfterSeconds < 0 || q.OverflowAfterSeconds > MaxWaitLimit:
		return errs.E(errs.Invalid, "overflow_after_seconds must be 0-%d", MaxWaitLimit)
	case (q.OverflowAfterSeconds > 0) != (q.OverflowTo != ""):
		return errs.E(errs.Invalid, "overflow needs both overflow_after_seconds and overflow_to")
	case q.OverflowTo == q.Name:
		return errs.E(errs.Invalid, "a queue cannot overflow to itself")
	case q.OverflowTo != "" && !validName(q.OverflowTo):
		return errs.E(errs.Invalid, "overflow_to is not a queue name")
	}
	return nil
}

// Profile is what routing knows of an agent: who, which queues at which
// level (1 lowest … 10 highest), and how many chats at once.
type Profile struct {
	ID           string         `json:"id"` // the username
	Name         string         `json:"name"`
	Skills       map[string]int `json:"skills"`
	ChatCapacity int            `json:"chat_capacity"` // 0: the engine's default
}

// Normalize checks the profile. Errors: invalid.
func (p *Profile) Normalize() error {
	if p.ID == "" || len(p.ID) > 64 {
		return errs.E(errs.Invalid, "agent id must be 1-64 bytes")
	}
	if p.ChatCapacity < 0 || p.ChatCapacity > MaxChatCapacity {
		return errs.E(errs.Invalid, "chat_capacity must be 0-%d", MaxChatCapacity)
	}
	if len(p.Skills) > 64 {
		return errs.E(errs.Invalid, "at most 64 skills")
	}
	for q, level := range p.Skills {
		if !validName(q) {
			return errs.E(errs.Invalid, "skill %q is not a queue name", q)
		}
		if level < 1 || level > MaxSkillLevel {
			return errs.E(errs.Invalid, "skill level of %s must be 1-%d", q, MaxSkillLevel)
		}
	}
	return nil
}

func validName(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// Config is the engine's configuration.
type Config struct {
	// ServiceLevels are the answer-time thresholds of the service level
	// statistics (default 15 s and 20 s).
	ServiceLevels []time.Duration
	// ChatCapacity is how many chats an agent takes at once unless the
	// profile says otherwise (default 3).
	ChatCapacity int
	// Location decides when a day's statistics start (default UTC).
	Location *time.Location
}

func (c Config) withDefaults() Config {
	if len(c.ServiceLevels) == 0 {
		c.ServiceLevels = []time.Duration{15 * time.Second, 20 * time.Second}
	}
	if c.ChatCapacity <= 0 {
		c.ChatCapacity = 3
	}
	if c.Location == nil {
		c.Location = time.UTC
	}
	return c
}

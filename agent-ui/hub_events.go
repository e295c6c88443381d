package agentui

import (
	"context"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/eventbus"
	"github.com/open12345/hotline/internal/httpx"
	"github.com/open12345/hotline/routing"
	"github.com/open12345/hotline/screenpop"
	"github.com/open12345/hotline/ticketing"
)

// offerMessage is the data of an `offer`: the contact and the screen pop.
type offerMessage struct {
	OfferID        string             `json:"offer_id"`
	ContactID      string             `json:"contact_id"`
	Channel        routing.Channel    `json:"channel"`
	TicketChannel  ticketing.Channel  `json:"ticket_channel"`
	Caller         string             `json:"caller"`
	Queue          string             `json:"queue"`
	QueueTitle     string             `json:"queue_title"`
	Priority       int                `json:"priority"`
	Ref            string             `json:"ref,omitempty"`
	ExpiresAt      time.Time          `json:"expires_at"`
	RingSeconds    int                `json:"ring_seconds"`
	CitizenHistory *screenpop.History `json:"citizen_history"`
	Contact        contactMessage     `json:"contact"`
	// AnswerOnPhone: the agent answers on the phone that rings meanwhile;
	// offer.accept is refused.
	AnswerOnPhone bool `json:"answer_on_phone,omitempty"`
}

// onRouting turns routing events into messages. It runs inside the
// engine's event delivery, so it only queues: lookups happen elsewhere.
func (h *Hub) onRouting(ev routing.Event) {
	switch ev.Kind {
	case routing.EventOffer:
		st := &pendingOffer{}
		h.mu.Lock()
		h.offers[ev.Offer.ID] = st
		h.mu.Unlock()
		go h.sendOffer(*ev.Offer, st)
	case routing.EventWithdrawn:
		h.mu.Lock()
		st := h.offers[ev.Offer.ID]
		delete(h.offers, ev.Offer.ID)
		if st != nil && !st.sent {
			st.withdrawn = true
		}
		h.mu.Unlock()
		if st == nil || st.sent {
			h.toUser(ev.Offer.Agent, encode("offer.withdrawn", "", map[string]string{"offer_id": ev.Offer.ID, "reason": ev.Reason}))
		}
	case routing.EventAgent:
		h.toUser(ev.Agent.ID, encode("presence", "", viewPresence(*ev.Agent)))
	}
	h.wallboard.markDirty()
}

// sendOffer looks up the caller's history and sends the offer, unless it
// was withdrawn meanwhile.
func (h *Hub) sendOffer(o routing.OfferView, st *pendingOffer) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	msg := encode("offer", "", h.offerMessage(ctx, o))
	h.mu.Lock()
	defer h.mu.Unlock()
	if st.withdrawn {
		return
	}
	st.sent = true
	for _, c := range h.byUser[o.Agent] {
		c.enqueue(msg)
	}
}

func (h *Hub) offerMessage(ctx context.Context, o routing.OfferView) offerMessage {
	m := offerMessage{OfferID: o.ID, ContactID: o.Contact.ID, Channel: o.Contact.Channel, Caller: o.Contact.Caller,
		Queue: o.Contact.Queue, Priority: o.Contact.Priority, Ref: o.Contact.Ref, ExpiresAt: o.ExpiresAt, TicketChannel: ticketChannel(o.Contact.Channel),
		Contact: viewContact(o.Contact), AnswerOnPhone: h.controls.onDevice(o.Contact)}
	for _, q := range h.engine.Queues() {
		if q.Name == o.Contact.Queue {
			m.QueueTitle, m.RingSeconds = q.Title, q.RingSeconds
		}
	}
	hist, err := h.history.Find(ctx, h.citizenOf(ctx, o.Contact))
	if err != nil {
		h.log.Warn("screen pop lookup failed", "offer", o.ID, "err", err)
	} else {
		m.CitizenHistory = &hist
	}
	return m
}

// sessionMessage is the first message of every connection.
type sessionMessage struct {
	User       sessionUser           `json:"user"`
	Queues     []routing.QueueConfig `json:"queues"`
	Reasons    []routing.Reason      `json:"reasons"`
	ServerTime time.Time             `json:"server_time"`
}

type sessionUser struct {
	Username   string    `json:"username"`
	Role       auth.Role `json:"role"`
	Department string    `json:"department,omitempty"`
}

// resync queues the whole state a new tab needs: the session, an agent's
// presence and ringing offer, and the last wallboard. The caller holds
// h.mu, so nothing for this user is queued in between; pop is the screen
// pop looked up beforehand for the offer that was ringing then.
func (h *Hub) resync(c *wsClient, pop *offerMessage) {
	c.enqueue(encode("session", "", sessionMessage{
		User:   sessionUser{Username: c.actor.Username, Role: c.actor.Role, Department: c.actor.Department},
		Queues: h.engine.Queues(), Reasons: routing.Reasons, ServerTime: h.clock.Now().In(h.loc),
	}))
	if c.actor.Role == auth.RoleAgent {
		if v, ok := h.engine.Agent(c.actor.Username); ok {
			c.enqueue(encode("presence", "", viewPresence(v)))
			if v.Offer != nil {
				if pop == nil || pop.OfferID != v.Offer.ID {
					m := h.offerMessage(context.Background(), *v.Offer)
					m.CitizenHistory = nil // looked up only outside the lock
					pop = &m
				}
				c.enqueue(encode("offer", "", pop))
			}
		}
	}
	if msg := h.wallboard.last(c.actor); msg != nil {
		c.enqueue(msg)
	}
}

// noticeMessage is the data of `ticket.updated`.
type noticeMessage struct {
	TicketID int64          `json:"ticket_id"`
	Number   string         `json:"number"`
	Event    string         `json:"event"`
	At       time.Time      `json:"at"`
	Data     map[string]any `json:"data,omitempty"`
}

// forwardNotices sends ticket notices to the consoles of their topic:
// a department's staff, the agents, or the supervisors.
func (h *Hub) forwardNotices() {
	for n := range h.notices.C {
		msg := encode("ticket.updated", "", noticeMessage{TicketID: n.TicketID, Number: n.Number, Event: n.Type, At: n.At, Data: n.Data})
		h.toEach(func(a auth.Actor) bool { return noticeFor(n, a) }, msg)
	}
}

func noticeFor(n eventbus.Notice, a auth.Actor) bool {
	if code, ok := strings.CutPrefix(n.Topic, "department:"); ok {
		return a.Role == auth.RoleDepartment && a.Department == code
	}
	switch n.Topic {
	case eventbus.StaffTopic("agents"):
		return a.Role == auth.RoleAgent
	case eventbus.StaffTopic("supervisors"):
		return a.Is(auth.RoleSupervisor, auth.RoleAdmin)
	}
	return false
}

// handle runs one request from a console and returns the ack's data.
// Errors: invalid, forbidden, and those of the routing engine.
func (h *Hub) handle(c *wsClient, req envelope) (any, error) {
	a := c.actor
	needAgent := func() error {
		if a.Role != auth.RoleAgent {
			return errs.E(errs.Forbidden, "only agents take contacts")
		}
		return nil
	}
	switch req.Type {
	case "presence.set":
		var d struct {
			State  routing.State  `json:"state"`
			Reason routing.Reason `json:"reason"`
		}
		if err := decodeData(req, &d); err != nil {
			return nil, err
		}
		if err := needAgent(); err != nil {
			return nil, err
		}
		v, err := h.engine.SetPresence(a.Username, d.State, d.Reason)
		return viewPresence(v), err
	case "offer.accept", "offer.decline":
		var d struct {
			OfferID string `json:"offer_id"`
		}
		if err := decodeData(req, &d); err != nil {
			return nil, err
		}
		if err := needAgent(); err != nil {
			return nil, err
		}
		if req.Type == "offer.decline" {
			return struct{}{}, h.engine.Decline(a.Username, d.OfferID)
		}
		if v, ok := h.engine.Agent(a.Username); ok && v.Offer != nil && v.Offer.ID == d.OfferID && h.controls.onDevice(v.Offer.Contact) {
			return nil, errs.E(errs.Invalid, "answer this call on your phone: it is ringing")
		}
		c, err := h.engine.Accept(a.Username, d.OfferID)
		return viewContact(c), err
	case "contact.end":
		var d struct {
			ContactID string `json:"contact_id"`
		}
		if err := decodeData(req, &d); err != nil {
			return nil, err
		}
		if err := needAgent(); err != nil {
			return nil, err
		}
		c, err := h.endOwnContact(context.Background(), a.Username, d.ContactID)
		return viewContact(c), err
	case "chat.send", "chat.close", "chat.typing":
		if err := needAgent(); err != nil {
			return nil, err
		}
		return h.chatRequest(context.Background(), a.Username, req)
	case "chat.transfer":
		if err := needAgent(); err != nil {
			return nil, err
		}
		return h.chatTransfer(context.Background(), a.Username, req)
	case "call.transfer":
		if err := needAgent(); err != nil {
			return nil, err
		}
		return h.callTransfer(a.Username, req)
	case "call.hold":
		if err := needAgent(); err != nil {
			return nil, err
		}
		return h.callHold(context.Background(), a.Username, req)
	case "call.conference":
		if err := needAgent(); err != nil {
			return nil, err
		}
		return h.callConference(context.Background(), a.Username, req)
	case "call.consult", "call.consult.complete", "call.consult.cancel":
		if err := needAgent(); err != nil {
			return nil, err
		}
		return h.callConsult(context.Background(), a.Username, req)
	}
	return nil, errs.E(errs.Invalid, "unknown message type %q", httpx.Clip(req.Type, 40))
}

// endOwnContact ends a contact connected to this agent, through the
// channel that carries it. Errors: not_found, and those of the channel.
func (h *Hub) endOwnContact(ctx context.Context, agent, contactID string) (routing.ContactView, error) {
	v, ok := h.engine.Agent(agent)
	if ok {
		for _, c := range v.Contacts {
			if c.ID == contactID {
				return h.controls.end(ctx, c)
			}
		}
	}
	return routing.ContactView{}, errs.E(errs.NotFound, "no contact %s of yours is connected", httpx.Clip(contactID, 40))
}

func decodeData(req envelope, into any) error {
	if len(req.Data) == 0 {
		return errs.E(errs.Invalid, "%s needs data", httpx.Clip(req.Type, 40))
	}
	if err := json.Unmarshal(req.Data, into); err != nil {
		return errs.E(errs.Invalid, "bad data for %s", httpx.Clip(req.Type, 40))
	}
	return nil
}

// wallboard sends queue figures (and, to supervisors, agents' states) when
// something changed, at most once per interval.
type wallboard struct {
	hub   *Hub
	every time.Duration
	dirty chan struct{}

	mu       sync.Mutex
	seq      uint64
	staff    []byte // queues only: what agents see
	overseer []byte // with agents: what supervisors and admins see (nil: none connected)

	lastQueues   []routing.QueueStats // what the last wallboard sent showed
	lastAgents   []wallboardAgent
	hadOverseers bool
}

func newWallboard(h *Hub, every time.Duration) *wallboard {
	w := &wallboard{hub: h, every: every, dirty: make(chan struct{}, 1)}
	w.dirty <- struct{}{} // the first wallboard, before any change
	return w
}

func (w *wallboard) markDirty() {
	select {
	case w.dirty <- struct{}{}:
	default:
	}
}

func (w *wallboard) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.dirty:
		}
		if !w.publish() {
			continue // nothing sent: the interval has not restarted
		}
		interval := make(chan struct{})
		t := w.hub.clock.AfterFunc(w.every, func() { close(interval) })
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-interval:
		}
	}
}

// wallboardAgent is an agent's line on the wallboard.
type wallboardAgent struct {
	ID     string         `json:"id"`
	Name   string         `json:"name"`
	State  routing.State  `json:"state"`
	Reason routing.Reason `json:"reason,omitempty"`
	Since  time.Time      `json:"since"`
	Voice  int            `json:"voice"`
	Chats  int            `json:"chats"`
	// VoiceReachable is false while calls cannot ring the agent (no
	// phone registered), which the wallboard shows.
	VoiceReachable bool `json:"voice_reachable"`
}

type wallboardMessage struct {
	Seq    uint64               `json:"seq"`
	At     time.Time            `json:"at"`
	Queues []routing.QueueStats `json:"queues"`
	Agents []wallboardAgent     `json:"agents,omitempty"`
}

// snapshot returns the current wallboard with agents.
func (h *Hub) snapshot(seq uint64) wallboardMessage {
	m := wallboardMessage{Seq: seq, At: h.clock.Now().In(h.loc), Queues: h.engine.Stats(), Agents: []wallboardAgent{}}
	for _, a := range h.engine.Agents() {
		if a.State != routing.Offline {
			m.Agents = append(m.Agents, wallboardAgent{ID: a.ID, Name: a.Name, State: a.State, Reason: a.Reason,
				Since: a.Since, Voice: a.Voice, Chats: a.Chats, VoiceReachable: a.VoiceReachable})
		}
	}
	return m
}

// publish sends the wallboard unless its figures are those last sent;
// the agents' lines are made only when a supervisor or admin is connected.
func (w *wallboard) publish() bool {
	w.hub.mu.Lock()
	targets := make([]*wsClient, 0, len(w.hub.clients))
	overseers := false
	for c := range w.hub.clients {
		targets = append(targets, c)
		overseers = overseers || c.actor.Is(auth.RoleSupervisor, auth.RoleAdmin)
	}
	w.hub.mu.Unlock()
	w.mu.Lock()
	m := wallboardMessage{At: w.hub.clock.Now().In(w.hub.loc), Queues: w.hub.engine.Stats()}
	var agents []wallboardAgent
	if overseers {
		agents = w.hub.snapshot(0).Agents
	}
	if w.seq > 0 && overseers == w.hadOverseers && reflect.DeepEqual(m.Queues, w.lastQueues) && reflect.DeepEqual(agents, w.lastAgents) {
		w.mu.Unlock()
		return false
	}
	w.seq++
	m.Seq = w.seq
	w.lastQueues, w.lastAgents, w.hadOverseers = m.Queues, agents, overseers
	w.staff, w.overseer = encode("wallboard", "", m), nil
	if overseers {
		m.Agents = agents
		w.overseer = encode("wallboard", "", m)
	}
	staff, overseer := w.staff, w.overseer
	w.mu.Unlock()
	for _, c := range targets {
		if msg := pick(c.actor, staff, overseer); msg != nil {
			c.enqueue(msg)
		}
	}
	return true
}

// last returns the latest wallboard for this user (nil: none for them).
func (w *wallboard) last(a auth.Actor) []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.overseer == nil && w.seq > 0 && a.Is(auth.RoleSupervisor, auth.RoleAdmin) {
		w.overseer = encode("wallboard", "", w.hub.snapshot(w.seq))
	}
	return pick(a, w.staff, w.overseer)
}

func pick(a auth.Actor, staff, overseer []byte) []byte {
	switch a.Role {
	case auth.RoleSupervisor, auth.RoleAdmin:
		return overseer
	case auth.RoleAgent:
		return staff
	}
	return nil
}

// citizenOf is who the screen pop looks up for a contact: the caller's
// number, or for a chat the phone its citizen gave or proved (a chat's
// caller is only a name).
func (h *Hub) citizenOf(ctx context.Context, c routing.ContactView) string {
	if c.Channel != routing.Chat || h.chats == nil {
		return c.Caller
	}
	id, err := strconv.ParseInt(c.Ref, 10, 64)
	if err != nil {
		return c.Caller
	}
	phone, err := h.chats.PhoneOf(ctx, id)
	if err != nil {
		h.log.Warn("screen pop: the chat's phone", "chat", id, "err", err)
	}
	if phone == "" {
		return c.Caller
	}
	return phone
}

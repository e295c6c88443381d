package agentui

import (
	"context"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/internal/httpx"
	"github.com/open12345/hotline/telephony"
	"github.com/open12345/hotline/ticketing"
)

// CallRecords are the voice channel's call records and missed-call list;
// telephony.Calls is one.
type CallRecords interface {
	List(ctx context.Context, actor auth.Actor, f telephony.CallFilter) ([]telephony.Call, int64, error)
	Get(ctx context.Context, actor auth.Actor, id int64) (telephony.Call, error)
	Callbacks(ctx context.Context, actor auth.Actor, f telephony.CallbackFilter) ([]telephony.Callback, int64, error)
	LinkTicket(ctx context.Context, id, ticketID int64) error
}

// OutboundCaller places agents' calls to citizens (telephony.OutboundCalls).
type OutboundCaller interface {
	Call(ctx context.Context, actor auth.Actor, req telephony.OutboundRequest) (telephony.Call, error)
}

func (s *Server) callRoutes() {
	m := s.mux
	m.Handle("POST /api/v1/calls/outbound", s.authed(s.placeCall, auth.RoleAgent))
	m.Handle("GET /api/v1/calls", s.authed(s.listCalls, staffRoles...))
	m.Handle("GET /api/v1/calls/{id}", s.authed(withQuery(s.getCall), staffRoles...))
	m.Handle("GET /api/v1/calls/{id}/recording", s.authed(withQuery(s.callRecording), staffRoles...))
	m.Handle("GET /api/v1/callbacks", s.authed(s.listCallbacks, staffRoles...))
}

// callRecords returns the call records, or unavailable on a server
// without telephony.
func (s *Server) callRecords() (CallRecords, error) {
	if s.calls == nil {
		return nil, errs.E(errs.Unavailable, "this server has no telephony: there are no call records")
	}
	return s.calls, nil
}

type callView struct {
	ID           string          `json:"id"`
	Direction    string          `json:"direction"`
	Caller       string          `json:"caller"`
	Callee       string          `json:"callee"`
	StartedAt    time.Time       `json:"started_at"`
	AnsweredAt   *time.Time      `json:"answered_at"`
	EndedAt      *time.Time      `json:"ended_at"`
	IVRPath      string          `json:"ivr_path"`
	Queue        string          `json:"queue"`
	Agent        string          `json:"agent"`
	Outcome      *string         `json:"outcome"` // null while the call lasts
	WaitSeconds  int             `json:"wait_seconds"`
	TalkSeconds  int             `json:"talk_seconds"`
	HangupBy     *string         `json:"hangup_by"`
	Satisfaction *int            `json:"satisfaction"`
	RecordingURL *string         `json:"recording_url"`
	TicketID     *int64          `json:"ticket_id"`
	CallbackID   *int64          `json:"callback_id,omitempty"` // the missed-call entry an outbound call works
	Events       []callEventView `json:"events,omitempty"`
}

type callEventView struct {
	At     time.Time `json:"at"`
	Event  string    `json:"event"`
	Detail string    `json:"detail"`
}

func viewCall(c telephony.Call, loc *time.Location) callView {
	id := strconv.FormatInt(c.ID, 10)
	v := callView{ID: id, Direction: string(c.Direction), Caller: c.Caller, Callee: c.Callee,
		StartedAt: c.StartedAt.In(loc), AnsweredAt: inLoc(c.AnsweredAt, loc), EndedAt: inLoc(c.EndedAt, loc),
		IVRPath: c.IVRPath, Queue: c.Queue, Agent: c.Agent, Outcome: orNull(string(c.Outcome)),
		WaitSeconds: c.WaitSeconds, TalkSeconds: c.TalkSeconds, HangupBy: orNull(string(c.HangupBy))}
	if c.Satisfaction != 0 {
		v.Satisfaction = &c.Satisfaction
	}
	if c.Recording != "" {
		v.RecordingURL = orNull("/api/v1/calls/" + id + "/recording")
	}
	if c.TicketID != 0 {
		v.TicketID = &c.TicketID
	}
	if c.CallbackID != 0 {
		v.CallbackID = &c.CallbackID
	}
	for _, e := range c.Events {
		v.Events = append(v.Events, callEventView{At: e.At.In(loc), Event: string(e.Event), Detail: e.Detail})
	}
	return v
}

func inLoc(t *time.Time, loc *time.Location) *time.Time {
	if t == nil {
		return nil
	}
	l := t.In(loc)
	return &l
}

func orNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// callFilter reads the list's parameters: from and to are RFC 3339 times
// or local days (to=2026-09-30 includes that day). Errors: invalid.
func (s *Server) callFilter(r *http.Request) (telephony.CallFilter, error) {
	var f telephony.CallFilter
	q, err := httpx.Query(r, "from", "to", "caller", "agent", "outcome", "limit", "cursor")
	if err != nil {
		return f, err
	}
	loc := s.tickets.Location()
	if f.From, err = timeParam(q.Get("from"), "from", loc, false); err != nil {
		return f, err
	}
	if f.To, err = timeParam(q.Get("to"), "to", loc, true); err != nil {
		return f, err
	}
	f.Caller, f.Agent = q.Get("caller"), q.Get("agent")
	if o := q.Get("outcome"); o != "" {
		if f.Outcome, err = telephony.ParseOutcome(o); err != nil {
			return f, err
		}
	}
	if f.Limit, err = limitParam(q); err != nil {
		return f, err
	}
	if c := q.Get("cursor"); c != "" {
		if f.Before, err = decodeCursor(c); err != nil {
			return f, err
		}
	}
	return f, nil
}

// timeParam reads an RFC 3339 time or a local day: the day's start, or
// for the end of a range (dayEnd) the next day's start. Errors: invalid.
func timeParam(v, name string, loc *time.Location, dayEnd bool) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	d, err := time.ParseInLocation(time.DateOnly, v, loc)
	if err != nil {
		return time.Time{}, errs.E(errs.Invalid, "%s must be an RFC 3339 time or a day YYYY-MM-DD", name)
	}
	if dayEnd {
		d = d.AddDate(0, 0, 1)
	}
	return d, nil
}

func (s *Server) listCalls(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	f, err := s.callFilter(r)
	if err != nil {
		return err
	}
	calls, err := s.callRecords()
	if err != nil {
		return err
	}
	cs, next, err := calls.List(r.Context(), a, f)
	if err != nil {
		return err
	}
	out := make([]callView, len(cs))
	for i, c := range cs {
		out[i] = viewCall(c, s.tickets.Location())
	}
	httpx.WriteJSON(w, http.StatusOK, page[callView]{Items: out, NextCursor: encodeCursor(next)})
	return nil
}

// call returns the call of the request's path as the actor may see it.
// Errors: not_found, forbidden, unavailable.
func (s *Server) call(r *http.Request, a auth.Actor) (telephony.Call, error) {
	calls, err := s.callRecords()
	if err != nil {
		return telephony.Call{}, err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return telephony.Call{}, errs.E(errs.NotFound, "call %q not found", httpx.Clip(r.PathValue("id"), 40))
	}
	return calls.Get(r.Context(), a, id)
}

func (s *Server) getCall(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	c, err := s.call(r, a)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, viewCall(c, s.tickets.Location()))
	return nil
}

// callRecording sends a call's recording (ranges by http.ServeContent).
// The file is the one the record names, opened inside the recordings
// directory only. Errors: not_found (none), forbidden, unavailable.
func (s *Server) callRecording(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	c, err := s.call(r, a)
	if err != nil {
		return err
	}
	if c.Recording == "" || s.recordings == "" {
		return errs.E(errs.NotFound, "call %d has no recording", c.ID)
	}
	f, err := os.OpenInRoot(s.recordings, c.Recording)
	if err != nil {
		return errs.Wrap(errs.NotFound, err, "call %d has no recording", c.ID)
	}
	defer func() {
		if err := f.Close(); err != nil {
			s.log.WarnContext(r.Context(), "close recording", "call", c.ID, "err", err)
		}
	}()
	st, err := f.Stat()
	if err != nil {
		return errs.Wrap(errs.Internal, err, "recording of call %d", c.ID)
	}
	w.Header().Set("Content-Type", "audio/wav")
	w.Header().Set("Content-Disposition", httpx.ContentDisposition("call-"+strconv.FormatInt(c.ID, 10)+".wav"))
	httpx.AllowSlowTransfer(w, r, false, s.log)
	http.ServeContent(w, r, "", st.ModTime(), f)
	return nil
}

// outboundRequest names what the agent calls back: one of a missed-call
// entry, a ticket (回访) or a call.
type outboundRequest struct {
	CallbackID int64  `json:"callback_id"`
	TicketID   int64  `json:"ticket_id"`
	CallID     string `json:"call_id"`
}

// placeCall starts an outbound call for the agent: 201 with the call's
// record as it starts; the console follows it as any other voice contact.
func (s *Server) placeCall(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	if s.outbound == nil {
		return errs.E(errs.Unavailable, "this server places no calls: it has no telephony")
	}
	var req outboundRequest
	if err := httpx.DecodeJSON(w, r, &req, false); err != nil {
		return err
	}
	in := telephony.OutboundRequest{CallbackID: req.CallbackID, TicketID: req.TicketID}
	if req.CallID != "" {
		id, err := strconv.ParseInt(req.CallID, 10, 64)
		if err != nil || id <= 0 {
			return errs.E(errs.Invalid, "call_id must be a call's id")
		}
		in.CallID = id
	}
	c, err := s.outbound.Call(r.Context(), a, in)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, viewCall(c, s.tickets.Location()))
	return nil
}

type callbackView struct {
	ID        int64     `json:"id"`
	Phone     string    `json:"phone"`
	Reason    string    `json:"reason"`
	CallID    string    `json:"call_id"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	DueAt     time.Time `json:"due_at"`
	State     string    `json:"state"`
	Attempts  int       `json:"attempts"` // the hotline's dial attempts
	// Calls counts the citizen's missed calls merged into the entry.
	Calls         int        `json:"calls"`
	Agent         string     `json:"agent"` // who dialled it last
	LastAttemptAt *time.Time `json:"last_attempt_at"`
}

func (s *Server) listCallbacks(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	q, err := httpx.Query(r, "state", "limit", "cursor")
	if err != nil {
		return err
	}
	var f telephony.CallbackFilter
	if st := q.Get("state"); st != "" {
		if f.State, err = telephony.ParseCallbackState(st); err != nil {
			return err
		}
	}
	if f.Limit, err = limitParam(q); err != nil {
		return err
	}
	if c := q.Get("cursor"); c != "" {
		if f.Before, err = decodeCursor(c); err != nil {
			return err
		}
	}
	calls, err := s.callRecords()
	if err != nil {
		return err
	}
	cbs, next, err := calls.Callbacks(r.Context(), a, f)
	if err != nil {
		return err
	}
	loc := s.tickets.Location()
	out := make([]callbackView, len(cbs))
	for i, c := range cbs {
		out[i] = callbackView{ID: c.ID, Phone: c.Phone, Reason: string(c.Reason), CallID: strconv.FormatInt(c.CallID, 10),
			CreatedAt: c.CreatedAt.In(loc), UpdatedAt: c.UpdatedAt.In(loc), DueAt: c.DueAt.In(loc),
			State: string(c.State), Attempts: c.Attempts, Calls: c.Calls, Agent: c.Agent, LastAttemptAt: inLoc(c.LastAttemptAt, loc)}
	}
	httpx.WriteJSON(w, http.StatusOK, page[callbackView]{Items: out, NextCursor: encodeCursor(next)})
	return nil
}

// linkChat records a ticket made from a chat on the chat and tells the
// citizen its number; a ticket whose chat is not the agent's keeps its
// chat_id as written, and the chat is left as it was.
func (s *Server) linkChat(r *http.Request, a auth.Actor, t *ticketing.Ticket) {
	if t.ChatID == "" || s.chatsSvc == nil {
		return
	}
	id, err := strconv.ParseInt(t.ChatID, 10, 64)
	if err == nil {
		err = s.chatsSvc.LinkTicket(r.Context(), id, a.Username, t.ID, t.Number)
	}
	if err != nil {
		s.log.WarnContext(r.Context(), "ticket not linked to its chat", "ticket", t.ID, "chat_id", t.ChatID, "err", err)
		return
	}
	s.attachChatRecord(r.Context(), a, t, id)
}

// linkCall shows a ticket made during a call on the call's record. The
// ticket stands whatever happens here: a call_id that names no call of
// this server (a call from another system) or a failed link is logged,
// and a retry of the request links again.
func (s *Server) linkCall(r *http.Request, t *ticketing.Ticket) {
	if t.CallID == "" || s.calls == nil {
		return
	}
	id, err := strconv.ParseInt(t.CallID, 10, 64)
	if err == nil {
		err = s.calls.LinkTicket(r.Context(), id, t.ID)
	}
	if err != nil {
		s.log.WarnContext(r.Context(), "ticket not linked to its call", "ticket", t.ID, "call_id", t.CallID, "err", err)
	}
}

package agentui

import (
	"context"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/internal/httpx"
	"github.com/open12345/hotline/routing"
)

// callTransferData is the data of call.transfer: the call's contact and
// a queue or an agent to pass it to.
type callTransferData struct {
	ContactID string `json:"contact_id"`
	Queue     string `json:"queue,omitempty"`
	Agent     string `json:"agent,omitempty"`
}

// callTransfer handles call.transfer from the console of the agent who
// has the call (a blind transfer): routing takes the contact off the
// agent and queues it again, or offers it to the named agent; the call
// flow hears it, hangs up the agent's phone and plays music to the
// caller until the next agent answers. Errors: invalid, not_found (not
// the agent's call), conflict, those of routing.
func (h *Hub) callTransfer(agent string, req envelope) (any, error) {
	var d callTransferData
	if err := decodeData(req, &d); err != nil {
		return nil, err
	}
	if (d.Queue == "") == (d.Agent == "") {
		return nil, errs.E(errs.Invalid, "transfer to a queue or to an agent")
	}
	if !h.hasContact(agent, d.ContactID, routing.Voice) {
		return nil, errs.E(errs.NotFound, "you have no call %q", httpx.Clip(d.ContactID, 40))
	}
	if d.Queue != "" {
		c, err := h.engine.Transfer(d.ContactID, d.Queue)
		return viewContact(c), err
	}
	c, err := h.engine.TransferToAgent(d.ContactID, d.Agent)
	return viewContact(c), err
}

// hasContact reports whether the agent is connected to the contact of ch.
func (h *Hub) hasContact(agent, contactID string, ch routing.Channel) bool {
	v, ok := h.engine.Agent(agent)
	if !ok {
		return false
	}
	for _, c := range v.Contacts {
		if c.ID == contactID && c.Channel == ch && c.Status == routing.Connected {
			return true
		}
	}
	return false
}

// CallHolder is a voice channel's hold (the SIP call flow): the caller
// hears music and the agent nothing, until resumed.
type CallHolder interface {
	Hold(ctx context.Context, contactID string, on bool) error
}

// callHoldData is the data of call.hold.
type callHoldData struct {
	ContactID string `json:"contact_id"`
	Hold      bool   `json:"hold"`
}

// callHold handles call.hold from the console of the agent who has the
// call: hold (true) or resume (false). Errors: invalid, not_found (not
// the agent's call), unavailable (no voice channel), conflict.
func (h *Hub) callHold(ctx context.Context, agent string, req envelope) (any, error) {
	var d callHoldData
	if err := decodeData(req, &d); err != nil {
		return nil, err
	}
	if !h.hasContact(agent, d.ContactID, routing.Voice) {
		return nil, errs.E(errs.NotFound, "you have no call %q", httpx.Clip(d.ContactID, 40))
	}
	holder, ok := h.controls.byChannel[routing.Voice].(CallHolder)
	if !ok {
		return nil, errs.E(errs.Unavailable, "calls cannot be held on this server")
	}
	ctx, cancel := context.WithTimeout(ctx, controlTimeout)
	defer cancel()
	if err := holder.Hold(ctx, d.ContactID, d.Hold); err != nil {
		return nil, err
	}
	return d, nil
}

// CallConferencer is a voice channel's three-way call (the SIP call
// flow): it rings a registered phone's user, or a number through the
// trunk, into the agent's call.
type CallConferencer interface {
	Conference(ctx context.Context, contactID, user string) error
	ConferenceNumber(ctx context.Context, contactID, number, party string) error
}

// callConferenceData is the data of call.conference: the user whose
// phone joins, or the department whose phone number is dialled.
type callConferenceData struct {
	ContactID  string `json:"contact_id"`
	User       string `json:"user,omitempty"`
	Department string `json:"department,omitempty"`
}

// callConference handles call.conference from the console of the agent
// who has the call: the user's registered phone (a department's staff,
// another agent) rings and, once answered, joins the call. Errors:
// invalid, not_found (not the agent's call), unavailable (no phone, no
// voice channel), conflict (a third party is in already).
func (h *Hub) callConference(ctx context.Context, agent string, req envelope) (any, error) {
	var d callConferenceData
	if err := decodeData(req, &d); err != nil {
		return nil, err
	}
	if (d.User == "") == (d.Department == "") || len(d.User) > 64 || d.User == agent || len(d.Department) > 40 {
		return nil, errs.E(errs.Invalid, "name the user whose phone joins the call (not yourself), or the department to call")
	}
	if !h.hasContact(agent, d.ContactID, routing.Voice) {
		return nil, errs.E(errs.NotFound, "you have no call %q", httpx.Clip(d.ContactID, 40))
	}
	conf, ok := h.controls.byChannel[routing.Voice].(CallConferencer)
	if !ok {
		return nil, errs.E(errs.Unavailable, "three-way calls do not run on this server")
	}
	ctx, cancel := context.WithTimeout(ctx, controlTimeout)
	defer cancel()
	if d.Department != "" {
		phone, err := h.departmentPhone(ctx, d.Department)
		if err != nil {
			return nil, err
		}
		return d, conf.ConferenceNumber(ctx, d.ContactID, phone, "department "+d.Department)
	}
	if err := conf.Conference(ctx, d.ContactID, d.User); err != nil {
		return nil, err
	}
	return d, nil
}

// departmentPhone is the phone number of the department code. Errors:
// not_found (no such department), unavailable (it has no phone).
func (h *Hub) departmentPhone(ctx context.Context, code string) (string, error) {
	if h.tickets == nil {
		return "", errs.E(errs.Unavailable, "departments are not known here")
	}
	ds, err := h.tickets.Departments(ctx, auth.System)
	if err != nil {
		return "", err
	}
	for _, dep := range ds {
		if dep.Code == code {
			if dep.Phone == "" {
				return "", errs.E(errs.Unavailable, "department %s has no phone number", code)
			}
			return dep.Phone, nil
		}
	}
	return "", errs.E(errs.NotFound, "no department %q", httpx.Clip(code, 40))
}

// CallConsulter is a voice channel's consultative transfer (the SIP call
// flow): the caller held while the agent talks to another agent, then
// handed over or given back.
type CallConsulter interface {
	ConsultStart(ctx context.Context, contactID, user string) error
	ConsultComplete(ctx context.Context, contactID string) error
	ConsultCancel(ctx context.Context, contactID string) error
}

// callConsultData is the data of call.consult (with the agent to
// consult), call.consult.complete and call.consult.cancel.
type callConsultData struct {
	ContactID string `json:"contact_id"`
	Agent     string `json:"agent,omitempty"`
}

// callConsult handles the steps of a consultative transfer from the
// console of the agent who has the call. Errors: invalid, not_found (not
// the agent's call), unavailable (no phone, no voice channel), conflict.
func (h *Hub) callConsult(ctx context.Context, agent string, req envelope) (any, error) {
	var d callConsultData
	if err := decodeData(req, &d); err != nil {
		return nil, err
	}
	start := req.Type == "call.consult"
	if start && (d.Agent == "" || len(d.Agent) > 64 || d.Agent == agent) {
		return nil, errs.E(errs.Invalid, "name the agent to consult (not yourself)")
	}
	if !start && d.Agent != "" {
		return nil, errs.E(errs.Invalid, "%s takes only the contact_id", req.Type)
	}
	if !h.hasContact(agent, d.ContactID, routing.Voice) {
		return nil, errs.E(errs.NotFound, "you have no call %q", httpx.Clip(d.ContactID, 40))
	}
	consulter, ok := h.controls.byChannel[routing.Voice].(CallConsulter)
	if !ok {
		return nil, errs.E(errs.Unavailable, "consultative transfers do not run on this server")
	}
	ctx, cancel := context.WithTimeout(ctx, controlTimeout)
	defer cancel()
	var err error
	switch req.Type {
	case "call.consult":
		err = consulter.ConsultStart(ctx, d.ContactID, d.Agent)
	case "call.consult.complete":
		err = consulter.ConsultComplete(ctx, d.ContactID)
	default:
		err = consulter.ConsultCancel(ctx, d.ContactID)
	}
	return d, err
}

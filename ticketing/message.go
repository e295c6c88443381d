package ticketing

import (
	"time"

	"github.com/open12345/hotline/auth"
)

// Topic says who a message is for.
type Topic string

// The message topics.
const (
	TopicDepartment Topic = "department" // the department's console and webhook
	TopicCitizen    Topic = "citizen"    // an SMS to the citizen
	TopicStaff      Topic = "staff"      // agents' or supervisors' consoles
)

// Audiences of staff messages.
const (
	AudienceAgents      = "agents"
	AudienceSupervisors = "supervisors"
)

// Citizen notification templates.
const (
	TemplateAccepted = "accepted" // the ticket number, when recorded
	TemplateReplied  = "replied"  // the department has answered
	TemplateCallback = "callback" // the hotline asks for the citizen's rating
)

// Message is work a ticket change hands to the dispatch queue: a delivery
// to a department, a notice to staff, or a notification to the citizen.
type Message struct {
	Topic      Topic          `json:"topic"`
	Event      string         `json:"event"`                // what happened, e.g. ticket.dispatched
	Department string         `json:"department,omitempty"` // department topic: the recipient
	Audience   string         `json:"audience,omitempty"`   // staff topic: agents or supervisors
	Template   string         `json:"template,omitempty"`   // citizen topic
	Urgent     bool           `json:"urgent,omitempty"`     // goes ahead of other work
	Detail     map[string]any `json:"detail,omitempty"`     // event specifics for the recipient
	// Ticket (department topic) is the ticket as the recipient department
	// may see it at the time of the event. The store keeps it with the
	// delivery, and the delivery carries it, not the ticket's state at
	// sending time, which may hold what the department may no longer see.
	Ticket *View `json:"-"`
}

// departmentViewer is how a department sees a ticket it receives.
func departmentViewer(code string) auth.Actor {
	return auth.Actor{Username: "department:" + code, Role: auth.RoleDepartment, Department: code}
}

// toDepartments addresses event to the lead and, when withSupport, each
// supporting department of t, each with the ticket as it sees it now
// (times in loc) and the detail masked for departments.
func toDepartments(loc *time.Location, t *Ticket, event string, withSupport bool, detail map[string]any) []Message {
	depts := []string{t.Department}
	if withSupport {
		depts = append(depts, t.CoDepartments...)
	}
	var out []Message
	for _, d := range depts {
		if d != "" {
			v := NewView(ViewFor(departmentViewer(d), t), loc)
			out = append(out, Message{Topic: TopicDepartment, Event: event, Department: d,
				Urgent: t.Urgency != UrgencyNormal, Detail: MaskPayload(detail), Ticket: &v})
		}
	}
	return out
}

func toStaff(t *Ticket, audience, event string, detail map[string]any) Message {
	return Message{Topic: TopicStaff, Event: event, Audience: audience, Urgent: t.Urgency == UrgencyUrgent, Detail: detail}
}

// toCitizen notifies the citizen, if they left a phone number.
func toCitizen(t *Ticket, template string) []Message {
	if t.Citizen.Phone == "" {
		return nil
	}
	return []Message{{Topic: TopicCitizen, Event: "citizen." + template, Template: template}}
}

// messagesFor returns the messages an action on t sends; t is the ticket
// after the action, before is the lead department before it, loc the
// hotline's zone.
func messagesFor(loc *time.Location, a Action, t *Ticket, before string, payload map[string]any) []Message {
	switch a {
	case ActionDispatch:
		return toDepartments(loc, t, "ticket.dispatched", true, payload)
	case ActionReopen:
		return toDepartments(loc, t, "ticket.reopened", true, payload)
	case ActionUrge:
		return toDepartments(loc, t, "ticket.urged", false, payload)
	case ActionApproveExtension:
		return toDepartments(loc, t, "ticket.extension_approved", false, payload)
	case ActionDenyExtension:
		return toDepartments(loc, t, "ticket.extension_denied", false, payload)
	case ActionRequestExtension:
		return []Message{toStaff(t, AudienceSupervisors, "ticket.extension_requested", payload)}
	case ActionReturn:
		return []Message{toStaff(t, AudienceAgents, "ticket.returned", payload)}
	case ActionReply:
		return append(toCitizen(t, TemplateReplied), toStaff(t, AudienceAgents, "ticket.replied", nil))
	case ActionContribute:
		return toDepartments(loc, t, "ticket.contributed", false, payload)
	case ActionCallback:
		return toDepartments(loc, t, "ticket.rated", false, payload)
	case ActionClose:
		if before != "" {
			return toDepartments(loc, t, "ticket.closed", false, nil)
		}
	}
	return nil
}

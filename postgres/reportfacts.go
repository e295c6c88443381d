package postgres

import (
	"fmt"
	"strings"

	"github.com/open12345/hotline/reports"
	"github.com/open12345/hotline/routing"
)

// A factSource is one kind of fact the reports count: the rows it comes
// from, the moment that dates it, its value for each grouping, and what
// it adds to each counter (an integer expression; counters it does not
// name get 0). The daily recount, the check and the drill-down are all
// built from these, so a number and the rows behind it cannot disagree.
type factSource struct {
	entity string            // what a drill-down lists: tickets, calls, chats, callbacks
	id     string            // the listed row's id
	from   string            // FROM clause
	at     string            // the moment that dates the fact
	where  string            // further conditions, or ""
	dims   map[string]string // grouping (reports.Dims but the total) -> text expression; missing: ''
	counts map[string]string // counter -> expression
}

// ticketDims groups a ticket's facts by the ticket's fields; cycle facts
// add the department and the dispatching agent.
func ticketDims(department, agent string) map[string]string {
	return map[string]string{"channel": "t.channel", "kind": "t.kind", "category": "t.category",
		"region": "t.region", "department": department, "agent": agent}
}

const cycleFrom = "ticket_cycles c JOIN tickets t ON t.id = c.ticket_id"

// isInbound and the other fragments below name the call conditions the
// voice counters share.
const (
	offered  = "(k.direction = 'inbound' AND k.queued_at IS NOT NULL)"
	answered = "(k.direction = 'inbound' AND k.queued_at IS NOT NULL AND k.answered_at IS NOT NULL)"
	// Abandoned: the caller left the queue unanswered (hung up, asked for
	// a callback or left a voicemail); a failed call is neither.
	abandoned = "(k.direction = 'inbound' AND k.queued_at IS NOT NULL AND k.answered_at IS NULL AND k.outcome IN ('abandoned', 'voicemail', 'callback_requested'))"
	waited    = "(" + offered + " AND (k.answered_at IS NOT NULL OR k.ended_at IS NOT NULL))"
	talked    = "(" + answered + " AND k.ended_at IS NOT NULL)"
)

// ShortAbandonSeconds: an abandon within this wait is a short abandon.
const ShortAbandonSeconds = 5

func when(cond, value string) string { return "CASE WHEN " + cond + " THEN " + value + " ELSE 0 END" }
func flag(cond string) string        { return "(" + cond + ")::int" }

var factSources = []factSource{
	{entity: "tickets", id: "t.id", at: "t.created_at",
		from: "tickets t LEFT JOIN users u ON u.id = t.created_by",
		dims: ticketDims("''", "coalesce(u.username, '')"),
		counts: map[string]string{"tickets_created": "1",
			"closed_directly": flag("EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_id = t.id AND e.action = 'close_directly')")}},
	{entity: "tickets", id: "t.id", at: "c.dispatched_at", from: cycleFrom,
		dims:   ticketDims("c.department", "c.agent"),
		counts: map[string]string{"dispatched": "1", "reopens": flag("c.origin = 'reopen'")}},
	{entity: "tickets", id: "t.id", at: "c.sign_decided_at", from: cycleFrom,
		dims: ticketDims("c.department", "c.agent"),
		counts: map[string]string{"sign_measured": "1",
			"signed_on_time": flag("c.signed_at IS NOT NULL AND (c.sign_due_at IS NULL OR c.signed_at <= c.sign_due_at)")}},
	{entity: "tickets", id: "t.id", at: "c.completion_decided_at", from: cycleFrom,
		dims: ticketDims("c.department", "c.agent"),
		counts: map[string]string{"completion_measured": "1",
			"completed_on_time": flag("c.replied_at IS NOT NULL AND (c.due_at IS NULL OR c.replied_at <= c.due_at)")}},
	{entity: "tickets", id: "t.id", at: "c.ended_at", from: cycleFrom,
		dims: ticketDims("c.department", "c.agent"),
		counts: map[string]string{"returns": flag("c.end_action = 'return'"), "replies": flag("c.end_action = 'reply'"),
			"reply_days_sum": when("c.end_action = 'reply'", "coalesce(c.reply_working_days, 0)"),
			"overdue_out":    flag("c.due_at IS NOT NULL AND c.ended_at > c.due_at")}},
	{entity: "tickets", id: "t.id", at: "c.due_at", from: cycleFrom, where: "(c.ended_at IS NULL OR c.ended_at > c.due_at)",
		dims: ticketDims("c.department", "c.agent"), counts: map[string]string{"overdue_in": "1"}},
	{entity: "tickets", id: "t.id", at: "c.extended_at", from: cycleFrom,
		dims: ticketDims("c.department", "c.agent"), counts: map[string]string{"extensions": "1"}},
	{entity: "tickets", id: "t.id", at: "c.callback_at", from: cycleFrom,
		dims:   ticketDims("c.department", "c.agent"),
		counts: map[string]string{"callbacks_rated": "1", "callbacks_satisfied": flag("coalesce(c.satisfied, false)")}},
	{entity: "calls", id: "k.id", at: "k.started_at",
		from: "calls k LEFT JOIN routing_queues q ON q.name = k.queue",
		dims: map[string]string{"channel": "'phone'", "agent": "k.agent", "queue": "k.queue"},
		counts: map[string]string{
			"ivr_calls":       flag("k.direction = 'inbound' AND k.outcome = 'ivr'"),
			"calls_offered":   flag(offered),
			"calls_answered":  flag(answered),
			"calls_abandoned": flag(abandoned),
			"short_abandons":  flag(fmt.Sprintf("%s AND k.wait_seconds < %d", abandoned, ShortAbandonSeconds)),
			"answered_15s":    flag(answered + " AND k.wait_seconds <= 15"),
			"answered_in_sl": flag(fmt.Sprintf("%s AND k.wait_seconds <= coalesce(nullif((q.config ->> 'service_level_seconds')::int, 0), %d)",
				answered, routing.DefaultServiceLevelSeconds)),
			"wait_sum":         when(waited, "k.wait_seconds"),
			"wait_count":       flag(waited),
			"wait_max":         when(waited, "k.wait_seconds"),
			"talk_sum":         when(talked, "k.talk_seconds"),
			"talk_count":       flag(talked),
			"outbound_calls":   flag("k.direction = 'outbound'"),
			"outbound_reached": flag("k.direction = 'outbound' AND k.outcome = 'answered'"),
		}},
	{entity: "callbacks", id: "b.id", at: "b.created_at",
		from: "callbacks b LEFT JOIN calls k ON k.id = b.call_id",
		dims: map[string]string{"channel": "'phone'", "agent": "b.agent", "queue": "coalesce(k.queue, '')"},
		counts: map[string]string{"callbacks_due": "1", "callbacks_reached": flag("b.state = 'reached'"),
			"callback_seconds_sum": when("b.state = 'reached'", "extract(epoch FROM b.updated_at - b.created_at)::bigint")}},
	{entity: "chats", id: "h.id", at: "h.started_at",
		from:  "chats h LEFT JOIN LATERAL (SELECT min(m.at) AS at FROM chat_messages m WHERE m.chat_id = h.id AND m.sender = 'agent') fr ON true",
		where: "EXISTS (SELECT 1 FROM chat_messages m WHERE m.chat_id = h.id AND m.sender = 'citizen')",
		dims:  map[string]string{"channel": "'webchat'", "agent": "h.agent", "queue": "h.queue"},
		counts: map[string]string{"chats_offered": "1",
			"chats_bot_only":       flag("h.outcome = 'bot_only'"),
			"chats_handed_off":     flag("h.queued_at IS NOT NULL"),
			"chats_answered":       flag("h.agent <> ''"),
			"first_response_sum":   when("h.agent <> '' AND h.queued_at IS NOT NULL AND fr.at >= h.queued_at", "extract(epoch FROM fr.at - h.queued_at)::bigint"),
			"first_response_count": flag("h.agent <> '' AND h.queued_at IS NOT NULL AND fr.at >= h.queued_at"),
			"chat_seconds_sum":     when("h.ended_at IS NOT NULL", "extract(epoch FROM h.ended_at - h.started_at)::bigint"),
			"chat_seconds_count":   flag("h.ended_at IS NOT NULL"),
			"chats_rated":          flag("h.satisfaction IS NOT NULL"),
			"chats_rated_good":     flag("h.satisfaction >= 4"),
			"chats_left_message":   flag("h.outcome = 'left_message'"),
		}},
}

// groupDims are the stored groupings but the total, in reports.Dims order.
var groupDims = func() []string {
	var out []string
	for _, d := range reports.Dims[1:] {
		out = append(out, string(d))
	}
	return out
}()

// window is the condition that a source's facts fall in [$1, $2) and have
// happened by $3 (a deadline decides a fact only once it has passed).
func (f factSource) window() string {
	w := fmt.Sprintf("%[1]s >= $1 AND %[1]s < $2 AND %[1]s <= $3", f.at)
	if f.where != "" {
		w += " AND " + f.where
	}
	return w
}

func (f factSource) dim(d string) string {
	if e, ok := f.dims[d]; ok {
		return e
	}
	return "''"
}

// selectFacts is the source's facts in [$1, $2) as rows of the groupings
// and every counter.
func (f factSource) selectFacts() string {
	cols := make([]string, 0, len(groupDims)+len(reports.CounterNames))
	for _, d := range groupDims {
		cols = append(cols, f.dim(d)+" AS "+d)
	}
	for _, n := range reports.CounterNames {
		e, ok := f.counts[n]
		if !ok {
			e = "0"
		}
		cols = append(cols, "("+e+")::bigint AS "+n)
	}
	return "SELECT " + strings.Join(cols, ", ") + " FROM " + f.from + " WHERE " + f.window()
}

// recountSQL counts every fact in [$1, $2) decided by $3, for the total
// and each grouping: rows (dim, key, counters...).
var recountSQL = func() string {
	parts := make([]string, len(factSources))
	for i, f := range factSources {
		parts[i] = f.selectFacts()
	}
	var dimCase, keyCase, sets strings.Builder
	dimCase.WriteString("CASE")
	keyCase.WriteString("CASE")
	sets.WriteString("()")
	for _, d := range groupDims {
		fmt.Fprintf(&dimCase, " WHEN grouping(%[1]s) = 0 THEN '%[1]s'", d)
		fmt.Fprintf(&keyCase, " WHEN grouping(%[1]s) = 0 THEN coalesce(%[1]s, '')", d)
		fmt.Fprintf(&sets, ", (%s)", d)
	}
	dimCase.WriteString(" ELSE '' END")
	keyCase.WriteString(" ELSE '' END")
	aggs := make([]string, len(reports.CounterNames))
	for i, n := range reports.CounterNames {
		agg := "sum"
		if reports.MaxCounters[n] {
			agg = "max"
		}
		aggs[i] = fmt.Sprintf("coalesce(%s(%s), 0)::bigint", agg, n)
	}
	return "SELECT " + dimCase.String() + " AS dim, " + keyCase.String() + " AS key, " + strings.Join(aggs, ", ") +
		" FROM (" + strings.Join(parts, " UNION ALL ") + ") f GROUP BY GROUPING SETS (" + sets.String() + ")"
}()

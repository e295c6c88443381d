package reports

import (
	"slices"
	"strings"
)

// Counters are the additive facts behind every indicator of one day (or
// period) and grouping key: counts, and sums of durations over the facts
// counted beside them. Each field is a column of report_daily, in
// CounterNames order; every one adds up over days except WaitMax.
type Counters struct {
	TicketsCreated     int64
	ClosedDirectly     int64
	Dispatched         int64 // dispatch cycles started: dispatches and reopens
	Reopens            int64
	SignMeasured       int64 // dispatch cycles whose signing was decided
	SignedOnTime       int64
	CompletionMeasured int64 // dispatch cycles whose completion was decided
	CompletedOnTime    int64
	Returns            int64
	Replies            int64
	ReplyDaysSum       int64 // working days from dispatch to reply, over Replies
	Extensions         int64
	CallbacksRated     int64
	CallbacksSatisfied int64
	OverdueIn          int64 // cycles that passed their due date unreplied, on that day
	OverdueOut         int64 // of those, the ones that ended, on the day they did

	IVRCalls        int64
	CallsOffered    int64
	CallsAnswered   int64
	CallsAbandoned  int64
	ShortAbandons   int64
	Answered15s     int64
	AnsweredInSL    int64
	WaitSum         int64
	WaitCount       int64
	WaitMax         int64
	TalkSum         int64
	TalkCount       int64
	OutboundCalls   int64
	OutboundReached int64

	CallbacksDue       int64
	CallbacksReached   int64
	CallbackSecondsSum int64

	ChatsOffered       int64
	ChatsBotOnly       int64
	ChatsHandedOff     int64
	ChatsAnswered      int64
	FirstResponseSum   int64
	FirstResponseCount int64
	ChatSecondsSum     int64
	ChatSecondsCount   int64
	ChatsRated         int64
	ChatsRatedGood     int64
	ChatsLeftMessage   int64
}

// CounterNames are the counters' column names, in the order of Fields.
var CounterNames = []string{
	"tickets_created", "closed_directly", "dispatched", "reopens",
	"sign_measured", "signed_on_time", "completion_measured", "completed_on_time",
	"returns", "replies", "reply_days_sum", "extensions",
	"callbacks_rated", "callbacks_satisfied", "overdue_in", "overdue_out",
	"ivr_calls", "calls_offered", "calls_answered", "calls_abandoned",
	"short_abandons", "answered_15s", "answered_in_sl", "wait_sum",
	"wait_count", "wait_max", "talk_sum", "talk_count",
	"outbound_calls", "outbound_reached",
	"callbacks_due", "callbacks_reached", "callback_seconds_sum",
	"chats_offered", "chats_bot_only", "chats_handed_off", "chats_answered",
	"first_response_sum", "first_response_count", "chat_seconds_sum", "chat_seconds_count",
	"chats_rated", "chats_rated_good", "chats_left_message",
}

// MaxCounters are the counters that combine by maximum, not by sum.
var MaxCounters = map[string]bool{"wait_max": true}

// Fields returns pointers to the counters, in CounterNames order, for
// scanning and adding.
func (c *Counters) Fields() []*int64 {
	return []*int64{
		&c.TicketsCreated, &c.ClosedDirectly, &c.Dispatched, &c.Reopens,
		&c.SignMeasured, &c.SignedOnTime, &c.CompletionMeasured, &c.CompletedOnTime,
		&c.Returns, &c.Replies, &c.ReplyDaysSum, &c.Extensions,
		&c.CallbacksRated, &c.CallbacksSatisfied, &c.OverdueIn, &c.OverdueOut,
		&c.IVRCalls, &c.CallsOffered, &c.CallsAnswered, &c.CallsAbandoned,
		&c.ShortAbandons, &c.Answered15s, &c.AnsweredInSL, &c.WaitSum,
		&c.WaitCount, &c.WaitMax, &c.TalkSum, &c.TalkCount,
		&c.OutboundCalls, &c.OutboundReached,
		&c.CallbacksDue, &c.CallbacksReached, &c.CallbackSecondsSum,
		&c.ChatsOffered, &c.ChatsBotOnly, &c.ChatsHandedOff, &c.ChatsAnswered,
		&c.FirstResponseSum, &c.FirstResponseCount, &c.ChatSecondsSum, &c.ChatSecondsCount,
		&c.ChatsRated, &c.ChatsRatedGood, &c.ChatsLeftMessage,
	}
}

// Add adds o into c: sums, and the larger WaitMax.
func (c *Counters) Add(o Counters) {
	dst, src := c.Fields(), o.Fields()
	for i, name := range CounterNames {
		if MaxCounters[name] {
			*dst[i] = max(*dst[i], *src[i])
		} else {
			*dst[i] += *src[i]
		}
	}
}

// Overdue is the stock of overdue cycles these counters leave: those that
// passed their due date unreplied minus those of them that ended since.
func (c Counters) Overdue() int64 { return c.OverdueIn - c.OverdueOut }

// Countable reports whether the counter counts facts (one per row), as
// opposed to a sum or maximum of durations over them.
func Countable(name string) bool {
	return slices.Contains(CounterNames, name) && !MaxCounters[name] && !strings.HasSuffix(name, "_sum")
}

package reports

// Row is one line of a report: a grouping key with its indicators, in the
// field names of the API (docs/indicators.md defines each). Rates are
// fractions 0–1 and averages seconds (working days for replies); nil
// where nothing was measured.
type Row struct {
	Key   string `json:"key"`
	Label string `json:"label"`

	TicketsCreated       int64    `json:"tickets_created"`
	ClosedDirectly       int64    `json:"closed_directly"`
	DirectResolutionRate *float64 `json:"direct_resolution_rate"`
	Dispatched           int64    `json:"dispatched"`
	SignedOnTimeRate     *float64 `json:"signed_on_time_rate"`
	CompletedOnTimeRate  *float64 `json:"completed_on_time_rate"`
	Returns              int64    `json:"returns"`
	ReturnRate           *float64 `json:"return_rate"`
	Reopens              int64    `json:"reopens"`
	ReopenRate           *float64 `json:"reopen_rate"`
	Extensions           int64    `json:"extensions"`
	ExtensionRate        *float64 `json:"extension_rate"`
	Replies              int64    `json:"replies"`
	AvgReplyWorkingDays  *float64 `json:"avg_reply_working_days"`
	Overdue              int64    `json:"overdue"`
	CallbacksRated       int64    `json:"callbacks_rated"`
	SatisfactionRate     *float64 `json:"satisfaction_rate"`

	CallsOffered        int64    `json:"calls_offered"`
	CallsAnswered       int64    `json:"calls_answered"`
	AnswerRate          *float64 `json:"answer_rate"`
	Answer15sRate       *float64 `json:"answer_15s_rate"`
	ServiceLevel        *float64 `json:"service_level"`
	CallsAbandoned      int64    `json:"calls_abandoned"`
	ShortAbandons       int64    `json:"short_abandons"`
	AvgWaitSeconds      *float64 `json:"avg_wait_seconds"`
	MaxWaitSeconds      *int64   `json:"max_wait_seconds"`
	AvgTalkSeconds      *float64 `json:"avg_talk_seconds"`
	IVRCalls            int64    `json:"ivr_calls"`
	CallbacksDue        int64    `json:"callbacks_due"`
	CallbacksReached    int64    `json:"callbacks_reached"`
	CallbackReachedRate *float64 `json:"callback_reached_rate"`
	AvgCallbackSeconds  *float64 `json:"avg_callback_seconds"`
	OutboundCalls       int64    `json:"outbound_calls"`
	OutboundReached     int64    `json:"outbound_reached"`

	ChatsOffered            int64    `json:"chats_offered"`
	ChatsBotOnly            int64    `json:"chats_bot_only"`
	ChatsHandedOff          int64    `json:"chats_handed_off"`
	ChatsAnswered           int64    `json:"chats_answered"`
	AvgFirstResponseSeconds *float64 `json:"avg_first_response_seconds"`
	AvgChatSeconds          *float64 `json:"avg_chat_seconds"`
	ChatSatisfactionRate    *float64 `json:"chat_satisfaction_rate"`
	ChatsLeftMessage        int64    `json:"chats_left_message"`
}

// NewRow computes a row's indicators from its counters and its overdue
// stock at the end of the row's period.
func NewRow(key, label string, c Counters, overdue int64) Row {
	measured := c.CallsOffered - c.ShortAbandons
	r := Row{Key: key, Label: label,
		TicketsCreated: c.TicketsCreated, ClosedDirectly: c.ClosedDirectly,
		DirectResolutionRate: ratio(c.ClosedDirectly, c.TicketsCreated),
		Dispatched:           c.Dispatched,
		SignedOnTimeRate:     ratio(c.SignedOnTime, c.SignMeasured),
		CompletedOnTimeRate:  ratio(c.CompletedOnTime, c.CompletionMeasured),
		Returns:              c.Returns, ReturnRate: ratio(c.Returns, c.Dispatched),
		Reopens: c.Reopens, ReopenRate: ratio(c.Reopens, c.Replies),
		Extensions: c.Extensions, ExtensionRate: ratio(c.Extensions, c.Dispatched),
		Replies: c.Replies, AvgReplyWorkingDays: ratio(c.ReplyDaysSum, c.Replies),
		Overdue:        overdue,
		CallbacksRated: c.CallbacksRated, SatisfactionRate: ratio(c.CallbacksSatisfied, c.CallbacksRated),

		CallsOffered: c.CallsOffered, CallsAnswered: c.CallsAnswered,
		AnswerRate:     ratio(c.CallsAnswered, measured),
		Answer15sRate:  ratio(c.Answered15s, measured),
		ServiceLevel:   ratio(c.AnsweredInSL, measured),
		CallsAbandoned: c.CallsAbandoned, ShortAbandons: c.ShortAbandons,
		AvgWaitSeconds: ratio(c.WaitSum, c.WaitCount),
		AvgTalkSeconds: ratio(c.TalkSum, c.TalkCount),
		IVRCalls:       c.IVRCalls,
		CallbacksDue:   c.CallbacksDue, CallbacksReached: c.CallbacksReached,
		CallbackReachedRate: ratio(c.CallbacksReached, c.CallbacksDue),
		AvgCallbackSeconds:  ratio(c.CallbackSecondsSum, c.CallbacksReached),
		OutboundCalls:       c.OutboundCalls, OutboundReached: c.OutboundReached,

		ChatsOffered: c.ChatsOffered, ChatsBotOnly: c.ChatsBotOnly,
		ChatsHandedOff: c.ChatsHandedOff, ChatsAnswered: c.ChatsAnswered,
		AvgFirstResponseSeconds: ratio(c.FirstResponseSum, c.FirstResponseCount),
		AvgChatSeconds:          ratio(c.ChatSecondsSum, c.ChatSecondsCount),
		ChatSatisfactionRate:    ratio(c.ChatsRatedGood, c.ChatsRated),
		ChatsLeftMessage:        c.ChatsLeftMessage,
	}
	if c.WaitCount > 0 {
		r.MaxWaitSeconds = &c.WaitMax
	}
	return r
}

// ratio is n ÷ d, or nil when d is 0: nothing measured, which a report
// must not show as 0 or 100%.
func ratio(n, d int64) *float64 {
	if d <= 0 {
		return nil
	}
	r := float64(n) / float64(d)
	return &r
}

// Package webchat is the citizens' web chat: chats and their durable
// transcripts, the bot that answers first from the knowledge base, and
// the states a chat goes through on its way to an agent.
//
// Every message is stored before anyone is told of it. A chat's messages
// are numbered from 1 without gaps (seq), so a client that reconnects
// with the last seq it saw receives exactly what it missed, in order; a
// citizen's message carries the client's own id (client_id), and sending
// it again stores nothing new and answers with the seq it got the first
// time.
package webchat

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"time"
	"unicode/utf8"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/textguard"
)

// State is where a chat is.
type State string

// Chat states: answered by the bot, waiting for an agent, with an agent,
// ended.
const (
	StateBot    State = "bot"
	StateQueued State = "queued"
	StateAgent  State = "agent"
	StateClosed State = "closed"
)

// Outcome is how a chat ended.
type Outcome string

// Outcomes, as reports count them.
const (
	OutcomeBotOnly     Outcome = "bot_only"
	OutcomeAnswered    Outcome = "answered"
	OutcomeAbandoned   Outcome = "abandoned"
	OutcomeLeftMessage Outcome = "left_message"
)

// From says who wrote a message.
type From string

// Writers of messages.
const (
	FromCitizen From = "citizen"
	FromBot     From = "bot"
	FromAgent   From = "agent"
	FromSystem  From = "system"
)

// Chat is one conversation with a citizen.
type Chat struct {
	ID           int64      `json:"id"`
	StartedAt    time.Time  `json:"started_at"`
	EndedAt      *time.Time `json:"ended_at"`
	State        State      `json:"state"`
	Queue        string     `json:"queue"`
	Agent        string     `json:"agent"`
	Outcome      Outcome    `json:"outcome,omitempty"`
	Satisfaction int        `json:"satisfaction,omitempty"`
	Phone        string     `json:"-"` // the citizen's, when given; masked where shown
	TicketID     int64      `json:"ticket_id,omitempty"`
	ClientAddr   string     `json:"-"`
	LastSeq      int        `json:"last_seq"`
	Unanswered   int        `json:"-"` // questions in a row the bot found nothing for
	// LookupNumber is the ticket number of a progress query waiting for
	// its phone; LookupTries counts the wrong pairs (MaxLookupTries).
	LookupNumber string `json:"-"`
	LookupTries  int    `json:"-"`
	// IdleWarnedAt is when the citizen was told the chat closes for
	// silence; a word after it makes it stale.
	IdleWarnedAt *time.Time `json:"-"`
	// QueuedAt is when the citizen first asked for an agent (the first
	// response time counts from it).
	QueuedAt *time.Time `json:"-"`
}

// PastChat is a chat in a citizen's history: when, how it ended, who
// served it, the ticket made from it.
type PastChat struct {
	ID           int64
	StartedAt    time.Time
	Outcome      Outcome
	Agent        string
	TicketNumber string
}

// IdleChat is an open chat with the time of its last word.
type IdleChat struct {
	Chat
	LastActive time.Time
}

// GuideRef is a guide a bot answer points to.
type GuideRef struct {
	Code    string `json:"code"`
	Name    string `json:"name"`
	Snippet string `json:"snippet"` // HTML: escaped text with <em> marks
	URL     string `json:"url"`
}

// Message is one line of a transcript.
type Message struct {
	ChatID     int64      `json:"-"`
	Seq        int        `json:"seq"`
	From       From       `json:"from"`
	Agent      string     `json:"agent,omitempty"`
	Text       string     `json:"text"`
	At         time.Time  `json:"at"`
	ClientID   string     `json:"-"`
	Guides     []GuideRef `json:"guides,omitempty"`
	Attachment string     `json:"attachment,omitempty"`
}

// Limits on what a chat accepts.
const (
	MaxMessageRunes  = 2000
	MaxClientIDBytes = 64
	// ReplayLimit bounds the messages one replay returns; a client far
	// behind asks again from the last it got.
	ReplayLimit = 500
)

// CheckText validates a message's text: not empty, at most
// MaxMessageRunes characters, no control characters.
func CheckText(text string) error {
	if err := textguard.Check("text", text, false); err != nil {
		return err
	}
	n := utf8.RuneCountInString(text)
	if n == 0 {
		return errs.E(errs.Invalid, "text is empty")
	}
	if n > MaxMessageRunes {
		return errs.E(errs.Invalid, "text is %d characters long; at most %d", n, MaxMessageRunes)
	}
	return nil
}

// CheckClientID validates a client's message id: 1-64 printable ASCII
// characters, or none.
func CheckClientID(id string) error {
	if len(id) > MaxClientIDBytes {
		return errs.E(errs.Invalid, "client_id is longer than %d bytes", MaxClientIDBytes)
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return errs.E(errs.Invalid, "client_id must be printable ASCII")
		}
	}
	return nil
}

// A Token resumes a chat: whoever holds it is the chat's citizen. It is
// 32 random bytes, given to the client once; the store keeps only its
// hash, and it never appears in a URL or a log.
type Token string

// NewToken returns a fresh random token.
func NewToken() Token {
	b := make([]byte, 32)
	rand.Read(b) // it never returns an error: it stops the program instead
	return Token(base64.RawURLEncoding.EncodeToString(b))
}

// Hash returns the token's SHA-256, as stores keep it; false when the
// token is not one NewToken could have made (so a forged one never
// reaches the database).
func (t Token) Hash() ([]byte, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(string(t))
	if err != nil || len(raw) != 32 {
		return nil, false
	}
	sum := sha256.Sum256(raw)
	return sum[:], true
}

// Filter selects chats for the history: started in [From, To), with the
// agent, with a message containing Q; Limit of them before the id Before
// (0: the newest).
type Filter struct {
	From, To time.Time
	Agent, Q string
	Limit    int
	Before   int64
}

// MaxQRunes bounds the text searched in the history's messages.
const MaxQRunes = 64

// Store keeps chats and their transcripts.
type Store interface {
	// CreateChat stores a new chat with the hash of its token and returns
	// it with its id.
	CreateChat(ctx context.Context, c Chat, tokenHash []byte) (Chat, error)
	// ChatByToken returns the chat whose token has the hash. Errors: not_found.
	ChatByToken(ctx context.Context, tokenHash []byte) (Chat, error)
	// Chat returns a chat by id. Errors: not_found.
	Chat(ctx context.Context, id int64) (Chat, error)
	// Append stores m as the chat's next message and returns it with its
	// seq. A message with the ClientID of one already stored stores
	// nothing and returns the stored one with duplicate set. Errors:
	// not_found (no such chat), invalid.
	Append(ctx context.Context, m Message) (stored Message, duplicate bool, err error)
	// MessagesAfter returns up to limit messages of the chat after seq, in order.
	MessagesAfter(ctx context.Context, chatID int64, seq, limit int) ([]Message, error)
	// ListChats returns the chats f selects, newest first.
	ListChats(ctx context.Context, f Filter) ([]Chat, error)
	// OpenChats returns the chats waiting for or talking with an agent.
	OpenChats(ctx context.Context) ([]Chat, error)
	// IdleChats returns the chats with the bot or an agent whose last
	// word (not a system notice) came before before, oldest first.
	IdleChats(ctx context.Context, before time.Time) ([]IdleChat, error)
	// ChatsByPhone returns the latest limit chats with the phone, newest first.
	ChatsByPhone(ctx context.Context, phone string, limit int) ([]PastChat, error)
	// UpdateChat saves the chat's state, queue, agent, outcome,
	// satisfaction, phone, ticket, end, unanswered count, progress query
	// and idle warning. Errors: not_found.
	UpdateChat(ctx context.Context, c Chat) error
}

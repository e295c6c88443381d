package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/webchat"
)

// ChatStore keeps web chats and their transcripts: it implements
// webchat.Store.
type ChatStore struct {
	db *DB
}

var _ webchat.Store = (*ChatStore)(nil)

// NewChatStore returns a ChatStore on db.
func NewChatStore(db *DB) *ChatStore { return &ChatStore{db: db} }

const chatColumns = `id, started_at, ended_at, state, queue, agent, coalesce(outcome, ''), coalesce(satisfaction, 0),
	phone, coalesce(ticket_id, 0), client_addr, last_seq, unanswered, lookup_number, lookup_tries, idle_warned_at, queued_at`

func scanChat(row pgx.Row) (webchat.Chat, error) {
	var c webchat.Chat
	err := row.Scan(chatFields(&c)...)
	return c, err
}

// chatFields are the scan destinations of chatColumns, in their order.
func chatFields(c *webchat.Chat) []any {
	return []any{&c.ID, &c.StartedAt, &c.EndedAt, &c.State, &c.Queue, &c.Agent, &c.Outcome, &c.Satisfaction,
		&c.Phone, &c.TicketID, &c.ClientAddr, &c.LastSeq, &c.Unanswered, &c.LookupNumber, &c.LookupTries, &c.IdleWarnedAt, &c.QueuedAt}
}

// CreateChat stores a new chat.
func (s *ChatStore) CreateChat(ctx context.Context, c webchat.Chat, tokenHash []byte) (webchat.Chat, error) {
	out, err := scanChat(s.db.Pool.QueryRow(ctx, `INSERT INTO chats (token_hash, started_at, state, queue, phone, client_addr)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING `+chatColumns, tokenHash, c.StartedAt, c.State, c.Queue, c.Phone, c.ClientAddr))
	return out, translate(err, "start chat")
}

// ChatByToken returns the chat of a resume token's hash.
func (s *ChatStore) ChatByToken(ctx context.Context, tokenHash []byte) (webchat.Chat, error) {
	c, err := scanChat(s.db.Pool.QueryRow(ctx, `SELECT `+chatColumns+` FROM chats WHERE token_hash = $1`, tokenHash))
	return c, translate(err, "find chat")
}

// Chat returns a chat by id.
func (s *ChatStore) Chat(ctx context.Context, id int64) (webchat.Chat, error) {
	c, err := scanChat(s.db.Pool.QueryRow(ctx, `SELECT `+chatColumns+` FROM chats WHERE id = $1`, id))
	return c, translate(err, fmt.Sprintf("chat %d", id))
}

// Append stores the chat's next message in one statement: it takes the
// chat's next seq under the row lock of its UPDATE and inserts the message,
// so seqs have no gaps; a resend (the same client_id) stores nothing and
// returns the first copy. One round trip, not a transaction of five: every
// chat message in both directions comes through here.
func (s *ChatStore) Append(ctx context.Context, m webchat.Message) (webchat.Message, bool, error) {
	doing := fmt.Sprintf("store a message of chat %d", m.ChatID)
	guides, err := json.Marshal(m.Guides)
	if err != nil {
		return m, false, fmt.Errorf("encode guides: %w", err)
	}
	if m.Guides == nil {
		guides = []byte("[]")
	}
	var clientID *string
	if m.ClientID != "" {
		clientID = &m.ClientID
	}
	err = s.db.Pool.QueryRow(ctx, `WITH next AS (
			UPDATE chats SET last_seq = last_seq + 1
			WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM chat_messages WHERE chat_id = $1 AND client_id = $6)
			RETURNING last_seq)
		INSERT INTO chat_messages (chat_id, seq, sender, agent, body, at, client_id, guides, attachment)
		SELECT $1, last_seq, $2, $3, $4, $5, $6, $7, $8 FROM next
		RETURNING seq`,
		m.ChatID, m.From, m.Agent, m.Text, m.At, clientID, guides, m.Attachment).Scan(&m.Seq)
	if err == nil {
		return m, false, nil
	}
	// No row: a resend, or no such chat. A unique violation: a resend
	// that raced its first copy (the row lock serialised them, the
	// NOT EXISTS saw the snapshot from before).
	if clientID == nil || !(errors.Is(err, pgx.ErrNoRows) || isUniqueViolation(err)) {
		return m, false, translate(err, doing)
	}
	stored, err := messageByClientID(ctx, s.db.Pool, m.ChatID, *clientID)
	if err != nil {
		return m, false, translate(err, doing)
	}
	return stored, true, nil
}

// queryer is a pool or a transaction.
type queryer interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// messageByClientID returns the message a client id stored in a chat, or
// pgx.ErrNoRows.
func messageByClientID(ctx context.Context, q queryer, chatID int64, clientID string) (webchat.Message, error) {
	stored, err := scanMessages(q.Query(ctx, `SELECT `+messageColumns+` FROM chat_messages
		WHERE chat_id = $1 AND client_id = $2`, chatID, clientID))
	if err != nil {
		return webchat.Message{}, err
	}
	if len(stored) == 0 {
		return webchat.Message{}, pgx.ErrNoRows
	}
	return stored[0], nil
}

const messageColumns = `chat_id, seq, sender, agent, body, at, coalesce(client_id, ''), guides, attachment`

func scanMessages(rows pgx.Rows, err error) ([]webchat.Message, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []webchat.Message
	for rows.Next() {
		var m webchat.Message
		var guides []byte
		if err := rows.Scan(&m.ChatID, &m.Seq, &m.From, &m.Agent, &m.Text, &m.At, &m.ClientID, &guides, &m.Attachment); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(guides, &m.Guides); err != nil {
			return nil, fmt.Errorf("decode the guides of message %d/%d: %w", m.ChatID, m.Seq, err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// MessagesAfter returns the chat's messages after seq, in order.
func (s *ChatStore) MessagesAfter(ctx context.Context, chatID int64, seq, limit int) ([]webchat.Message, error) {
	ms, err := scanMessages(s.db.Pool.Query(ctx, `SELECT `+messageColumns+` FROM chat_messages
		WHERE chat_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, chatID, seq, limit))
	return ms, translate(err, fmt.Sprintf("read chat %d", chatID))
}

// ListChats returns the chats f selects, newest first; Q matches message
// text as a substring (ILIKE, with its wildcards escaped).
func (s *ChatStore) ListChats(ctx context.Context, f webchat.Filter) ([]webchat.Chat, error) {
	var from, to *time.Time
	if !f.From.IsZero() {
		from = &f.From
	}
	if !f.To.IsZero() {
		to = &f.To
	}
	pattern := ""
	if f.Q != "" {
		pattern = "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(f.Q) + "%"
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT `+chatColumns+` FROM chats c
		WHERE ($1::timestamptz IS NULL OR started_at >= $1) AND ($2::timestamptz IS NULL OR started_at < $2)
		  AND ($3 = '' OR agent = $3) AND ($5 = 0 OR id < $5)
		  AND ($4 = '' OR EXISTS (SELECT 1 FROM chat_messages m WHERE m.chat_id = c.id AND m.body ILIKE $4))
		ORDER BY id DESC LIMIT $6`, from, to, f.Agent, pattern, f.Before, f.Limit)
	if err != nil {
		return nil, translate(err, "list chats")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (webchat.Chat, error) { return scanChat(row) })
	return out, translate(err, "list chats")
}

// OpenChats returns the chats waiting for or talking with an agent, oldest first.
func (s *ChatStore) OpenChats(ctx context.Context) ([]webchat.Chat, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+chatColumns+` FROM chats WHERE state IN ('queued', 'agent') ORDER BY id`)
	if err != nil {
		return nil, translate(err, "list open chats")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (webchat.Chat, error) { return scanChat(row) })
	return out, translate(err, "list open chats")
}

// IdleChats returns the chats with the bot or an agent whose last word
// from the citizen, the bot or the agent (system notices do not count)
// came at or before before, oldest first.
func (s *ChatStore) IdleChats(ctx context.Context, before time.Time) ([]webchat.IdleChat, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+chatColumns+`, last_active FROM (
		SELECT c.*, (SELECT max(at) FROM chat_messages m WHERE m.chat_id = c.id AND m.sender <> 'system') AS last_active
		FROM chats c WHERE state IN ('bot', 'agent')) c
		WHERE last_active <= $1 ORDER BY last_active`, before)
	if err != nil {
		return nil, translate(err, "list idle chats")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (webchat.IdleChat, error) {
		var c webchat.IdleChat
		err := row.Scan(append(chatFields(&c.Chat), &c.LastActive)...)
		return c, err
	})
	return out, translate(err, "list idle chats")
}

// ChatsByPhone returns the latest chats with the phone, newest first,
// with the numbers of the tickets made from them.
func (s *ChatStore) ChatsByPhone(ctx context.Context, phone string, limit int) ([]webchat.PastChat, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT c.id, c.started_at, coalesce(c.outcome, ''), c.agent, coalesce(t.number, '')
		FROM chats c LEFT JOIN tickets t ON t.id = c.ticket_id
		WHERE c.phone = $1 ORDER BY c.id DESC LIMIT $2`, phone, limit)
	if err != nil {
		return nil, translate(err, "list a phone's chats")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (webchat.PastChat, error) {
		var c webchat.PastChat
		err := row.Scan(&c.ID, &c.StartedAt, &c.Outcome, &c.Agent, &c.TicketNumber)
		return c, err
	})
	return out, translate(err, "list a phone's chats")
}

// UpdateChat saves what a chat's life changes.
func (s *ChatStore) UpdateChat(ctx context.Context, c webchat.Chat) error {
	var outcome *webchat.Outcome
	if c.Outcome != "" {
		outcome = &c.Outcome
	}
	var satisfaction *int
	if c.Satisfaction != 0 {
		satisfaction = &c.Satisfaction
	}
	var ticket *int64
	if c.TicketID != 0 {
		ticket = &c.TicketID
	}
	tag, err := s.db.Pool.Exec(ctx, `UPDATE chats SET state = $2, queue = $3, agent = $4, outcome = $5, satisfaction = $6,
		phone = $7, ticket_id = $8, ended_at = $9, unanswered = $10, lookup_number = $11, lookup_tries = $12,
		idle_warned_at = $13, queued_at = $14 WHERE id = $1`,
		c.ID, c.State, c.Queue, c.Agent, outcome, satisfaction, c.Phone, ticket, c.EndedAt, c.Unanswered,
		c.LookupNumber, c.LookupTries, c.IdleWarnedAt, c.QueuedAt)
	if err == nil && tag.RowsAffected() == 0 {
		return errs.E(errs.NotFound, "no chat %d", c.ID)
	}
	return translate(err, fmt.Sprintf("update chat %d", c.ID))
}

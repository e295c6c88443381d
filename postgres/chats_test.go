package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/postgres/pgtest"
	"github.com/open12345/hotline/webchat"
)

var chatStart = time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)

func newChat(t *testing.T, s *postgres.ChatStore) (webchat.Chat, webchat.Token) {
	t.Helper()
	tok := webchat.NewToken()
	hash, ok := tok.Hash()
	if !ok {
		t.Fatal("a new token does not hash")
	}
	c, err := s.CreateChat(context.Background(), webchat.Chat{StartedAt: chatStart, State: webchat.StateBot, ClientAddr: "127.0.0.1"}, hash)
	if err != nil {
		t.Fatal(err)
	}
	return c, tok
}

func TestChatStore_TokenFindsItsChatOnly(t *testing.T) {
	s := postgres.NewChatStore(pgtest.NewDB(t))
	a, tokA := newChat(t, s)
	b, _ := newChat(t, s)
	hash, _ := tokA.Hash()
	got, err := s.ChatByToken(context.Background(), hash)
	if err != nil || got.ID != a.ID || got.ID == b.ID || got.State != webchat.StateBot || !got.StartedAt.Equal(chatStart) {
		t.Fatalf("chat by token = %+v, %v; want chat %d", got, err, a.ID)
	}
	other, _ := webchat.NewToken().Hash()
	if _, err := s.ChatByToken(context.Background(), other); errs.CodeOf(err) != errs.NotFound {
		t.Errorf("chat by an unknown token: %v, want not_found", err)
	}
}

func TestChatStore_AppendNumbersWithoutGapsAndStoresResendsOnce(t *testing.T) {
	ctx := context.Background()
	s := postgres.NewChatStore(pgtest.NewDB(t))
	c, _ := newChat(t, s)
	m := webchat.Message{ChatID: c.ID, From: webchat.FromCitizen, Text: "社保卡丢了怎么办", At: chatStart, ClientID: "c-1"}
	first, dup, err := s.Append(ctx, m)
	if err != nil || dup || first.Seq != 1 {
		t.Fatalf("append = %+v, duplicate %v, %v; want seq 1", first, dup, err)
	}
	again, dup, err := s.Append(ctx, m)
	if err != nil || !dup || again.Seq != 1 || again.Text != m.Text {
		t.Fatalf("resend = %+v, duplicate %v, %v; want the stored seq 1", again, dup, err)
	}
	bot, _, err := s.Append(ctx, webchat.Message{ChatID: c.ID, From: webchat.FromBot, Text: "为您找到以下办事指南", At: chatStart,
		Guides: []webchat.GuideRef{{Code: "rsj-007", Name: "社会保障卡挂失及补换", Snippet: "<em>社保卡</em>", URL: "/guides/rsj-007"}}})
	if err != nil || bot.Seq != 2 {
		t.Fatalf("bot answer = %+v, %v; want seq 2", bot, err)
	}
	ms, err := s.MessagesAfter(ctx, c.ID, 0, 10)
	if err != nil || len(ms) != 2 || ms[0].ClientID != "c-1" || len(ms[1].Guides) != 1 || ms[1].Guides[0].Code != "rsj-007" {
		t.Fatalf("transcript = %+v, %v", ms, err)
	}
	if after, err := s.MessagesAfter(ctx, c.ID, 1, 10); err != nil || len(after) != 1 || after[0].Seq != 2 {
		t.Errorf("messages after 1 = %+v, %v", after, err)
	}
	if got, err := s.Chat(ctx, c.ID); err != nil || got.LastSeq != 2 {
		t.Errorf("chat after two messages: last_seq %d, %v", got.LastSeq, err)
	}
}

// Citizen and agent write at once, and the citizen resends: every
// message is stored once, numbered 1..n without gaps.
func TestChatStore_ConcurrentWritersGetDistinctSeqs(t *testing.T) {
	ctx := context.Background()
	s := postgres.NewChatStore(pgtest.NewDB(t))
	c, _ := newChat(t, s)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 25 {
				m := webchat.Message{ChatID: c.ID, From: webchat.FromCitizen, Text: fmt.Sprintf("%d-%d", w, i), At: chatStart,
					ClientID: fmt.Sprintf("w%d-%d", w%2, i)} // writers 0 and 2, 1 and 3 resend each other's ids
				if _, _, err := s.Append(ctx, m); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	ms, err := s.MessagesAfter(ctx, c.ID, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 50 {
		t.Fatalf("%d messages stored, want 50 (100 sent, each client id twice)", len(ms))
	}
	var ids []string
	for i, m := range ms {
		if m.Seq != i+1 {
			t.Fatalf("message %d has seq %d", i, m.Seq)
		}
		ids = append(ids, m.ClientID)
	}
	slices.Sort(ids)
	if len(slices.Compact(ids)) != 50 {
		t.Errorf("client ids stored more than once: %v", ids)
	}
}

func TestChatStore_RefusesWhatDoesNotFit(t *testing.T) {
	ctx := context.Background()
	s := postgres.NewChatStore(pgtest.NewDB(t))
	c, _ := newChat(t, s)
	if _, _, err := s.Append(ctx, webchat.Message{ChatID: c.ID, From: webchat.FromCitizen, Text: strings.Repeat("长", 4001), At: chatStart}); errs.CodeOf(err) != errs.Invalid {
		t.Errorf("append of 4,001 characters: %v, want invalid", err)
	}
	if _, _, err := s.Append(ctx, webchat.Message{ChatID: c.ID + 1000, From: webchat.FromCitizen, Text: "你好", At: chatStart}); errs.CodeOf(err) != errs.NotFound {
		t.Errorf("append to no chat: %v, want not_found", err)
	}
	if got, err := s.Chat(ctx, c.ID); err != nil || got.LastSeq != 0 {
		t.Errorf("after refused appends: last_seq %d, %v; want 0", got.LastSeq, err)
	}
}

func TestChatStore_UpdateChat(t *testing.T) {
	ctx := context.Background()
	s := postgres.NewChatStore(pgtest.NewDB(t))
	c, _ := newChat(t, s)
	end := chatStart.Add(10 * time.Minute)
	c.State, c.Queue, c.Agent, c.Outcome, c.Satisfaction, c.Phone, c.EndedAt, c.Unanswered =
		webchat.StateClosed, "consultation", "agent1", webchat.OutcomeAnswered, 5, "13800138000", &end, 1
	if err := s.UpdateChat(ctx, c); err != nil {
		t.Fatal(err)
	}
	got, err := s.Chat(ctx, c.ID)
	if err != nil || got.State != webchat.StateClosed || got.Agent != "agent1" || got.Satisfaction != 5 ||
		got.Outcome != webchat.OutcomeAnswered || got.EndedAt == nil || !got.EndedAt.Equal(end) || got.Phone != "13800138000" {
		t.Fatalf("after update: %+v, %v", got, err)
	}
	c.State = webchat.StateBot // open again but with an end: refused
	if err := s.UpdateChat(ctx, c); errs.CodeOf(err) != errs.Invalid {
		t.Errorf("an open chat with an end: %v, want invalid", err)
	}
	c.ID += 1000
	if err := s.UpdateChat(ctx, c); errs.CodeOf(err) != errs.NotFound {
		t.Errorf("update of no chat: %v, want not_found", err)
	}
}

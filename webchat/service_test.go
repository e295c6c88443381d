package webchat_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/knowledge"
	"github.com/open12345/hotline/knowledge/embedded/embeddedtest"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/postgres/pgtest"
	"github.com/open12345/hotline/webchat"
)

var t0 = time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)

func newService(t *testing.T) (*webchat.Service, *postgres.ChatStore) {
	t.Helper()
	store := postgres.NewChatStore(pgtest.NewDB(t))
	return webchat.NewService(store, embeddedtest.DemoSearch(t, knowledge.DefaultSynonyms()), clock.NewFake(t0), slog.New(slog.DiscardHandler), webchat.Config{}), store
}

func transcript(t *testing.T, svc *webchat.Service, chatID int64) []webchat.Message {
	t.Helper()
	ms, err := svc.Replay(context.Background(), chatID, 0)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// say sends text as the citizen and lets the bot answer, as the chat
// socket does.
func say(t *testing.T, svc *webchat.Service, chatID int64, text, clientID string) webchat.Message {
	t.Helper()
	m, dup, err := svc.Say(context.Background(), chatID, text, clientID)
	if err != nil {
		t.Fatalf("say %q: %v", text, err)
	}
	if !dup {
		if err := svc.Answer(context.Background(), m); err != nil {
			t.Fatalf("answer %q: %v", text, err)
		}
	}
	return m
}

func TestService_StartGreetsAndTheTokenResumesOnlyItsChat(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	c, tok, err := svc.Start(ctx, "203.0.113.7")
	if err != nil {
		t.Fatal(err)
	}
	if ms := transcript(t, svc, c.ID); len(ms) != 1 || ms[0].Seq != 1 || ms[0].From != webchat.FromBot || !strings.Contains(ms[0].Text, "12345") {
		t.Fatalf("a new chat's transcript = %+v, want the greeting as seq 1", ms)
	}
	other, otherTok, err := svc.Start(ctx, "203.0.113.8")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := svc.Resume(ctx, tok); err != nil || got.ID != c.ID || got.LastSeq != 1 {
		t.Fatalf("resume = %+v, %v; want chat %d at seq 1", got, err, c.ID)
	}
	if got, err := svc.Resume(ctx, otherTok); err != nil || got.ID != other.ID {
		t.Fatalf("resume the other = %+v, %v", got, err)
	}
	for _, forged := range []webchat.Token{"", "abc", webchat.Token(strings.Repeat("A", 43)), webchat.NewToken(), tok + "x", "../../etc/passwd"} {
		if _, err := svc.Resume(ctx, forged); errs.CodeOf(err) != errs.Unauthorized {
			t.Errorf("resume with %q: %v, want unauthorized", forged, err)
		}
	}
}

func TestService_BotAnswersWithGuides(t *testing.T) {
	svc, _ := newService(t)
	c, _, err := svc.Start(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	m := say(t, svc, c.ID, "社保卡丢了怎么办", "m-1")
	if m.Seq != 2 || m.From != webchat.FromCitizen {
		t.Fatalf("the citizen's message = %+v, want seq 2", m)
	}
	ms := transcript(t, svc, c.ID)
	if len(ms) != 3 || ms[2].From != webchat.FromBot || len(ms[2].Guides) == 0 {
		t.Fatalf("transcript = %+v, want the bot's answer with guides at seq 3", ms)
	}
	var codes []string
	for _, g := range ms[2].Guides {
		codes = append(codes, g.Code)
		if g.URL != "/guides/"+g.Code || g.Name == "" || !strings.Contains(g.Snippet, "<em>") {
			t.Errorf("guide %+v: want its page link, name and a marked snippet", g)
		}
	}
	if !slices.Contains(codes, "rsj-007") {
		t.Errorf("bot's guides %v, want rsj-007 (社会保障卡挂失及补换)", codes)
	}

	// A resend stores nothing and the bot does not answer twice.
	again := say(t, svc, c.ID, "社保卡丢了怎么办", "m-1")
	if again.Seq != 2 || len(transcript(t, svc, c.ID)) != 3 {
		t.Errorf("resend = seq %d, transcript of %d; want seq 2 and still 3 messages", again.Seq, len(transcript(t, svc, c.ID)))
	}
}

func TestService_BotOffersAnAgentAndHandsOff(t *testing.T) {
	ctx := context.Background()
	svc, store := newService(t)
	c, _, err := svc.Start(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	say(t, svc, c.ID, "火星移民签证", "q-1")
	say(t, svc, c.ID, "月球土地买卖", "q-2")
	ms := transcript(t, svc, c.ID)
	if last := ms[len(ms)-1]; last.From != webchat.FromBot || !strings.Contains(last.Text, "转人工") || !strings.Contains(last.Text, "转接") {
		t.Fatalf("after two unanswered questions the bot says %q, want the offer of an agent", last.Text)
	}
	say(t, svc, c.ID, " 转人工 ", "q-3")
	got, err := store.Chat(ctx, c.ID)
	if err != nil || got.State != webchat.StateQueued {
		t.Fatalf("after 转人工: %+v, %v; want queued", got, err)
	}
	ms = transcript(t, svc, c.ID)
	if last := ms[len(ms)-1]; last.From != webchat.FromSystem {
		t.Errorf("after 转人工 the last message is %+v, want the system's hand-off notice", last)
	}
	before := len(ms)
	say(t, svc, c.ID, "社保卡", "q-4") // queued: the bot is silent now
	if n := len(transcript(t, svc, c.ID)); n != before+1 {
		t.Errorf("a queued chat's message added %d messages, want only the citizen's", n-before)
	}
}

func TestService_RefusesBadMessagesAndClosedChats(t *testing.T) {
	ctx := context.Background()
	svc, store := newService(t)
	c, _, err := svc.Start(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct{ text, id string }{
		"empty":         {"", "a"},
		"too long":      {strings.Repeat("长", webchat.MaxMessageRunes+1), "b"},
		"control":       {"你好\x00", "c"},
		"bidi override": {"你好\u202e", "d"},
		"invalid utf-8": {"\xff\xfe", "e"},
		"long id":       {"你好", strings.Repeat("x", 65)},
		"id with space": {"你好", "a b"},
	} {
		if _, _, err := svc.Say(ctx, c.ID, tc.text, tc.id); errs.CodeOf(err) != errs.Invalid {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
	if n := len(transcript(t, svc, c.ID)); n != 1 {
		t.Errorf("refused messages were stored: %d messages", n)
	}
	if _, _, err := svc.Say(ctx, c.ID, strings.Repeat("长", webchat.MaxMessageRunes), "max"); err != nil {
		t.Errorf("a message of exactly %d characters: %v", webchat.MaxMessageRunes, err)
	}
	end := t0.Add(time.Hour)
	closed, err := store.Chat(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	closed.State, closed.EndedAt, closed.Outcome = webchat.StateClosed, &end, webchat.OutcomeBotOnly
	if err := store.UpdateChat(ctx, closed); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Say(ctx, c.ID, "还在吗", "late"); errs.CodeOf(err) != errs.Conflict {
		t.Errorf("say in a closed chat: %v, want conflict", err)
	}
	if err := svc.Handoff(ctx, c.ID); errs.CodeOf(err) != errs.Conflict {
		t.Errorf("hand off a closed chat: %v, want conflict", err)
	}
}

// A listener gets every message in order; one that falls behind is
// dropped, and its client resumes from its last seq without loss.
func TestService_ListenersAndReplay(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	c, _, err := svc.Start(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	l := svc.Hub().Listen(c.ID)
	say(t, svc, c.ID, "护照", "p-1")
	for _, want := range []webchat.From{webchat.FromCitizen, webchat.FromBot} {
		select {
		case ev := <-l.C:
			if ev.Message == nil || ev.Message.From != want {
				t.Fatalf("listener got %+v, want a %s message", ev, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("listener got no %s message", want)
		}
	}
	// Never read again: after its buffer it is dropped.
	for i := range 100 {
		if _, _, err := svc.Say(ctx, c.ID, fmt.Sprintf("第%d条", i), fmt.Sprintf("f-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	got := 0
	for range l.C {
		got++
	}
	if got >= 100 || svc.Hub().Listeners(c.ID) != 0 {
		t.Errorf("a listener that never read got %d of 100 and is still listening: %d", got, svc.Hub().Listeners(c.ID))
	}
	lastSeen := 3 + got
	missed, err := svc.Replay(ctx, c.ID, lastSeen)
	if err != nil {
		t.Fatal(err)
	}
	if len(missed) != 100-got || missed[0].Seq != lastSeen+1 || missed[len(missed)-1].Text != "第99条" {
		t.Errorf("replay after %d: %d messages from seq %d, want the %d missed in order", lastSeen, len(missed), missed[0].Seq, 100-got)
	}
	if _, err := svc.Replay(ctx, c.ID, -1); errs.CodeOf(err) != errs.Invalid {
		t.Errorf("replay after -1: %v, want invalid", err)
	}
}

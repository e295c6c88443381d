package webchat_test

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/knowledge"
	"github.com/open12345/hotline/knowledge/embedded/embeddedtest"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/postgres/pgtest"
	"github.com/open12345/hotline/routing"
	"github.com/open12345/hotline/ticketing"
	"github.com/open12345/hotline/webchat"
)

// desk is a chat service with tickets, quotas and SMS on a real
// database, its service hours those of a 2026 calendar.
type desk struct {
	t       *testing.T
	clk     *clock.Fake
	store   *postgres.ChatStore
	tickets *ticketing.Service
	sms     *sentSMS
	svc     *webchat.Service
}

func newDesk(t *testing.T, hours string, idle webchat.IdleConfig) *desk {
	t.Helper()
	db := pgtest.NewDB(t)
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	h, err := ticketing.ParseServiceHours(hours)
	if err != nil {
		t.Fatal(err)
	}
	d := &desk{t: t, clk: clock.NewFake(t0), store: postgres.NewChatStore(db), sms: &sentSMS{}}
	d.tickets = ticketing.NewService(postgres.NewTicketStore(db), d.clk, loc, slog.New(slog.DiscardHandler))
	d.svc = webchat.NewService(d.store, embeddedtest.DemoSearch(t, knowledge.DefaultSynonyms()), d.clk, slog.New(slog.DiscardHandler),
		webchat.Config{Hours: d.tickets.Schedule(h), Tickets: d.tickets, Quotas: postgres.NewQuotaStore(db), SMS: d.sms,
			Location: loc, Idle: idle})
	return d
}

func (d *desk) chat(addr string) (webchat.Chat, *webchat.Listener) {
	d.t.Helper()
	c, _, err := d.svc.Start(context.Background(), addr)
	if err != nil {
		d.t.Fatal(err)
	}
	return c, d.svc.Hub().Listen(c.ID)
}

func (d *desk) chatState(id int64) webchat.Chat {
	d.t.Helper()
	c, err := d.store.Chat(context.Background(), id)
	if err != nil {
		d.t.Fatal(err)
	}
	return c
}

// lastText is the chat's last message.
func (d *desk) lastText(id int64) webchat.Message {
	d.t.Helper()
	ms := transcript(d.t, d.svc, id)
	return ms[len(ms)-1]
}

// sentSMS records the texts an SMS gateway was given.
type sentSMS struct {
	mu   sync.Mutex
	sent []string // phone: text
}

func (s *sentSMS) Send(_ context.Context, phone, text string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, phone+": "+text)
	return "sms-1", nil
}

func (s *sentSMS) texts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.sent...)
}

// TestLeave_OutsideHoursTheCitizenLeavesAMessage: on a holiday with
// working-day hours only, asking for an agent offers to leave a message;
// the message becomes a webchat ticket linked to the chat, its number is
// told in the chat and by SMS, the chat ends as left_message, and leaving
// it again answers the same ticket without a second SMS.
func TestLeave_OutsideHoursTheCitizenLeavesAMessage(t *testing.T) {
	ctx := context.Background()
	d := newDesk(t, "08:30-17:30,closed", webchat.IdleConfig{})
	d.clk.Set(time.Date(2026, 10, 2, 10, 0, 0, 0, time.UTC)) // National Day holidays
	c, l := d.chat("203.0.113.7")
	if g := transcript(t, d.svc, c.ID)[0].Text; !strings.Contains(g, "人工服务时间：工作日 08:30—17:30") {
		t.Errorf("the greeting does not say the hours: %q", g)
	}
	say(t, d.svc, c.ID, "转人工", "c1")
	if data := signal(t, l, webchat.LeaveMessageOffer); data.(map[string]string)["reason"] != "closed" {
		t.Errorf("offer %v", data)
	}
	if st := d.chatState(c.ID); st.State != webchat.StateBot {
		t.Errorf("outside the hours the chat went %s", st.State)
	}
	if m := d.lastText(c.ID); m.From != webchat.FromBot || !strings.Contains(m.Text, "不在人工服务时间") || !strings.Contains(m.Text, "留言") {
		t.Errorf("the bot said %+v", m)
	}

	for _, bad := range []struct{ phone, text string }{
		{"020-12345678", "路灯坏了"}, // a landline gets no SMS
		{"12345", "路灯坏了"},
		{"13812345678", ""},
		{"13812345678", strings.Repeat("长", webchat.MaxMessageRunes+1)},
		{"13812345678", "bad\x00byte"},
	} {
		if _, err := d.svc.Leave(ctx, c.ID, bad.phone, bad.text); errs.CodeOf(err) != errs.Invalid {
			t.Errorf("leave %q/%.20q: %v, want invalid", bad.phone, bad.text, err)
		}
	}
	text := "小区门口路灯坏了一周了<script>alert(1)</script>"
	tk, err := d.svc.Leave(ctx, c.ID, "138 1234 5678", text)
	if err != nil {
		t.Fatal(err)
	}
	if tk.Channel != ticketing.ChannelWebchat || tk.ChatID != itoa(c.ID) || tk.Citizen.Phone != "13812345678" || tk.Content != text {
		t.Errorf("ticket %+v", tk)
	}
	if data := signal(t, l, "ticket"); data.(map[string]string)["number"] != tk.Number {
		t.Errorf("ticket signal %v, want %s", data, tk.Number)
	}
	st := d.chatState(c.ID)
	if st.State != webchat.StateClosed || st.Outcome != webchat.OutcomeLeftMessage || st.TicketID != tk.ID || st.Phone != "13812345678" {
		t.Errorf("chat after leaving %+v", st)
	}
	if m := d.lastText(c.ID); !strings.Contains(m.Text, tk.Number) {
		t.Errorf("the chat was not told the number: %+v", m)
	}
	sms := d.sms.texts()
	if len(sms) != 1 || !strings.HasPrefix(sms[0], "13812345678: ") || !strings.Contains(sms[0], tk.Number) {
		t.Errorf("SMS %q", sms)
	}

	again, err := d.svc.Leave(ctx, c.ID, "13812345678", text)
	if err != nil || again.ID != tk.ID {
		t.Errorf("leaving again: %v, %+v; want ticket %d", err, again, tk.ID)
	}
	if n := len(d.sms.texts()); n != 1 {
		t.Errorf("%d SMS after leaving twice", n)
	}
	if _, _, err := d.svc.Say(ctx, c.ID, "还在吗", "c2"); errs.CodeOf(err) != errs.Conflict {
		t.Errorf("a message after leaving: %v, want conflict", err)
	}
}

// TestLeave_LimitsPerPhoneAndAChatWithAnAgent: one phone may leave three
// messages a day, whichever chats they come from; the fourth stores
// nothing. A chat an agent serves cannot leave one.
func TestLeave_LimitsPerPhoneAndAChatWithAnAgent(t *testing.T) {
	ctx := context.Background()
	d := newDesk(t, "24x7", webchat.IdleConfig{})
	for i := range 3 {
		c, _ := d.chat("198.51.100." + itoa(int64(i+1)))
		if _, err := d.svc.Leave(ctx, c.ID, "13912345678", "第"+itoa(int64(i))+"条留言"); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	c, _ := d.chat("198.51.100.9")
	if _, err := d.svc.Leave(ctx, c.ID, "13912345678", "第四条留言"); errs.CodeOf(err) != errs.RateLimited {
		t.Errorf("a fourth message for the phone: %v, want rate_limited", err)
	}
	if st := d.chatState(c.ID); st.State == webchat.StateClosed || st.TicketID != 0 {
		t.Errorf("the refused chat %+v", st)
	}
	if n := len(d.sms.texts()); n != 3 {
		t.Errorf("%d SMS, want 3", n)
	}
	// The chat goes on: another phone may leave its message.
	if _, err := d.svc.Leave(ctx, c.ID, "13712345678", "换个号码留言"); err != nil {
		t.Errorf("another phone: %v", err)
	}

	served, _ := d.chat("198.51.100.10")
	st := d.chatState(served.ID)
	st.State, st.Agent = webchat.StateAgent, "agent1"
	if err := d.store.UpdateChat(ctx, st); err != nil {
		t.Fatal(err)
	}
	if _, err := d.svc.Leave(ctx, served.ID, "13612345678", "留言"); errs.CodeOf(err) != errs.Conflict {
		t.Errorf("leaving a message in an agent's chat: %v, want conflict", err)
	}
}

// TestLeave_WithoutAgentsTheChatWaitsAndMayLeaveOne: within the hours
// and nobody signed in for chats, a hand-off queues the chat and offers
// the message too; leaving it takes the chat out of the queue.
func TestLeave_WithoutAgentsTheChatWaitsAndMayLeaveOne(t *testing.T) {
	d := newDesk(t, "24x7", webchat.IdleConfig{})
	engine := routing.New(d.clk, routing.Config{})
	if err := engine.SetQueue(routing.QueueConfig{Name: webchat.Queue, Title: "网上咨询", Strategy: routing.LongestIdle,
		RingSeconds: 20, MaxWaitSeconds: 600}); err != nil {
		t.Fatal(err)
	}
	stop, err := d.svc.Follow(context.Background(), engine)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	c, l := d.chat("")
	say(t, d.svc, c.ID, "人工", "c1")
	if data := signal(t, l, webchat.LeaveMessageOffer); data.(map[string]string)["reason"] != "no_agent" {
		t.Errorf("offer %v", data)
	}
	if st := d.chatState(c.ID); st.State != webchat.StateQueued {
		t.Errorf("chat %s, want queued", st.State)
	}
	if _, err := d.svc.Leave(context.Background(), c.ID, "13812345678", "没人在线，先留言"); err != nil {
		t.Fatal(err)
	}
	for _, v := range engine.Contacts() {
		if v.Ref == itoa(c.ID) {
			t.Errorf("the chat still waits in routing after leaving a message: %+v", v)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

package webchat_test

import (
	"context"
	"strings"
	"testing"

	"github.com/open12345/hotline/ticketing"
	"github.com/open12345/hotline/webchat"
)

// fileTicket records a citizen's ticket from the web form and returns it.
func (d *desk) fileTicket(phone, title string) *ticketing.Ticket {
	d.t.Helper()
	tk, err := d.tickets.Create(context.Background(), ticketing.CitizenActor, ticketing.NewTicket{Kind: ticketing.KindComplaint,
		Channel: ticketing.ChannelWeb, Title: title, Content: title + "，请尽快处理。", Citizen: ticketing.Citizen{Name: "张三", Phone: phone}})
	if err != nil {
		d.t.Fatal(err)
	}
	return tk
}

// TestLookup_ProgressOnlyWhenThePhoneMatches: the bot asks for the
// number, then the phone; a wrong phone is answered as a number that
// does not exist is, and the right one gets the public timeline, the
// verified phone kept on the chat.
func TestLookup_ProgressOnlyWhenThePhoneMatches(t *testing.T) {
	d := newDesk(t, "24x7", webchat.IdleConfig{})
	tk := d.fileTicket("13812345678", "小区路灯不亮")
	c, _ := d.chat("203.0.113.8")

	say(t, d.svc, c.ID, "我想查询进度", "c1")
	if m := d.lastText(c.ID); !strings.Contains(m.Text, "受理编号") {
		t.Fatalf("asked for the number with %q", m.Text)
	}
	say(t, d.svc, c.ID, tk.Number, "c2")
	if m := d.lastText(c.ID); !strings.Contains(m.Text, "手机号码") {
		t.Fatalf("asked for the phone with %q", m.Text)
	}
	say(t, d.svc, c.ID, "13900000000", "c3")
	wrong := d.lastText(c.ID).Text
	if !strings.Contains(wrong, "不匹配") || strings.Contains(wrong, "小区路灯") {
		t.Fatalf("a wrong phone answered %q", wrong)
	}
	say(t, d.svc, c.ID, "20261202999999 13900000000", "c4") // a number that does not exist
	if missing := d.lastText(c.ID).Text; strings.ReplaceAll(missing, "1 次", "2 次") != wrong {
		t.Errorf("a missing number answered %q, a wrong phone %q: they tell the two apart", missing, wrong)
	}
	say(t, d.svc, c.ID, tk.Number+" 138-1234-5678", "c5")
	got := d.lastText(c.ID)
	for _, want := range []string{tk.Number, "小区路灯不亮", "已受理", "12345 热线已受理"} {
		if !strings.Contains(got.Text, want) {
			t.Errorf("the progress %q lacks %q", got.Text, want)
		}
	}
	if got.From != webchat.FromBot {
		t.Errorf("the progress came from %s", got.From)
	}
	if st := d.chatState(c.ID); st.Phone != "13812345678" || st.LookupNumber != "" {
		t.Errorf("after the lookup the chat has phone %q, waits for %q", st.Phone, st.LookupNumber)
	}
	// An ordinary question afterwards goes to the guides again.
	say(t, d.svc, c.ID, "社保卡丢了怎么办", "c6")
	if m := d.lastText(c.ID); len(m.Guides) == 0 {
		t.Errorf("a question after the lookup got %q", m.Text)
	}
}

// TestLookup_ThreeWrongTriesEndLookupsInTheChat: after three wrong pairs
// even the right one is refused, and the refusal tells nothing.
func TestLookup_ThreeWrongTriesEndLookupsInTheChat(t *testing.T) {
	d := newDesk(t, "24x7", webchat.IdleConfig{})
	tk := d.fileTicket("13812345678", "噪音扰民")
	c, _ := d.chat("203.0.113.9")
	for i, phone := range []string{"13900000001", "13900000002", "13900000003"} {
		say(t, d.svc, c.ID, tk.Number+" "+phone, "w"+itoa(int64(i)))
	}
	say(t, d.svc, c.ID, tk.Number+" 13812345678", "right")
	if m := d.lastText(c.ID).Text; !strings.Contains(m, "不能再查询") || strings.Contains(m, "噪音") {
		t.Errorf("after three wrong tries the bot said %q", m)
	}
	if st := d.chatState(c.ID); st.LookupTries != webchat.MaxLookupTries || st.Phone != "" {
		t.Errorf("chat %+v", st)
	}
	// Moving on from a number to something else is not a wrong try.
	other, _ := d.chat("203.0.113.10")
	say(t, d.svc, other.ID, tk.Number, "n")
	say(t, d.svc, other.ID, "算了，我问问社保卡", "q")
	if st := d.chatState(other.ID); st.LookupTries != 0 || st.LookupNumber != "" {
		t.Errorf("moving on counted as a try: %+v", st)
	}
}

package webchat_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/open12345/hotline/webchat"
)

// TestIdle_WarnedThenClosed: a silent chat is warned once after Warn and
// closed after Close; a citizen who answers the warning keeps the chat
// and is warned afresh only after a new silence; a chat waiting for an
// agent is never idle.
func TestIdle_WarnedThenClosed(t *testing.T) {
	ctx := context.Background()
	d := newDesk(t, "24x7", webchat.IdleConfig{Warn: 8 * time.Minute, Close: 10 * time.Minute})
	silent, _ := d.chat("")
	answers, _ := d.chat("")
	waiting, _ := d.chat("")
	st := d.chatState(waiting.ID)
	st.State = webchat.StateQueued
	if err := d.store.UpdateChat(ctx, st); err != nil {
		t.Fatal(err)
	}
	sweep := func() {
		t.Helper()
		if err := d.svc.SweepIdle(ctx); err != nil {
			t.Fatal(err)
		}
	}
	warnings := func(id int64) int {
		n := 0
		for _, m := range transcript(t, d.svc, id) {
			if m.From == webchat.FromSystem && strings.Contains(m.Text, "自动结束") && strings.Contains(m.Text, "2 分钟") {
				n++
			}
		}
		return n
	}

	d.clk.Advance(7*time.Minute + 59*time.Second)
	sweep()
	if warnings(silent.ID) != 0 {
		t.Fatal("warned before 8 minutes")
	}
	d.clk.Advance(time.Second)
	sweep()
	sweep() // a second sweep does not warn twice
	if warnings(silent.ID) != 1 || warnings(answers.ID) != 1 {
		t.Fatalf("warnings %d and %d after 8 minutes, want one each", warnings(silent.ID), warnings(answers.ID))
	}
	d.clk.Advance(time.Minute)
	say(t, d.svc, answers.ID, "我还在", "still")

	d.clk.Advance(time.Minute) // 10 minutes after the start
	sweep()
	if st := d.chatState(silent.ID); st.State != webchat.StateClosed || st.Outcome != webchat.OutcomeBotOnly {
		t.Errorf("the silent chat after 10 minutes: %s/%s", st.State, st.Outcome)
	}
	if st := d.chatState(answers.ID); st.State == webchat.StateClosed {
		t.Error("the chat whose citizen answered the warning was closed")
	}
	if st := d.chatState(waiting.ID); st.State != webchat.StateQueued || warnings(waiting.ID) != 0 {
		t.Errorf("the waiting chat: %s, %d warnings", st.State, warnings(waiting.ID))
	}

	d.clk.Advance(8 * time.Minute) // 8 minutes after "我还在" and the bot's answer
	sweep()
	if warnings(answers.ID) != 2 {
		t.Errorf("%d warnings after a second silence, want 2", warnings(answers.ID))
	}
	d.clk.Advance(2 * time.Minute)
	sweep()
	if st := d.chatState(answers.ID); st.State != webchat.StateClosed {
		t.Errorf("the second silence did not close the chat: %s", st.State)
	}
}

// TestIdle_NoCloseWithoutTheWarningsLead: a server that was down past the
// close time warns first, and closes only the lead later.
func TestIdle_NoCloseWithoutTheWarningsLead(t *testing.T) {
	ctx := context.Background()
	d := newDesk(t, "24x7", webchat.IdleConfig{Warn: 8 * time.Minute, Close: 10 * time.Minute})
	c, _ := d.chat("")
	d.clk.Advance(time.Hour)
	if err := d.svc.SweepIdle(ctx); err != nil {
		t.Fatal(err)
	}
	if st := d.chatState(c.ID); st.State == webchat.StateClosed || st.IdleWarnedAt == nil {
		t.Fatalf("after an hour down the chat was %s, warned %v", st.State, st.IdleWarnedAt)
	}
	d.clk.Advance(2 * time.Minute)
	if err := d.svc.SweepIdle(ctx); err != nil {
		t.Fatal(err)
	}
	if st := d.chatState(c.ID); st.State != webchat.StateClosed {
		t.Errorf("two minutes after the warning the chat is %s", st.State)
	}
}

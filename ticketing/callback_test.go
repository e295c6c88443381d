package ticketing_test

import (
	"strings"
	"testing"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/ticketing"
)

// replied is a ticket the department has answered, waiting for its callback.
func replied(t *testing.T) *ticketing.Ticket {
	t.Helper()
	tk := dispatched(t, ticketing.KindComplaint, "2026-09-29 10:00:00")
	tk.Status = ticketing.StatusReplied
	return tk
}

func yes(b bool) *bool { return &b }

func TestCallback_ResultDecidesScoreAndSatisfied(t *testing.T) {
	for _, tc := range []struct {
		req       ticketing.Request
		score     int
		satisfied bool
		result    ticketing.CallbackResult
	}{
		{ticketing.Request{Result: ticketing.ResultSatisfied}, 5, true, ticketing.ResultSatisfied},
		{ticketing.Request{Result: ticketing.ResultBasicallySatisfied}, 3, true, ticketing.ResultBasicallySatisfied},
		{ticketing.Request{Result: ticketing.ResultUnsatisfied}, 1, false, ticketing.ResultUnsatisfied},
		// A score within the answer's band is kept; a satisfied that agrees is fine.
		{ticketing.Request{Result: ticketing.ResultSatisfied, Satisfaction: 4, Satisfied: yes(true)}, 4, true, ticketing.ResultSatisfied},
		{ticketing.Request{Result: ticketing.ResultUnsatisfied, Satisfaction: 2}, 2, false, ticketing.ResultUnsatisfied},
		// The older form: a score with a satisfied that agrees.
		{ticketing.Request{Satisfaction: 3, Satisfied: yes(true)}, 3, true, ticketing.ResultBasicallySatisfied},
		{ticketing.Request{Satisfaction: 2, Satisfied: yes(false)}, 2, false, ticketing.ResultUnsatisfied},
	} {
		tk := replied(t)
		ev, err := ticketing.Apply(env(t, at(t, "2026-09-30 10:00:00")), agent, tk, ticketing.ActionCallback, tc.req)
		if err != nil {
			t.Fatalf("%+v: %v", tc.req, err)
		}
		if *tk.Satisfaction != tc.score || *tk.Satisfied != tc.satisfied {
			t.Errorf("%+v: stored %d/%t, want %d/%t", tc.req, *tk.Satisfaction, *tk.Satisfied, tc.score, tc.satisfied)
		}
		if ev.Payload["result"] != tc.result || ev.Payload["satisfaction"] != tc.score || ev.Payload["satisfied"] != tc.satisfied {
			t.Errorf("%+v: event payload %v", tc.req, ev.Payload)
		}
		if tk.Status != ticketing.StatusReplied {
			t.Errorf("%+v: status %s after callback", tc.req, tk.Status)
		}
	}
}

func TestCallback_DisagreementIsRefused(t *testing.T) {
	for _, tc := range []struct {
		req   ticketing.Request
		names []string // what the message must mention
	}{
		{ticketing.Request{Result: "very_satisfied"}, []string{"result"}},
		{ticketing.Request{Result: ticketing.CallbackResult(strings.Repeat("满意", 5000))}, []string{"result"}},
		{ticketing.Request{Result: ticketing.ResultSatisfied, Satisfied: yes(false)}, []string{"satisfied", "result"}},
		{ticketing.Request{Result: ticketing.ResultUnsatisfied, Satisfied: yes(true)}, []string{"satisfied", "result"}},
		{ticketing.Request{Result: ticketing.ResultBasicallySatisfied, Satisfaction: 5}, []string{"satisfaction", "result"}},
		{ticketing.Request{Result: ticketing.ResultSatisfied, Satisfaction: 9}, []string{"satisfaction"}},
		{ticketing.Request{Satisfaction: 5, Satisfied: yes(false)}, []string{"satisfaction", "satisfied"}},
		{ticketing.Request{Satisfaction: 2, Satisfied: yes(true)}, []string{"satisfaction", "satisfied"}},
		{ticketing.Request{Satisfaction: 4}, []string{"satisfied"}},
		{ticketing.Request{Satisfied: yes(true)}, []string{"result"}},
		{ticketing.Request{}, []string{"result"}},
		{ticketing.Request{Result: ticketing.ResultSatisfied, Note: strings.Repeat("长", 2001)}, []string{"note"}},
	} {
		tk := replied(t)
		before := *tk
		_, err := ticketing.Apply(env(t, at(t, "2026-09-30 10:00:00")), agent, tk, ticketing.ActionCallback, tc.req)
		if errs.CodeOf(err) != errs.Invalid {
			t.Errorf("%.80v: %v, want invalid", tc.req, err)
			continue
		}
		for _, n := range tc.names {
			if !strings.Contains(errs.Message(err), n) {
				t.Errorf("%.80v: message %q does not name %s", tc.req, errs.Message(err), n)
			}
		}
		if len(errs.Message(err)) > 200 {
			t.Errorf("message of %d bytes: the input is echoed", len(errs.Message(err)))
		}
		if tk.Satisfaction != nil || tk.Satisfied != nil || tk.Version != before.Version {
			t.Errorf("%.80v: a refused callback changed the ticket", tc.req)
		}
	}
}

func TestCallbackResult_ScoresFallInTheirOwnBand(t *testing.T) {
	for _, r := range ticketing.CallbackResults {
		if got := ticketing.ResultOf(r.Score()); got != r {
			t.Errorf("%s scores %d, which reads back as %s", r, r.Score(), got)
		}
	}
	for score := 1; score <= 5; score++ {
		if got, want := ticketing.ResultOf(score).Satisfied(), score >= 3; got != want {
			t.Errorf("score %d satisfied %t, want %t", score, got, want)
		}
	}
}

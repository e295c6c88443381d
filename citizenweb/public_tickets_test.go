package citizenweb_test

import (
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open12345/hotline/ticketing"
)

func (e *env) askCode(phone string) response {
	e.t.Helper()
	return e.call("POST", "/api/v1/public/verify", map[string]string{"phone": phone})
}

func webForm(phone, code string) map[string]any {
	return map[string]any{"kind": "complaint", "title": "小区门口占道经营", "content": "每天早上七点摊贩占满人行道",
		"citizen": map[string]any{"name": "王五", "phone": phone, "address": "海珠区江南大道1号"},
		"region":  "海珠区", "code": code}
}

// submit proves the phone and files the web form, returning the number.
func (e *env) submit(phone string) string {
	e.t.Helper()
	e.must(e.askCode(phone), 202, nil)
	var out struct{ Number string }
	e.must(e.call("POST", "/api/v1/public/tickets", webForm(phone, e.sms.code(e.t, phone))), 201, &out)
	return out.Number
}

type progress struct {
	Number, Status, Department, Reply string
	Timeline                          []struct{ Step, Department, Text string }
}

func (e *env) progress(number, phone string) response {
	e.t.Helper()
	return e.call("GET", "/api/v1/public/tickets/"+number+"?phone="+url.QueryEscape(phone), nil)
}

// A citizen files a ticket from the web form with a phone proven by SMS,
// and follows it with its number and the phone: the public steps, the
// departments' names and the reply, never notes or staff names.
func TestPublic_SubmitAndFollowATicket(t *testing.T) {
	e := newEnv(t)
	number := e.submit("13812345678")
	var id int64
	var phone, channel, actor string
	if err := e.db.Pool.QueryRow(t.Context(), `SELECT t.id, t.citizen_phone, t.channel, ev.actor_name FROM tickets t JOIN ticket_events ev ON ev.ticket_id = t.id
		WHERE t.number = $1 AND ev.action = 'create'`, number).Scan(&id, &phone, &channel, &actor); err != nil ||
		phone != "13812345678" || channel != "web" || actor != "citizen" {
		t.Fatalf("the web ticket: phone %q, channel %q, recorded by %q: %v", phone, channel, actor, err)
	}
	var receipts int
	if err := e.db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM outbox WHERE ticket_id = $1 AND topic = 'citizen'`, id).Scan(&receipts); err != nil || receipts != 1 {
		t.Fatalf("SMS receipts queued: %d, %v", receipts, err)
	}

	var p progress
	e.must(e.progress(number, "+86 138-1234-5678"), 200, &p)
	if p.Status != "accepted" || len(p.Timeline) != 1 || p.Timeline[0].Step != "accepted" {
		t.Fatalf("progress of a new ticket: %+v", p)
	}
	e.act("agent1", id, ticketing.ActionNote, ticketing.Request{Text: "内部备注：市民情绪激动"})
	e.act("agent1", id, ticketing.ActionDispatch, ticketing.Request{Department: "cgj"})
	e.act("dept-cgj", id, ticketing.ActionSign, ticketing.Request{})
	e.act("dept-cgj", id, ticketing.ActionReply, ticketing.Request{Reply: "已安排执法队员整治，经办人电话13900001111"})
	r := e.progress(number, "13812345678")
	e.must(r, 200, &p)
	var steps []string
	for _, s := range p.Timeline {
		steps = append(steps, s.Step+":"+s.Department)
	}
	if got := strings.Join(steps, " "); got != "accepted: dispatched:市城管局 signed:市城管局 replied:市城管局" {
		t.Fatalf("public timeline %q", got)
	}
	if p.Status != "replied" || p.Reply != "已安排执法队员整治，经办人电话139****1111" {
		t.Fatalf("progress %+v", p)
	}
	for _, secret := range []string{"内部备注", "agent1", "dept-cgj", "13900001111", "王五"} {
		if strings.Contains(string(r.Body), secret) {
			t.Fatalf("the public progress shows %q: %s", secret, r.Body)
		}
	}
}

// A wrong phone and a number that does not exist get the same answer.
func TestPublic_ProgressNeedsTheRightPhone(t *testing.T) {
	e := newEnv(t)
	number := e.submit("13812345678")
	wrong := e.progress(number, "13812345679")
	missing := e.progress("20990101999999", "13812345678")
	malformed := e.progress("not-a-number", "13812345678")
	for _, r := range []response{wrong, missing, malformed} {
		if r.Status != 404 || string(r.Body) != string(wrong.Body) {
			t.Fatalf("answers differ: %d %s / %d %s", r.Status, r.Body, wrong.Status, wrong.Body)
		}
	}
	if r := e.progress(number, "12345"); r.Status != 400 {
		t.Fatalf("a malformed phone: %d", r.Status)
	}
	if r := e.call("GET", "/api/v1/public/tickets/"+number, nil); r.Status != 400 {
		t.Fatalf("no phone: %d", r.Status)
	}
}

// Guessing phones for one number, or numbers from one address, is stopped.
func TestPublic_ProgressGuessesAreThrottled(t *testing.T) {
	e := newEnv(t)
	number := e.submit("13812345678")
	for i := range 10 {
		if r := e.progress(number, fmt.Sprintf("139%08d", i)); r.Status != 404 {
			t.Fatalf("guess %d: %d", i, r.Status)
		}
	}
	r := e.progress(number, "13812345678")
	if r.Status != 429 || r.Header.Get("Retry-After") == "" {
		t.Fatalf("after 10 wrong phones the number is throttled, even for the right one: %d", r.Status)
	}
	// Right lookups do not count; misses over many numbers do.
	other := e.submit("13712345678")
	for range 5 {
		e.must(e.progress(other, "13712345678"), 200, nil)
	}
	for i := range 20 { // with the 10 above: 30 misses
		if r := e.progress(fmt.Sprintf("20261130%06d", 500+i), "13812345678"); r.Status != 404 {
			t.Fatalf("miss %d: %d", i, r.Status)
		}
	}
	if r := e.progress("20261130000999", "13812345678"); r.Status != 429 {
		t.Fatalf("the 31st miss from one address: %d", r.Status)
	}
	e.clock.Advance(time.Hour)
	e.must(e.progress(other, "13712345678"), 200, nil)
}

// The code proves the phone once, for ten minutes and five tries; codes
// and web tickets are limited per phone and per address.
func TestPublic_CodesAndLimits(t *testing.T) {
	e := newEnv(t)
	if r := e.askCode("020-87654321"); r.Status != 400 {
		t.Fatalf("a landline cannot get a code: %d", r.Status)
	}
	// A code the gateway could not send still counts against the phone (a
	// gateway that delivers and then times out must not open it to
	// flooding), but not against the address.
	e.sms.mu.Lock()
	e.sms.down = true
	e.sms.mu.Unlock()
	if r := e.askCode("13812345678"); r.Status != 503 {
		t.Fatalf("with the SMS gateway down: %d", r.Status)
	}
	e.sms.mu.Lock()
	e.sms.down = false
	e.sms.mu.Unlock()
	if r := e.askCode("13812345678"); r.Status != 429 {
		t.Fatalf("the same phone again within the minute: %d", r.Status)
	}
	e.clock.Advance(time.Minute)
	e.must(e.askCode("13812345678"), 202, nil)
	if r := e.askCode("13812345678"); r.Status != 429 {
		t.Fatalf("a second code within a minute: %d", r.Status)
	}
	code := e.sms.code(t, "13812345678")
	if r := e.call("POST", "/api/v1/public/tickets", webForm("13812345678", "000000")); r.Status != 400 || code == "000000" {
		t.Fatalf("a wrong code: %d", r.Status)
	}
	if r := e.call("POST", "/api/v1/public/tickets", webForm("13712345678", code)); r.Status != 400 {
		t.Fatalf("another phone's code: %d", r.Status)
	}
	e.must(e.call("POST", "/api/v1/public/tickets", webForm("13812345678", code)), 201, nil)
	if r := e.call("POST", "/api/v1/public/tickets", webForm("13812345678", code)); r.Status != 400 {
		t.Fatalf("a code used twice: %d", r.Status)
	}
	// Expiry and tries.
	e.clock.Advance(time.Minute)
	e.must(e.askCode("13812345678"), 202, nil)
	code = e.sms.code(t, "13812345678")
	e.clock.Advance(11 * time.Minute)
	if r := e.call("POST", "/api/v1/public/tickets", webForm("13812345678", code)); r.Status != 400 {
		t.Fatalf("an expired code: %d", r.Status)
	}
	e.must(e.askCode("13812345678"), 202, nil)
	code = e.sms.code(t, "13812345678")
	for range 5 {
		e.call("POST", "/api/v1/public/tickets", webForm("13812345678", "999999"))
	}
	if r := e.call("POST", "/api/v1/public/tickets", webForm("13812345678", code)); r.Status != 400 {
		t.Fatalf("the right code after five wrong tries: %d", r.Status)
	}
	// Five web tickets an hour per address (one is filed already).
	for i := range 4 {
		e.submit(fmt.Sprintf("1360000%04d", i))
	}
	e.must(e.askCode("13500001111"), 202, nil)
	if r := e.call("POST", "/api/v1/public/tickets", webForm("13500001111", e.sms.code(t, "13500001111"))); r.Status != 429 {
		t.Fatalf("a sixth web ticket within the hour: %d", r.Status)
	}
	// Ten codes an hour per address.
	for i := range 10 {
		r := e.askCode(fmt.Sprintf("1370000%04d", i))
		if r.Status == 429 {
			return
		}
	}
	t.Fatal("codes per address are not limited")
}

// A retry of the web form with its Idempotency-Key answers the first
// ticket, though the code is spent.
func TestPublic_IdempotentRetry(t *testing.T) {
	e := newEnv(t)
	e.must(e.askCode("13812345678"), 202, nil)
	form := webForm("13812345678", e.sms.code(t, "13812345678"))
	send := func() response {
		r := e.callWithHeader("POST", "/api/v1/public/tickets", form, map[string]string{"Idempotency-Key": "form-1"})
		return r
	}
	var first, again struct{ Number string }
	e.must(send(), 201, &first)
	r := send()
	e.must(r, 201, &again)
	if again.Number != first.Number || r.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("the retry answered %q, want %q", again.Number, first.Number)
	}
	before := e.count()
	if r := e.call("POST", "/api/v1/public/tickets", form); r.Status != 400 {
		t.Fatalf("without the key the spent code is refused: %d", r.Status)
	}
	if e.count() != before {
		t.Fatal("a refused form created a ticket")
	}
}

// One code files one ticket, however many requests race with it.
func TestPublic_ParallelUsesOfOneCode(t *testing.T) {
	e := newEnv(t)
	e.must(e.askCode("13812345678"), 202, nil)
	form := webForm("13812345678", e.sms.code(t, "13812345678"))
	before := e.count()
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			r := e.callWithHeader("POST", "/api/v1/public/tickets", form, nil)
			mu.Lock()
			statuses[r.Status]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if statuses[201] != 1 || statuses[400] != 4 || e.count()-before != 1 {
		t.Fatalf("5 parallel uses of one code: %v, %d tickets", statuses, e.count()-before)
	}
}

package screenpop_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/screenpop"
	"github.com/open12345/hotline/ticketing"
)

// tickets records how it was asked and answers with its list.
type tickets struct {
	asked []ticketing.ListQuery
	as    []auth.Actor
	list  []*ticketing.Ticket
	err   error
}

func (t *tickets) List(_ context.Context, a auth.Actor, q ticketing.ListQuery) ([]*ticketing.Ticket, int64, error) {
	t.asked, t.as = append(t.asked, q), append(t.as, a)
	return t.list, 0, t.err
}

type calls struct {
	phones []string
	list   []screenpop.Call
}

func (c *calls) Calls(_ context.Context, phone string, limit int) ([]screenpop.Call, error) {
	c.phones = append(c.phones, phone)
	if limit != screenpop.Limit {
		return nil, errors.New("unexpected limit")
	}
	return c.list, nil
}

func TestFinder_ComposesTicketsAndCalls(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	at := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	ts := &tickets{list: []*ticketing.Ticket{{ID: 7, Number: "20260302-0007", Kind: ticketing.KindComplaint,
		Status: ticketing.StatusDispatched, Title: "噪音", Department: "hbj", CreatedAt: at}}}
	cs := &calls{list: []screenpop.Call{{ID: "call-1", StartedAt: at, Outcome: "answered", Queue: "complaint",
		Agent: "agent1", TalkSeconds: 95}}}
	h, err := screenpop.NewFinder(ts, cs, shanghai).Find(context.Background(), "139-0000-2222")
	if err != nil {
		t.Fatal(err)
	}
	if len(ts.asked) != 1 || ts.asked[0].Phone == nil || *ts.asked[0].Phone != "13900002222" || ts.asked[0].Limit != screenpop.Limit {
		t.Fatalf("tickets asked %+v, want the normalised phone and the limit", ts.asked)
	}
	if ts.as[0] != screenpop.Reader || ts.as[0].Username != auth.System.Username {
		t.Fatalf("tickets read as %+v, want the system reader", ts.as[0])
	}
	if len(cs.phones) != 1 || cs.phones[0] != "13900002222" {
		t.Fatalf("calls asked for %v", cs.phones)
	}
	raw, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"phone":"13900002222","tickets":[{"id":7,"number":"20260302-0007","kind":"complaint","status":"dispatched",` +
		`"title":"噪音","department":"hbj","created_at":"2026-03-02T09:00:00+08:00"}],` +
		`"calls":[{"id":"call-1","started_at":"2026-03-02T09:00:00+08:00","outcome":"answered","queue":"complaint",` +
		`"agent":"agent1","talk_seconds":95}],"chats":[]}`
	if string(raw) != want {
		t.Fatalf("screen pop\n%s\nwant\n%s", raw, want)
	}
}

func TestFinder_CallerWithoutPhoneHasEmptyLists(t *testing.T) {
	ts, cs := &tickets{}, &calls{}
	h, err := screenpop.NewFinder(ts, cs, time.UTC).Find(context.Background(), "访客 小王")
	if err != nil {
		t.Fatal(err)
	}
	if len(ts.asked)+len(cs.phones) != 0 {
		t.Fatalf("looked up %v and %v for a caller with no phone", ts.asked, cs.phones)
	}
	raw, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	if string(raw) != `{"phone":"访客 小王","tickets":[],"calls":[],"chats":[]}` {
		t.Fatalf("screen pop %s, want empty lists", raw)
	}
}

func TestFinder_NoCallsGivesAnEmptyList(t *testing.T) {
	h, err := screenpop.NewFinder(&tickets{}, screenpop.NoCalls{}, time.UTC).Find(context.Background(), "13900002222")
	if err != nil {
		t.Fatal(err)
	}
	if h.Calls == nil || len(h.Calls) != 0 {
		t.Fatalf("calls %#v, want an empty list", h.Calls)
	}
}

func TestFinder_TicketErrorIsReturned(t *testing.T) {
	boom := errors.New("store down")
	_, err := screenpop.NewFinder(&tickets{err: boom}, screenpop.NoCalls{}, time.UTC).Find(context.Background(), "13900002222")
	if !errors.Is(err, boom) {
		t.Fatalf("err %v, want the store's", err)
	}
}

type chats struct {
	phones []string
	list   []screenpop.Chat
}

func (c *chats) Chats(_ context.Context, phone string, limit int) ([]screenpop.Chat, error) {
	c.phones = append(c.phones, phone)
	if limit != screenpop.Limit {
		return nil, errors.New("unexpected limit")
	}
	return c.list, nil
}

func TestFinder_WithChatsListsPastChats(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	at := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	cs := &chats{list: []screenpop.Chat{{ID: 3, StartedAt: at, Outcome: "left_message", Ticket: "20260302000009"}}}
	f := screenpop.NewFinder(&tickets{}, screenpop.NoCalls{}, shanghai)
	h, err := f.WithChats(cs).Find(context.Background(), "+86 139 0000 2222")
	if err != nil {
		t.Fatal(err)
	}
	if len(cs.phones) != 1 || cs.phones[0] != "13900002222" {
		t.Fatalf("chats asked for %v", cs.phones)
	}
	if len(h.Chats) != 1 || h.Chats[0].Ticket != "20260302000009" || h.Chats[0].StartedAt.Location() != shanghai {
		t.Errorf("chats %+v", h.Chats)
	}
	if h, err := f.Find(context.Background(), "13900002222"); err != nil || len(h.Chats) != 0 || len(cs.phones) != 1 {
		t.Errorf("the finder without chats asked for them: %v %+v", err, h)
	}
}

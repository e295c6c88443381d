package telephony_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/postgres/pgtest"
	"github.com/open12345/hotline/telephony"
)

// The call flow's log writes the call record under the call's id, even
// after the call's context ended (a hang-up cancels it just before the
// end is written).
func TestCallLog_WritesTheRecordAfterTheCallsContextEnds(t *testing.T) {
	db := pgtest.NewDB(t)
	clk := clock.NewFake(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	calls := telephony.NewCalls(postgres.NewCallStore(db), clk)
	log := newCallLog(t, calls)
	ctx, hangUp := context.WithCancel(context.Background())
	now := clk.Now()

	id, err := log.Started(ctx, "13800138000", "12345", now)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		t.Fatalf("the call's id %q is not its record's", id)
	}
	for _, err := range []error{
		log.IVRDigit(ctx, id, '1', now),
		log.Queued(ctx, id, "consultation", now),
		log.Answered(ctx, id, "agent1", now),
		log.Recorded(ctx, id, id+".wav"),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	clk.Advance(90 * time.Second)
	hangUp()
	if err := log.Rated(ctx, id, 5); err != nil {
		t.Fatalf("rate after the hang-up: %v", err)
	}
	if err := log.Ended(ctx, id, telephony.OutcomeAnswered, telephony.HangupAgent, clk.Now()); err != nil {
		t.Fatalf("end after the hang-up: %v", err)
	}
	if err := log.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}

	c, err := calls.Get(context.Background(), auth.Actor{Username: "supervisor", Role: auth.RoleSupervisor}, n)
	if err != nil {
		t.Fatal(err)
	}
	if c.IVRPath != "1" || c.Queue != "consultation" || c.Agent != "agent1" || c.Outcome != telephony.OutcomeAnswered ||
		c.HangupBy != telephony.HangupAgent || c.Satisfaction != 5 || c.Recording != id+".wav" || c.TalkSeconds != 90 {
		t.Fatalf("record %+v", c)
	}
	// A call whose record could not be made runs under a local id: its
	// steps are not written, and are no error.
	if err := log.Ended(ctx, telephony.LocalCallID(), telephony.OutcomeFailed, telephony.HangupSystem, now); err != nil {
		t.Fatal(err)
	}
}

package eventbus_test

import (
	"context"
	"sync"
	"testing"

	"github.com/open12345/hotline/eventbus"
)

func TestLocal_RoutesByTopicAndNeverBlocks(t *testing.T) {
	bus := eventbus.NewLocal()
	ctx := context.Background()
	rsj := bus.Subscribe(func(topic string) bool { return topic == eventbus.DepartmentTopic("rsj") }, 4)
	defer rsj.Close()
	slow := bus.Subscribe(func(string) bool { return true }, 1) // never read
	defer slow.Close()

	bus.Publish(ctx, eventbus.Notice{Topic: eventbus.DepartmentTopic("cgj"), Type: "ticket.dispatched"})
	for i := 0; i < 3; i++ {
		bus.Publish(ctx, eventbus.Notice{Topic: eventbus.DepartmentTopic("rsj"), Type: "ticket.urged", TicketID: int64(i)})
	}
	for i := 0; i < 3; i++ {
		n := <-rsj.C
		if n.TicketID != int64(i) || n.Type != "ticket.urged" {
			t.Fatalf("notice %d = %+v", i, n)
		}
	}
	select {
	case n := <-rsj.C:
		t.Fatalf("rsj got another department's notice %+v", n)
	default:
	}
	if got := slow.Dropped(); got != 3 {
		t.Fatalf("slow subscriber dropped %d, want 3 (buffer 1 of 4 notices)", got)
	}
}

func TestLocal_ConcurrentPublishAndClose(t *testing.T) {
	bus := eventbus.NewLocal()
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := bus.Subscribe(func(string) bool { return true }, 2)
			for j := 0; j < 100; j++ {
				bus.Publish(context.Background(), eventbus.Notice{Topic: "staff:agents"})
			}
			s.Close()
			s.Close() // twice is harmless
		}()
	}
	wg.Wait()
}

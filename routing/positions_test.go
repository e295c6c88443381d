package routing_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/open12345/hotline/routing"
)

// Positions agrees with Position for every contact, on random queues of
// mixed channels, priorities, statuses and arrivals at the same instant.
func TestPositions_AgreeWithPosition(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	statuses := []routing.ContactStatus{routing.Waiting, routing.Waiting, routing.Offered, routing.Connected}
	for round := range 200 {
		var cs []routing.ContactView
		for i := range rng.IntN(40) {
			cs = append(cs, routing.ContactView{
				Contact: routing.Contact{ID: fmt.Sprintf("c%d", i), Queue: []string{"q1", "q2"}[rng.IntN(2)],
					Channel: []routing.Channel{routing.Voice, routing.Chat}[rng.IntN(2)], Priority: rng.IntN(3)},
				Status: statuses[rng.IntN(len(statuses))], ArrivedAt: t0.Add(time.Duration(i/3) * time.Second), // three at a time
			})
		}
		got := routing.Positions(cs)
		for _, c := range cs {
			if want := routing.Position(cs, c); got[c.ID] != want {
				t.Fatalf("round %d: %s (%s %s priority %d, %s) at %d, Position says %d", round, c.ID, c.Queue, c.Channel, c.Priority, c.Status, got[c.ID], want)
			}
		}
	}
}

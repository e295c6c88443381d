package routing

import "container/heap"

// line holds a queue's waiting contacts of one channel, best first:
// higher priority, then earlier first arrival, then arrival order. It is
// an indexed heap, so a contact that leaves (hang-up, offer) is removed
// in O(log n) wherever it stands.
type line struct {
	queue   *queue
	channel Channel
	items   []*contact
}

func outranks(a, b *contact) bool {
	if a.Priority != b.Priority {
		return a.Priority > b.Priority
	}
	if !a.arrived.Equal(b.arrived) {
		return a.arrived.Before(b.arrived)
	}
	return a.seq < b.seq
}

func (l *line) Len() int           { return len(l.items) }
func (l *line) Less(i, j int) bool { return outranks(l.items[i], l.items[j]) }
func (l *line) Swap(i, j int) {
	l.items[i], l.items[j] = l.items[j], l.items[i]
	l.items[i].lines[l] = i
	l.items[j].lines[l] = j
}

func (l *line) Push(x any) {
	c := x.(*contact)
	c.lines[l] = len(l.items)
	l.items = append(l.items, c)
}

func (l *line) Pop() any {
	n := len(l.items) - 1
	c := l.items[n]
	l.items[n] = nil
	l.items = l.items[:n]
	delete(c.lines, l)
	return c
}

func (l *line) add(c *contact) {
	if _, in := c.lines[l]; !in {
		heap.Push(l, c)
	}
}

func (l *line) remove(c *contact) {
	if i, in := c.lines[l]; in {
		heap.Remove(l, i)
	}
}

// bestFor returns the best contact of the line that a has not declined.
// The head is the answer but for a decliner, who costs a scan.
func (l *line) bestFor(a *agent) *contact {
	if len(l.items) == 0 {
		return nil
	}
	if head := l.items[0]; !head.declined[a] {
		return head
	}
	var best *contact
	for _, c := range l.items {
		if !c.declined[a] && (best == nil || outranks(c, best)) {
			best = c
		}
	}
	return best
}

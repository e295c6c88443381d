package main

// The chat benchmark's load: the paced run (a message every -chat-every
// each way in every chat, starts spread over the first interval, a few
// shared senders) and the storage run (chats sending each message when
// the previous one is acknowledged) beside pgbench.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"time"
)

// chatSenders are the goroutines that send the paced run's messages,
// each on its own share of the chats' timetable.
const chatSenders = 4

// chatStoreSQL is pgbench's transaction beside the storage run: one
// single-row INSERT into a copy of chat_messages (its checks and
// indexes, no foreign key), one chat per client.
const chatStoreSQL = `INSERT INTO bench_chat_messages (chat_id, seq, sender, body, at, client_id)
  VALUES (:client_id, nextval('bench_chat_seq'), 'agent', '小区夜间施工噪音扰民，请尽快处理', now(), 'a' || currval('bench_chat_seq'));
`

// chatSend is one message of the timetable: which chat, which way, and
// when within each interval.
type chatSend struct {
	at  time.Duration
	c   *chatConn
	dir chatDir
}

// chatTally is what was sent and received, each way, at one moment.
type chatTally struct {
	sent, got, twice, acks [2]int64
	errors                 int64
}

func (cb *chatBench) tally() chatTally {
	var t chatTally
	for _, c := range cb.chats {
		for d := range 2 {
			distinct, twice := c.got[d].counts()
			t.sent[d] += c.sent[d].Load()
			t.got[d] += distinct
			t.twice[d] += twice
			t.acks[d] += c.acks[d].Load()
		}
	}
	t.errors = cb.sendErrors.Load() + cb.frameErrors.Load()
	return t
}

func (t chatTally) since(b chatTally) chatTally {
	for d := range 2 {
		t.sent[d] -= b.sent[d]
		t.got[d] -= b.got[d]
		t.twice[d] -= b.twice[d]
		t.acks[d] -= b.acks[d]
	}
	t.errors -= b.errors
	return t
}

// steady runs the paced load: one interval of warm-up while the starts
// spread, then the measured window; the latencies of messages sent in
// the window count.
func (cb *chatBench) steady(ctx context.Context) ([]row, error) {
	every, window := cb.b.o.chatEvery, cb.b.o.chatFor
	rng := rand.New(rand.NewPCG(12345, 1))
	shares := make([][]chatSend, chatSenders)
	for i, c := range cb.chats {
		off := time.Duration(rng.Int64N(int64(every)))
		shares[i%chatSenders] = append(shares[i%chatSenders], chatSend{off, c, toAgent}, chatSend{(off + every/2) % every, c, toCitizen})
	}
	start := time.Now().Add(50 * time.Millisecond)
	stop := start.Add(every + window)
	cb.from.Store(start.Add(every).UnixNano())
	cb.to.Store(stop.UnixNano())
	before := cb.tally()
	var cpu cpuTimes
	done := make(chan struct{})
	go func() { // CPU times over the measured window
		defer close(done)
		if sleep(ctx, time.Until(start.Add(every))) == nil {
			cpu = cb.b.cpuTimes()
			if sleep(ctx, time.Until(stop)) == nil {
				cpu = cb.b.cpuTimes().since(cpu)
			}
		}
	}()
	var senders []chan struct{}
	for _, share := range shares {
		slices.SortFunc(share, func(a, b chatSend) int { return int(a.at - b.at) })
		s := make(chan struct{})
		senders = append(senders, s)
		go func() {
			defer close(s)
			cb.sendOn(ctx, share, start, every, stop)
		}()
	}
	for _, s := range senders {
		<-s
	}
	<-done
	if err := cb.drain(ctx); err != nil {
		return nil, err
	}
	t := cb.tally().since(before)
	cb.b.log.Info("chat bench: paced run done", "sent", t.sent, "received", t.got, "twice", t.twice, "acks", t.acks, "errors", t.errors)
	server, err := cb.b.serverMetrics(ctx)
	if err != nil {
		return nil, err
	}
	rows := make([]row, 2)
	for d, name := range []string{"citizen → agent (message → chat.message)", "agent → citizen (chat.send → message)"} {
		lat := cb.lat[d].all()
		p50, p99 := percentiles(lat)
		lost := t.sent[d] - t.got[d]
		rows[d] = row{name: fmt.Sprintf("web chat, %s, %d chats, one message each way every %s", name, len(cb.chats), every),
			count: len(lat), rate: float64(len(lat)) / window.Seconds(), p50: p50, p99: p99,
			note: fmt.Sprintf("max %s over %s; stored before passed on; sent %d, received %d once, %d lost, %d twice, %d acks missing; "+
				"target p99 < %s, none lost: %s", ms(slices.Max(append(lat, 0))), window, t.sent[d], t.got[d], lost, t.twice[d],
				t.sent[d]-t.acks[d], chatTargetP99, verdict(p99 < chatTargetP99 && lost == 0 && t.twice[d] == 0))}
	}
	ticks := func(t int64) float64 { return float64(t) / 100 }
	rows[1].note += fmt.Sprintf("; both ways: %d errors, %d sockets dropped, %.0f staff websockets; CPU over %.0f s: server %.1f s, "+
		"bench clients %.1f s, other processes %.1f s, of %d cores", t.errors, cb.drops.Load(), server["hotline_ws_connections"],
		window.Seconds(), ticks(cpu.server), ticks(cpu.clients), ticks(cpu.machine-cpu.server-cpu.clients), runtime.NumCPU())
	return rows, nil
}

// sendOn sends the share's messages at their times, interval after
// interval, until stop.
func (cb *chatBench) sendOn(ctx context.Context, share []chatSend, start time.Time, every time.Duration, stop time.Time) {
	for k := 0; ctx.Err() == nil; k++ {
		for _, s := range share {
			at := start.Add(time.Duration(k)*every + s.at)
			if !at.Before(stop) {
				return
			}
			if wait := time.Until(at); wait > 200*time.Microsecond {
				time.Sleep(wait)
			}
			if s.dir == toAgent {
				cb.citizenSays(s.c)
			} else {
				cb.agentSays(s.c, 'c')
			}
		}
	}
}

// storageRun has -chat-store-chats chats, on as many agents as there are,
// each send its next agent message (chat.send) when the last one is
// acknowledged, stored, for -duration after a second of warm-up; then
// pgbench inserts single rows with as many clients.
func (cb *chatBench) storageRun(ctx context.Context) ([]row, error) {
	n, d := cb.b.o.chatStore, cb.b.o.duration
	var pick []*chatConn
	agents := map[*chatAgent]bool{}
	for round := 0; len(pick) < n; round++ {
		added := false
		for _, a := range cb.agents {
			a.mu.Lock()
			if round < len(a.order) && len(pick) < n {
				pick, added, agents[a] = append(pick, a.order[round]), true, true
			}
			a.mu.Unlock()
		}
		if !added {
			break
		}
	}
	before := cb.tally()
	start := time.Now()
	cb.satFrom.Store(start.Add(time.Second).UnixNano())
	cb.satTo.Store(start.Add(time.Second + d).UnixNano())
	for _, c := range pick {
		c.sat.Store(true)
		cb.agentSays(c, 's')
	}
	err := sleep(ctx, time.Second+d)
	for _, c := range pick {
		c.sat.Store(false)
	}
	if err != nil {
		return nil, err
	}
	if err := cb.drain(ctx); err != nil {
		return nil, err
	}
	t := cb.tally().since(before)
	lat := cb.satLat.all()
	p50, p99 := percentiles(lat)
	lost := t.sent[toCitizen] - t.got[toCitizen]
	store := row{name: fmt.Sprintf("web chat, messages stored, %d chats each sending on the ack (chat.send)", len(pick)),
		count: len(lat), rate: float64(len(lat)) / d.Seconds(), p50: p50, p99: p99,
		note: fmt.Sprintf("send → ack; on %d agents (each console's requests run one at a time), %d chats open; at the citizens: sent %d, received %d once, %d lost, %d twice; %d errors; "+
			"the citizens' own sends are held to 1 a second per chat by /ws/chat", len(agents), len(cb.chats), t.sent[toCitizen], t.got[toCitizen],
			lost, t.twice[toCitizen], t.errors)}
	if _, err := cb.b.db.Pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS bench_chat_messages (LIKE chat_messages INCLUDING ALL);
		CREATE SEQUENCE IF NOT EXISTS bench_chat_seq`); err != nil {
		return nil, fmt.Errorf("pgbench's chat_messages: %w", err)
	}
	base, err := cb.b.pgbench(ctx, len(pick), fmt.Sprintf("pgbench single-row INSERT into a chat_messages copy (%d conns)", len(pick)),
		"baseline of the row above: its table's checks and indexes, no app", chatStoreSQL)
	if err != nil {
		return nil, err
	}
	store.ratio = store.rate / base.rate
	return []row{base, store}, nil
}

// drain waits, after the last send, until every message sent has arrived
// and been acknowledged (at most chatDrain), and a second more for any
// that would arrive twice.
func (cb *chatBench) drain(ctx context.Context) error {
	for deadline := time.Now().Add(chatDrain); ; {
		t := cb.tally()
		if t.got == t.sent && t.acks == t.sent {
			return sleep(ctx, time.Second)
		}
		if time.Now().After(deadline) {
			cb.logMissing()
			return nil
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
}

// logMissing names the first few chats with a message that never came.
func (cb *chatBench) logMissing() {
	logged := 0
	for _, c := range cb.chats {
		for d, way := range []string{"citizen → agent", "agent → citizen"} {
			sent, acks := c.sent[d].Load(), c.acks[d].Load()
			if got, _ := c.got[d].counts(); (got < sent || acks < sent) && logged < 5 {
				logged++
				c.got[d].mu.Lock()
				var missing []int64
				for n := int64(1); n <= sent && len(missing) < 5; n++ {
					if n >= int64(len(c.got[d].got)) || !c.got[d].got[n] {
						missing = append(missing, n)
					}
				}
				c.got[d].mu.Unlock()
				cb.b.log.Warn("chat bench: messages missing after the drain", "chat", c.i, "chat_id", c.id, "way", way,
					"sent", sent, "received", got, "acks", acks, "missing", missing)
			}
		}
	}
}

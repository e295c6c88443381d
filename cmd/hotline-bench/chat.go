package main

// The web chat benchmark: -chats citizens' chats on /ws/chat, each taken
// by an agent over /ws/agent, a message every -chat-every each way. It
// measures the latency each way (the server stores a message before it
// passes it on), messages lost or doubled, the server's memory per chat,
// and how fast messages are stored, beside pgbench's single-row INSERT
// into a copy of chat_messages.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

const (
	// chatPerAddr is how many chats one citizen address opens: the server
	// lets an address start 10 at once, then one every 12 s.
	chatPerAddr   = 5
	chatDialers   = 32 // chats being opened at once
	chatJoinWait  = time.Minute
	chatDrain     = 30 * time.Second // after the last send: the longest wait for what is on its way
	chatTargetP99 = 50 * time.Millisecond
)

// chatBench holds the agents' and the citizens' sockets.
type chatBench struct {
	b      *bench
	debug  string // the server's profiler
	agents []*chatAgent
	chats  []*chatConn
	mu     sync.Mutex
	byID   map[int64]*chatConn
	wg     sync.WaitGroup // the readers

	from, to        atomic.Int64 // the paced run's measured window (unix ns of the sends)
	satFrom, satTo  atomic.Int64 // the storage run's
	lat             [2]latencies // by direction
	satLat          latencies
	sendErrors      atomic.Int64
	frameErrors     atomic.Int64
	drops           atomic.Int64
	closing         atomic.Bool
	joinLat         latencies
	agentsN, perCap int
}

// chatBench opens o.chats chats, each with an agent, and measures them.
func (b *bench) chatBench(ctx context.Context) ([]row, error) {
	o := b.o
	if o.chats <= 0 || o.chatCapacity <= 0 || o.chatEvery <= 0 {
		return nil, errors.New("the chat benchmark needs -chats, -chat-capacity and -chat-every above 0")
	}
	cb := &chatBench{b: b, byID: map[int64]*chatConn{}, perCap: o.chatCapacity}
	cb.agentsN = (o.chats + o.chatCapacity - 1) / o.chatCapacity
	if err := checkOpenFiles(o.chats + cb.agentsN); err != nil {
		return nil, err
	}
	names, tokens, err := b.agentTokens(ctx, "chat-agent", cb.agentsN)
	if err != nil {
		return nil, err
	}
	// The agents' chat capacity is the operator's setting; the citizens
	// come from many loopback addresses, as they would from many homes.
	if cb.debug, err = b.restartWithDebug(ctx, "HOTLINE_CHAT_CAPACITY="+strconv.Itoa(o.chatCapacity)); err != nil {
		return nil, err
	}
	rows, err := cb.run(ctx, names, tokens)
	return rows, errors.Join(err, cb.closeAll(ctx), b.restartServer(ctx))
}

func (cb *chatBench) run(ctx context.Context, names, tokens []string) ([]row, error) {
	if err := cb.connectAgents(ctx, names, tokens); err != nil {
		return nil, err
	}
	before, err := cb.b.gcMetrics(ctx, cb.debug)
	if err != nil {
		return nil, err
	}
	opened, err := cb.openChats(ctx)
	if err != nil {
		return nil, err
	}
	after, err := cb.b.gcMetrics(ctx, cb.debug)
	if err != nil {
		return nil, err
	}
	cb.b.log.Info("chat bench: chats open", "chats", len(cb.chats), "agents", len(cb.agents), "debug", cb.debug)
	steady, err := cb.steady(ctx)
	if err != nil {
		return nil, err
	}
	store, err := cb.storageRun(ctx)
	if err != nil {
		return nil, err
	}
	return append([]row{opened, cb.memoryRow(before, after)}, append(steady, store...)...), nil
}

// connectAgents opens every agent's console and sets it ready.
func (cb *chatBench) connectAgents(ctx context.Context, names, tokens []string) error {
	url := "ws" + strings.TrimPrefix(cb.b.base, "http") + "/ws/agent"
	for i, tok := range tokens {
		d := websocket.Dialer{HandshakeTimeout: 30 * time.Second, ReadBufferSize: 4096, WriteBufferSize: 1024,
			Subprotocols: []string{"hotline.v1", "bearer." + tok}}
		c, resp, err := d.DialContext(ctx, url, nil)
		if err != nil {
			if resp != nil {
				err = fmt.Errorf("%w (%s)", err, resp.Status)
			}
			return fmt.Errorf("agent %s: %w", names[i], err)
		}
		a := &chatAgent{name: names[i], conn: c, ready: make(chan struct{}), chats: map[int64]*chatConn{}}
		cb.agents = append(cb.agents, a)
		cb.wg.Add(1)
		go cb.readAgent(a)
		if err := write(&a.wmu, c, []byte(`{"type":"presence.set","id":"ready","data":{"state":"ready"}}`)); err != nil {
			return fmt.Errorf("agent %s: set ready: %w", a.name, err)
		}
	}
	timeout := time.After(30 * time.Second)
	for _, a := range cb.agents {
		select {
		case <-a.ready:
		case <-timeout:
			return fmt.Errorf("agent %s: not ready after 30 s", a.name)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// citizenAddr is the loopback address of chat i's citizen: 127.1.0.1 on.
func citizenAddr(i int) net.IP {
	k := i / chatPerAddr
	return net.IPv4(127, 1, byte(k/250), byte(k%250+1))
}

// openChats opens o.chats chats, chatDialers at a time: each citizen says
// hello, asks for an agent (handoff) and waits until one joins.
func (cb *chatBench) openChats(ctx context.Context) (row, error) {
	n := cb.b.o.chats
	cb.chats = make([]*chatConn, n)
	sem, errc := make(chan struct{}, chatDialers), make(chan error, n)
	start := time.Now()
	for i := 0; i < n && len(errc) == 0; i++ {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			if err := cb.openChat(ctx, i); err != nil {
				errc <- fmt.Errorf("chat %d: %w", i, err)
			}
		}()
	}
	for range chatDialers { // every chat being opened is done
		sem <- struct{}{}
	}
	took := time.Since(start)
	select {
	case err := <-errc:
		return row{}, err
	default:
	}
	lat := cb.joinLat.all()
	p50, p99 := percentiles(lat)
	return row{name: fmt.Sprintf("web chat, %d chats opened: hello → handoff → agent joined", n), count: n,
		rate: float64(n) / took.Seconds(), p50: p50, p99: p99,
		note: fmt.Sprintf("%d agents ready, %d chats each at most (HOTLINE_CHAT_CAPACITY); %d chats opening at a time, "+
			"%d per citizen address (127.1.x.y); each agent accepts its offers (offer.accept)",
			len(cb.agents), cb.perCap, chatDialers, chatPerAddr)}, nil
}

// openChat dials chat i's citizen from its address with the hotline's
// own Origin, says hello, hands off and waits for the agent.
func (cb *chatBench) openChat(ctx context.Context, i int) error {
	t0 := time.Now()
	nd := &net.Dialer{LocalAddr: &net.TCPAddr{IP: citizenAddr(i)}, Timeout: 30 * time.Second}
	d := websocket.Dialer{HandshakeTimeout: 30 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 1024, NetDialContext: nd.DialContext}
	conn, resp, err := d.DialContext(ctx, "ws"+strings.TrimPrefix(cb.b.base, "http")+"/ws/chat", http.Header{"Origin": {cb.b.base}})
	if err != nil {
		if resp != nil {
			err = fmt.Errorf("%w (%s)", err, resp.Status)
		}
		return err
	}
	c := &chatConn{i: i, conn: conn, joined: make(chan struct{})}
	cb.chats[i] = c
	if err := write(&c.wmu, conn, []byte(`{"type":"hello","data":{}}`)); err != nil {
		return fmt.Errorf("hello: %w", err)
	}
	if c.id, err = welcome(conn); err != nil {
		return err
	}
	cb.mu.Lock()
	cb.byID[c.id] = c
	cb.mu.Unlock()
	cb.wg.Add(1)
	go cb.readCitizen(c)
	if err := write(&c.wmu, conn, []byte(`{"type":"handoff"}`)); err != nil {
		return fmt.Errorf("handoff: %w", err)
	}
	select {
	case <-c.joined:
	case <-time.After(chatJoinWait):
		return fmt.Errorf("no agent joined within %s", chatJoinWait)
	case <-ctx.Done():
		return ctx.Err()
	}
	cb.joinLat.add(time.Since(t0))
	return nil
}

// welcome reads frames until the welcome and returns the chat's id.
func welcome(conn *websocket.Conn) (int64, error) {
	if err := conn.SetReadDeadline(time.Now().Add(30 * time.Second)); err != nil {
		return 0, err
	}
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			return 0, fmt.Errorf("waiting for welcome: %w", err)
		}
		var f chatFrame
		if err := json.Unmarshal(data, &f); err != nil {
			return 0, fmt.Errorf("waiting for welcome: %w", err)
		}
		switch f.Type {
		case "welcome":
			var w struct {
				ChatID int64 `json:"chat_id"`
			}
			if err := json.Unmarshal(f.Data, &w); err != nil {
				return 0, fmt.Errorf("welcome: %w", err)
			}
			return w.ChatID, conn.SetReadDeadline(time.Time{})
		case "error":
			return 0, fmt.Errorf("instead of welcome: %s", data)
		}
	}
}

func (cb *chatBench) memoryRow(before, after map[string]float64) row {
	n := float64(len(cb.chats))
	per := func(key string) float64 { return (after[key] - before[key]) / n }
	rss, heap, stacks := per("rss")/1024, per("go_memstats_heap_inuse_bytes")/1024, per("go_memstats_stack_inuse_bytes")/1024
	return row{name: fmt.Sprintf("web chat, %d chats open: memory", len(cb.chats)), count: len(cb.chats),
		note: fmt.Sprintf("memory per chat %.1f KB (RSS), %.1f KB Go heap in use + stacks (%.1f + %.1f), %.1f goroutines; "+
			"server RSS %.0f → %.0f MiB after GC, %d agents connected in both", rss, heap+stacks, heap, stacks,
			per("go_goroutines"), before["rss"]/(1<<20), after["rss"]/(1<<20), len(cb.agents))}
}

// closeAll ends every chat (the citizen closes it) so that no chat is
// left to requeue when the server restarts, then closes every socket.
func (cb *chatBench) closeAll(ctx context.Context) error {
	var errs []error
	for _, c := range cb.chats {
		if c != nil && c.id != 0 {
			if err := write(&c.wmu, c.conn, []byte(`{"type":"close"}`)); err != nil {
				errs = append(errs, fmt.Errorf("close chat %d: %w", c.i, err))
			}
		}
	}
	if len(errs) == 0 {
		errs = append(errs, cb.waitClosed(ctx))
	}
	cb.closing.Store(true)
	for _, c := range cb.chats {
		if c != nil {
			errs = append(errs, c.conn.Close())
		}
	}
	for _, a := range cb.agents {
		errs = append(errs, a.conn.Close())
	}
	cb.wg.Wait()
	return errors.Join(errs...)
}

// waitClosed waits until the database has no open chat.
func (cb *chatBench) waitClosed(ctx context.Context) error {
	deadline := time.Now().Add(time.Minute)
	for {
		var open int
		if err := cb.b.db.Pool.QueryRow(ctx, `SELECT count(*) FROM chats WHERE state <> 'closed'`).Scan(&open); err != nil {
			return fmt.Errorf("count open chats: %w", err)
		}
		if open == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d chats still open a minute after their citizens closed them", open)
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
}

package main

// The websocket benchmark: 5,000 agents' consoles on one server, its
// memory per connection, and how fast a wallboard change reaches them all.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
	"github.com/jackc/pgx/v5"

	"github.com/open12345/hotline/auth"
)

const (
	wsDialers     = 32                     // handshakes in flight at once
	wsQuiet       = 350 * time.Millisecond // no wallboard for this long before a change: > the hub's 250 ms between two
	wsRoundWait   = 5 * time.Second        // a delivery later than this is missing
	wsTargetBytes = 30 << 10
	wsTargetP99   = 100 * time.Millisecond
)

// wsBench holds the agents' websockets and the wallboard change being timed.
type wsBench struct {
	b       *bench
	debug   string // the server's pprof address
	super   string // a supervisor's token: the changes go through the API
	conns   []*websocket.Conn
	round   atomic.Pointer[wsRound]
	maxSeq  atomic.Uint64 // the newest wallboard any connection has read
	newest  atomic.Int64  // when it came (unix ns)
	dropped atomic.Int64
	closing atomic.Bool
	wg      sync.WaitGroup
}

// wsRound is one change: every connection's delay until a wallboard newer
// than after shows the general queue's waiting figure at want.
type wsRound struct {
	start time.Time
	after uint64
	want  int
	lat   []atomic.Int64 // ns per connection; 0: not yet
	left  atomic.Int64
	done  chan struct{}
}

func (r *wsRound) deliver(i int, at time.Time) {
	if r.lat[i].CompareAndSwap(0, int64(at.Sub(r.start))) && r.left.Add(-1) == 0 {
		close(r.done)
	}
}

// websocketBench holds o.wsConns agent websockets on one server and times
// wallboard changes reaching all of them.
func (b *bench) websocketBench(ctx context.Context) ([]row, error) {
	if err := checkOpenFiles(b.o.wsConns); err != nil {
		return nil, err
	}
	tokens, super, err := b.wsUsers(ctx, b.o.wsConns)
	if err != nil {
		return nil, err
	}
	w := &wsBench{b: b, super: super}
	defer w.closeAll()
	if err := w.restartWithDebug(ctx); err != nil {
		return nil, err
	}
	before, err := w.settledMemory(ctx, 0)
	if err != nil {
		return nil, err
	}
	connect, err := w.connect(ctx, tokens)
	if err != nil {
		return nil, err
	}
	after, err := w.settledMemory(ctx, len(tokens))
	if err != nil {
		return nil, err
	}
	w.profile(ctx, "heap.pb.gz", "/debug/pprof/heap")
	cpu, sent := w.b.cpuTimes(), w.maxSeq.Load()
	lat, missing, err := w.rounds(ctx)
	if err != nil {
		return nil, err
	}
	final, err := w.b.serverMetrics(ctx)
	if err != nil {
		return nil, err
	}
	return []row{connect, w.memoryRow(before, after), w.latencyRow(lat, missing, w.maxSeq.Load()-sent, final, w.b.cpuTimes().since(cpu))}, nil
}

// checkOpenFiles makes sure that n websockets fit in the open-file limit
// (Go raised the soft limit to the hard one at start).
func checkOpenFiles(n int) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Cur < uint64(n)+256 {
		return fmt.Errorf("%d websockets need more open files than %d: raise `ulimit -Hn`", n, lim.Cur)
	}
	return nil
}

// wsUsers creates n agents and a supervisor, each with a token valid for
// a month, straight in the database: the hash is what auth.Authenticate
// looks up (auth.HashToken), the password hash one no login matches.
func (b *bench) wsUsers(ctx context.Context, n int) (agents []string, super string, err error) {
	rows, err := b.db.Pool.Query(ctx, `INSERT INTO users (username, display_name, role, password_hash, created_at)
		SELECT CASE WHEN i = 0 THEN 'ws-supervisor' ELSE 'ws-agent' || lpad(i::text, 5, '0') END,
		       '坐席' || i, CASE WHEN i = 0 THEN 'supervisor' ELSE 'agent' END, '!no-login', now()
		FROM generate_series(0, $1::int) AS i RETURNING id, role = 'supervisor'`, n)
	if err != nil {
		return nil, "", err
	}
	users, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct {
		ID    int64
		Super bool
	}])
	if err != nil {
		return nil, "", err
	}
	now, tokens := time.Now(), make([][]any, len(users))
	for i, u := range users {
		tok, hash, err := auth.NewToken()
		if err != nil {
			return nil, "", err
		}
		tokens[i] = []any{hash, u.ID, now, now.Add(30 * 24 * time.Hour)}
		if u.Super {
			super = tok
		} else {
			agents = append(agents, tok)
		}
	}
	_, err = b.db.Pool.CopyFrom(ctx, pgx.Identifier{"tokens"}, []string{"hash", "user_id", "created_at", "expires_at"}, pgx.CopyFromRows(tokens))
	return agents, super, err
}

// connect opens one websocket per token, wsDialers at a time, each read
// by its own goroutine.
func (w *wsBench) connect(ctx context.Context, tokens []string) (row, error) {
	url := "ws" + strings.TrimPrefix(w.b.base, "http") + "/ws/agent"
	w.conns = make([]*websocket.Conn, len(tokens))
	sem, errc := make(chan struct{}, wsDialers), make(chan error, len(tokens))
	start := time.Now()
	for i, tok := range tokens {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			if err := w.dial(ctx, url, i, tok); err != nil {
				errc <- fmt.Errorf("websocket %d: %w", i, err)
			}
		}()
	}
	for range wsDialers {
		sem <- struct{}{}
	}
	select {
	case err := <-errc:
		return row{}, err
	default:
	}
	return row{name: fmt.Sprintf("websocket connect, %d agents", len(tokens)), count: len(tokens), rate: float64(len(tokens)) / time.Since(start).Seconds(),
		note: fmt.Sprintf("%d handshakes at a time; each: token check, routing login (not ready)", wsDialers)}, nil
}

// dial opens connection i with the token as a subprotocol.
func (w *wsBench) dial(ctx context.Context, url string, i int, token string) error {
	d := websocket.Dialer{HandshakeTimeout: 30 * time.Second, ReadBufferSize: 2048, WriteBufferSize: 512,
		Subprotocols: []string{"hotline.v1", "bearer." + token}}
	c, resp, err := d.DialContext(ctx, url, nil)
	switch {
	case err != nil && resp != nil:
		return fmt.Errorf("%w (%s)", err, resp.Status)
	case err != nil:
		return err
	case c.Subprotocol() != "hotline.v1":
		c.Close()
		return fmt.Errorf("subprotocol %q", c.Subprotocol())
	}
	w.conns[i] = c
	w.wg.Add(1)
	go w.read(i, c)
	return nil
}

// read reads one connection until it ends, timing the wallboards. The
// message buffer is reused, so that the clients stay light beside the server.
func (w *wsBench) read(i int, c *websocket.Conn) {
	defer w.wg.Done()
	var msg bytes.Buffer
	for {
		_, r, err := c.NextReader()
		if err == nil {
			msg.Reset()
			_, err = msg.ReadFrom(r)
		}
		if err != nil {
			if !w.closing.Load() && w.dropped.Add(1) <= 3 {
				w.b.log.Warn("websocket dropped", "conn", i, "err", err)
			}
			return
		}
		at := time.Now()
		if seq, waiting, ok := parseWallboard(msg.Bytes()); ok {
			w.noteSeq(seq, at)
			if r := w.round.Load(); r != nil && seq > r.after && waiting == r.want {
				r.deliver(i, at)
			}
		}
	}
}

// noteSeq remembers the newest wallboard and when it first arrived.
func (w *wsBench) noteSeq(seq uint64, at time.Time) {
	for old := w.maxSeq.Load(); seq > old; old = w.maxSeq.Load() {
		if w.maxSeq.CompareAndSwap(old, seq) {
			w.newest.Store(at.UnixNano())
			return
		}
	}
}

var (
	wallboardPrefix = []byte(`{"type":"wallboard"`)
	seqKey          = []byte(`"seq":`)
	generalKey      = []byte(`{"queue":"general"`)
	waitingKey      = []byte(`"waiting":`)
)

// parseWallboard reads a wallboard's seq and the general queue's waiting
// figure without decoding the JSON (the hub writes the fields in this order).
func parseWallboard(msg []byte) (seq uint64, waiting int, ok bool) {
	i := bytes.Index(msg, generalKey)
	if !bytes.HasPrefix(msg, wallboardPrefix) || i < 0 {
		return 0, 0, false
	}
	seq, okSeq := numberAfter(msg, seqKey)
	n, okWait := numberAfter(msg[i:], waitingKey)
	return seq, int(n), okSeq && okWait
}

func numberAfter(b, key []byte) (uint64, bool) {
	i := bytes.Index(b, key)
	if i < 0 {
		return 0, false
	}
	j, n := i+len(key), uint64(0)
	for ; j < len(b) && b[j] >= '0' && b[j] <= '9'; j++ {
		n = n*10 + uint64(b[j]-'0')
	}
	return n, j > i+len(key)
}

// rounds makes o.wsRounds changes to the general queue's waiting figure,
// alternately a contact arriving (agents are not ready: it waits) and the
// same contact ending. It returns every delivery's delay and the number of
// connections that did not get a change within wsRoundWait.
func (w *wsBench) rounds(ctx context.Context) ([]time.Duration, int, error) {
	var cpu sync.WaitGroup
	cpu.Go(func() {
		w.profile(ctx, "cpu.pb.gz", fmt.Sprintf("/debug/pprof/profile?seconds=%d", w.b.o.wsRounds/2+1))
	})
	defer cpu.Wait()
	client, contact, missing := newClient(2), "", 0
	var lat []time.Duration
	for i := range w.b.o.wsRounds {
		r, err := w.change(ctx, client, 1-i%2, &contact)
		if err != nil {
			return nil, 0, err
		}
		var mine []time.Duration
		for j := range r.lat {
			if d := r.lat[j].Load(); d > 0 {
				mine = append(mine, time.Duration(d))
			}
		}
		p50, p99 := percentiles(mine)
		w.b.log.Info("wallboard round", "round", i, "seq_after", r.after, "got", len(mine), "p50", p50, "p99", p99, "max", slices.Max(append(mine, 0)))
		lat, missing = append(lat, mine...), missing+len(r.lat)-len(mine)
	}
	return lat, missing, nil
}

// change waits until no wallboard has come for wsQuiet (so that the hub's
// interval between two does not delay this one), then makes the general
// queue's waiting figure want, and waits for every connection to see it.
func (w *wsBench) change(ctx context.Context, client *http.Client, want int, contact *string) (*wsRound, error) {
	for wait := time.Duration(1); wait > 0; wait = wsQuiet - time.Since(time.Unix(0, w.newest.Load())) {
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
	r := &wsRound{after: w.maxSeq.Load(), want: want, lat: make([]atomic.Int64, len(w.conns)), done: make(chan struct{})}
	r.left.Store(int64(len(w.conns)))
	r.start = time.Now()
	w.round.Store(r)
	defer w.round.Store(nil)
	var err error
	if want == 1 {
		*contact, err = w.trigger(ctx, client, "/api/v1/routing/contacts", `{"channel":"voice","queue":"general","caller":"13800000000"}`)
	} else {
		_, err = w.trigger(ctx, client, "/api/v1/routing/contacts/"+*contact+"/end", "")
	}
	if err != nil {
		return nil, err
	}
	select {
	case <-r.done:
	case <-time.After(wsRoundWait):
	}
	return r, nil
}

// trigger posts as the supervisor and returns the contact's id.
func (w *wsBench) trigger(ctx context.Context, client *http.Client, path, body string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.b.base+path, strings.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+w.super)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var c struct {
		ID string `json:"id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil || resp.StatusCode >= 300 {
		return "", fmt.Errorf("POST %s: status %d (%v)", path, resp.StatusCode, err)
	}
	return c.ID, nil
}

func (w *wsBench) closeAll() {
	w.closing.Store(true)
	for _, c := range w.conns {
		if c != nil {
			c.Close()
		}
	}
	w.wg.Wait()
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

func (w *wsBench) memoryRow(before, after map[string]float64) row {
	per := func(key string) float64 { return (after[key] - before[key]) / float64(len(w.conns)) }
	rss, heap, stacks := per("rss")/1024, per("go_memstats_heap_inuse_bytes")/1024, per("go_memstats_stack_inuse_bytes")/1024
	return row{name: fmt.Sprintf("websocket, %d agent connections: memory", len(w.conns)), count: len(w.conns),
		note: fmt.Sprintf("memory per connection %.1f KB (RSS), %.1f KB Go heap in use + stacks (%.1f + %.1f), %.1f goroutines; "+
			"server RSS %.0f → %.0f MiB after GC; target < %d KB (RSS): %s", rss, heap+stacks, heap, stacks,
			per("go_goroutines"), before["rss"]/(1<<20), after["rss"]/(1<<20), wsTargetBytes>>10, verdict(rss*1024 < wsTargetBytes))}
}

func (w *wsBench) latencyRow(lat []time.Duration, missing int, sent uint64, final map[string]float64, cpu cpuTimes) row {
	p50, p99 := percentiles(lat) // sorts lat
	dropped, ticks := int(w.dropped.Load()), func(t int64) float64 { return float64(t) / 100 }
	return row{name: fmt.Sprintf("websocket, wallboard → %d agents, %d rounds", len(w.conns), w.b.o.wsRounds), count: len(lat), p50: p50, p99: p99,
		note: fmt.Sprintf("max %s; %d wallboards sent for %d changes; %d missing, %d dropped (server: %.0f open, %.0f dropped as slow); "+
			"target p99 < %s, 0 dropped: %s; CPU in rounds: server %.1fs, clients %.1fs, other processes %.1fs; server and %d clients share %d cores",
			ms(slices.Max(append(lat, 0))), sent, w.b.o.wsRounds, missing, dropped, final["hotline_ws_connections"], final["hotline_ws_dropped_total"],
			wsTargetP99, verdict(p99 < wsTargetP99 && missing == 0 && dropped == 0),
			ticks(cpu.server), ticks(cpu.clients), ticks(cpu.machine-cpu.server-cpu.clients), len(w.conns), runtime.NumCPU())}
}

func verdict(met bool) string {
	if met {
		return "met"
	}
	return "MISSED"
}

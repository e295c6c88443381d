// Command hotline-bench measures the hotline against its own database:
// ticket creation through the HTTP API beside pgbench's single-row INSERT
// on the same PostgreSQL, ticket listing over a million tickets, search,
// 5,000 staff websockets (memory, wallboard delivery), 2,000 web chats
// with their agents (latency each way, memory per chat, messages stored
// beside pgbench's INSERT), logins with and
// without the bound on password hashing, the routing engine's decisions
// in-process, and the SIP edge: calls per second driven by sipp beside a
// bare sipgo UAS, memory and goroutines per call in the IVR and bridged,
// and the media: the most calls in queue hearing music with the RTP
// send interval's jitter under 5 ms, and calls bridged and recorded, and
// outbound calls per second through the carrier trunk to a sipp UAS
// beside sipp calling it straight. It prints one table of figures and the
// query plans behind the listing.
//
// It creates (and drops) a database named hotline_bench on the server of
// HOTLINE_TEST_DATABASE_URL and runs the hotline binary given by -binary.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"
)

type options struct {
	binary          string
	duration        time.Duration
	clients         int
	listClients     int
	tickets         int
	keep            bool
	dispatchRate    int
	dispatchFor     time.Duration
	queueTasks      int
	searchGuides    int
	searchFor       time.Duration
	wsConns         int
	wsRounds        int
	routingFor      time.Duration
	loginClients    int
	loginRounds     int
	sipStep         time.Duration
	sipCalls        int
	mediaCalls      string // the media benchmark's steps: calls in queue at once
	mediaHold       time.Duration
	mediaBridged    int
	mediaBridgeHold time.Duration
	outboundAgents  string        // the outbound benchmark's steps: agents calling at once
	outboundHold    time.Duration // how long the citizen talks before hanging up
	outboundFor     time.Duration // how long each step's agents place calls
	chats           int
	chatEvery       time.Duration
	chatFor         time.Duration
	chatCapacity    int
	chatStore       int // the storage run's chats, and pgbench's clients beside it
	only            string
	adminURL        string
	redisURL        string
	pgBin           string
}

func main() {
	var o options
	flag.StringVar(&o.binary, "binary", "bin/hotline", "the hotline binary to measure")
	flag.DurationVar(&o.duration, "duration", 15*time.Second, "length of each measured run")
	flag.IntVar(&o.clients, "clients", 32, "concurrent clients creating tickets (and pgbench clients)")
	flag.IntVar(&o.listClients, "list-clients", 8, "concurrent clients listing tickets")
	flag.IntVar(&o.tickets, "tickets", 1_000_000, "tickets to load for the listing benchmark (0 skips it)")
	flag.BoolVar(&o.keep, "keep", false, "keep the hotline_bench database afterwards")
	flag.IntVar(&o.dispatchRate, "dispatch-rate", 200, "dispatches per second for the dispatch latency benchmark")
	flag.DurationVar(&o.dispatchFor, "dispatch-duration", 60*time.Second, "length of the dispatch latency benchmark (0 skips it)")
	flag.IntVar(&o.queueTasks, "queue-tasks", 10000, "tasks for the queue throughput benchmark (0 skips it)")
	flag.IntVar(&o.searchGuides, "search-guides", 50000, "guides to index for the search benchmark (0 skips it)")
	flag.DurationVar(&o.searchFor, "search-duration", 10*time.Second, "length of each search latency run")
	flag.IntVar(&o.wsConns, "ws-conns", 5000, "agent websockets for the websocket benchmark (0 skips it)")
	flag.IntVar(&o.wsRounds, "ws-rounds", 20, "wallboard changes timed to every websocket")
	flag.DurationVar(&o.routingFor, "routing-duration", 5*time.Second, "length of each routing decision run (0 skips it)")
	flag.IntVar(&o.loginClients, "login-clients", 100, "clients logging in at once for the login benchmark (0 skips it)")
	flag.IntVar(&o.loginRounds, "login-rounds", 5, "logins of each client in the login benchmark")
	flag.DurationVar(&o.sipStep, "sip-step", 5*time.Second, "length of each call rate tried in the SIP benchmark (0 skips it)")
	flag.IntVar(&o.sipCalls, "sip-calls", 100, "calls held at once for the SIP memory figures (0 skips them)")
	flag.StringVar(&o.mediaCalls, "media-calls", "100,250,500,750,1000", "the media benchmark's steps: calls waiting in queue at once, hearing music (\"\" skips them); the steps stop at the first that misses the target")
	flag.DurationVar(&o.mediaHold, "media-hold", 60*time.Second, "how long each media call waits in queue after its key")
	flag.IntVar(&o.mediaBridged, "media-bridged", 100, "calls bridged to agents' phones and recorded at once in the media benchmark (0 skips them)")
	flag.DurationVar(&o.mediaBridgeHold, "media-bridge-hold", 45*time.Second, "how long each bridged media call lasts after its key")
	flag.StringVar(&o.outboundAgents, "outbound-agents", "25,50,100,150,200,300,400", "the outbound benchmark's steps: agents calling back citizens at once, each call after the last (\"\" skips it); the steps stop at the first with a failed call")
	flag.DurationVar(&o.outboundHold, "outbound-hold", 3*time.Second, "how long each outbound call talks before the citizen (sipp) hangs up")
	flag.DurationVar(&o.outboundFor, "outbound-duration", 20*time.Second, "how long each outbound step's agents place calls")
	flag.IntVar(&o.chats, "chats", 2000, "web chats open at once for the chat benchmark, each with an agent (0 skips it)")
	flag.DurationVar(&o.chatEvery, "chat-every", 5*time.Second, "interval between two messages of a chat, each way")
	flag.DurationVar(&o.chatFor, "chat-duration", 60*time.Second, "measured window of the chat benchmark's paced run")
	flag.IntVar(&o.chatCapacity, "chat-capacity", 10, "chats each agent takes at once (HOTLINE_CHAT_CAPACITY); the agents are -chats divided by it")
	flag.IntVar(&o.chatStore, "chat-store-chats", 64, "chats sending on the ack in the chat storage run, and pgbench's clients beside it")
	flag.StringVar(&o.only, "only", "", "run only this benchmark: search, websocket, chat, routing, login, sip, media or outbound")
	bareUAS := flag.Bool("bare-uas", false, "serve as the SIP benchmark's bare UAS (internal)")
	bareRTPFor := flag.Duration("bare-rtp", 0, "send as the media benchmark's bare RTP sender for this long, to the addresses on stdin (internal)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the bench process (the in-process benchmarks: search, routing) to this file")
	flag.Parse()
	if *bareRTPFor > 0 {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
		err := serveBareRTP(ctx, *bareRTPFor)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, "hotline-bench -bare-rtp:", err)
			os.Exit(1)
		}
		return
	}
	if *bareUAS {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
		err := serveBareUAS(ctx)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, "hotline-bench -bare-uas:", err)
			os.Exit(1)
		}
		return
	}
	switch o.only {
	case "", "search", "websocket", "chat", "routing", "login", "sip", "media", "outbound":
	default:
		fmt.Fprintf(os.Stderr, "hotline-bench: -only %q: want search, websocket, chat, routing, login, sip, media or outbound\n", o.only)
		os.Exit(2)
	}
	o.adminURL, o.redisURL, o.pgBin = os.Getenv("HOTLINE_TEST_DATABASE_URL"), os.Getenv("HOTLINE_REDIS_URL"), os.Getenv("HOTLINE_PG_BIN")
	if o.adminURL == "" || o.redisURL == "" {
		fmt.Fprintln(os.Stderr, "hotline-bench: HOTLINE_TEST_DATABASE_URL and HOTLINE_REDIS_URL must be set: run `make bench`")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if *cpuProfile != "" {
		stopProfile, err := startCPUProfile(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "hotline-bench:", err)
			os.Exit(2)
		}
		defer stopProfile()
	}
	if err := run(ctx, o, log); err != nil {
		fmt.Fprintln(os.Stderr, "hotline-bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options, log *slog.Logger) error {
	if o.only == "routing" { // in-process: no database, no server
		rows, err := routingBench(ctx, o)
		if err != nil {
			return err
		}
		printTable(os.Stdout, o, rows)
		return nil
	}
	b, err := newBench(ctx, o, log)
	if err != nil {
		return err
	}
	defer b.close(ctx)
	var rows []row
	if only := map[string]func(context.Context) ([]row, error){"search": b.searchBench, "websocket": b.websocketBench,
		"chat": b.chatBench, "login": b.loginBench, "sip": b.sipBench, "media": b.mediaBench, "outbound": b.outboundBench}[o.only]; only != nil {
		rows, err := only(ctx)
		if err != nil {
			return err
		}
		printTable(os.Stdout, o, rows)
		return nil
	}
	if o.dispatchFor > 0 {
		lat, err := b.dispatchLatency(ctx)
		if err != nil {
			return err
		}
		rows = append(rows, lat)
	}
	base, err := b.pgbench(ctx, o.clients, fmt.Sprintf("pgbench single-row INSERT (%d conns)", o.clients), "baseline", baselineSQL)
	if err != nil {
		return err
	}
	sql, err := b.pgbench(ctx, o.clients, fmt.Sprintf("pgbench ticket statements (%d conns)", o.clients), "the server's SQL, no HTTP", ticketSQL)
	if err != nil {
		return err
	}
	create, err := b.createTickets(ctx)
	if err != nil {
		return err
	}
	sql.ratio, create.ratio = sql.rate/base.rate, create.rate/base.rate
	rows = append(rows, base, sql, create)
	if err := b.drainOutbox(ctx); err != nil {
		return err
	}
	var plans []plan
	if o.tickets > 0 {
		if err := b.loadTickets(ctx, o.tickets); err != nil {
			return err
		}
		list, ps, err := b.listTickets(ctx)
		if err != nil {
			return err
		}
		rows, plans = append(rows, list...), ps
	}
	if o.searchGuides > 0 {
		srows, err := b.searchBench(ctx)
		if err != nil {
			return err
		}
		rows = append(rows, srows...)
	}
	if o.wsConns > 0 {
		wrows, err := b.websocketBench(ctx)
		if err != nil {
			return err
		}
		rows = append(rows, wrows...)
	}
	if o.chats > 0 {
		crows, err := b.chatBench(ctx)
		if err != nil {
			return err
		}
		rows = append(rows, crows...)
	}
	if o.loginClients > 0 {
		lrows, err := b.loginBench(ctx)
		if err != nil {
			return err
		}
		rows = append(rows, lrows...)
	}
	if o.sipStep > 0 || o.sipCalls > 0 {
		srows, err := b.sipBench(ctx)
		if err != nil {
			return err
		}
		rows = append(rows, srows...)
	}
	if o.mediaCalls != "" || o.mediaBridged > 0 {
		mrows, err := b.mediaBench(ctx)
		if err != nil {
			return err
		}
		rows = append(rows, mrows...)
	}
	if o.outboundAgents != "" {
		orows, err := b.outboundBench(ctx)
		if err != nil {
			return err
		}
		rows = append(rows, orows...)
	}
	if o.queueTasks > 0 {
		qrows, err := b.queueThroughput(ctx)
		if err != nil {
			return err
		}
		rows = append(rows, qrows...)
	}
	if o.routingFor > 0 {
		rrows, err := routingBench(ctx, o)
		if err != nil {
			return err
		}
		rows = append(rows, rrows...)
	}
	printTable(os.Stdout, o, rows)
	printPlans(os.Stdout, plans)
	return nil
}

// queueThroughput compares delivery tasks with no-op tasks on the same
// Redis, with the server stopped so that only the benchmark's workers run.
func (b *bench) queueThroughput(ctx context.Context) ([]row, error) {
	if err := b.stopServer(); err != nil {
		return nil, err
	}
	rc, err := b.queueRedis(ctx)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	noop, err := b.noopThroughput(ctx, rc, b.o.queueTasks)
	if err != nil {
		return nil, err
	}
	deliver, err := b.deliverThroughput(ctx, rc, b.o.queueTasks)
	if err != nil {
		return nil, err
	}
	deliver.ratio = deliver.rate / noop.rate
	return []row{noop, deliver}, nil
}

// drainOutbox waits until the server has sent every message of the tickets
// created so far (their SMS), so that later benchmarks do not share the
// machine with that backlog.
func (b *bench) drainOutbox(ctx context.Context) error {
	start := time.Now()
	for {
		var left int
		if err := b.db.Pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE done_at IS NULL`).Scan(&left); err != nil {
			return err
		}
		if left == 0 {
			b.log.Info("outbox drained", "took", time.Since(start).Round(time.Second))
			return nil
		}
		if time.Since(start) > 10*time.Minute {
			return fmt.Errorf("%d outbox messages still unsent after 10 minutes", left)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// startCPUProfile profiles the bench process into path until the returned
// stop is called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("-cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		return nil, errors.Join(fmt.Errorf("-cpuprofile: %w", err), f.Close())
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "hotline-bench: -cpuprofile:", err)
		}
	}, nil
}

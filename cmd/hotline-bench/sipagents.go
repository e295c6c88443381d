package main

// The agents of the SIP benchmark's bridged calls: each ready in routing
// through a console websocket, with a phone in this process (diago) that
// registers from an address of its own and answers every call.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/emiago/diago"
	"github.com/emiago/diago/media"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/gorilla/websocket"
	"github.com/jackc/pgx/v5"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/telephony"
)

const sipAgentPassword = "bench-phone-password"

// sipAgents are the agents' consoles and phones.
type sipAgents struct {
	log      *slog.Logger
	conns    []*websocket.Conn
	uas      []*sipgo.UserAgent
	ctx      context.Context // the phones', until close
	stop     context.CancelFunc
	readers  sync.WaitGroup
	phones   sync.WaitGroup // calls being answered
	answered atomic.Int64
	heard    *rtpStats // what the phones hear, when set (the media benchmark)
	// ended, when set (the outbound benchmark), hears each call's end on
	// an agent's phone with the RTP packets the phone got in it.
	ended  func(agent string, packets int64)
	names  []string // the agents', in order
	tokens []string // their bearer tokens
}

// newAgents creates n agents with SIP passwords, makes them ready through
// their consoles and registers their phones; with heard, the phones read
// the RTP they get into it.
func (s *sipBench) newAgents(ctx context.Context, n int, heard *rtpStats) (*sipAgents, error) {
	return s.newAgentsHearing(ctx, n, heard, nil)
}

// newAgentsHearing is newAgents whose phones tell ended of each call's
// end, when set.
func (s *sipBench) newAgentsHearing(ctx context.Context, n int, heard *rtpStats, ended func(agent string, packets int64)) (*sipAgents, error) {
	names, tokens, err := s.agentUsers(ctx, n)
	if err != nil {
		return nil, err
	}
	creds := telephony.NewCredentials(postgres.NewSIPStore(s.b.db), sipRealm)
	for _, name := range names {
		if err := creds.SetPassword(ctx, name, sipAgentPassword); err != nil {
			return nil, fmt.Errorf("SIP password of %s: %w", name, err)
		}
	}
	pctx, stop := context.WithCancel(context.Background())
	a := &sipAgents{log: s.b.log, ctx: pctx, stop: stop, heard: heard, ended: ended, names: names, tokens: tokens}
	if err := errors.Join(a.ready(ctx, s.b.base, tokens), a.register(ctx, s.sipAddr, names)); err != nil {
		return nil, errors.Join(err, a.close())
	}
	return a, nil
}

// agentUsers creates n agents sip-agent001… with tokens valid for a day.
func (s *sipBench) agentUsers(ctx context.Context, n int) (names, tokens []string, err error) {
	return s.b.agentTokens(ctx, "sip-agent", n)
}

// agentTokens creates n agents prefix001… with tokens valid for a day,
// straight in the database (as wsUsers does).
func (b *bench) agentTokens(ctx context.Context, prefix string, n int) (names, tokens []string, err error) {
	rows, err := b.db.Pool.Query(ctx, `INSERT INTO users (username, display_name, role, password_hash, created_at)
		SELECT $2::text || lpad(i::text, 3, '0'), '话务员' || i, 'agent', '!no-login', now()
		FROM generate_series(1, $1::int) AS i RETURNING id, username`, n, prefix)
	if err != nil {
		return nil, nil, fmt.Errorf("create agents %s…: %w", prefix, err)
	}
	users, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct {
		ID   int64
		Name string
	}])
	if err != nil {
		return nil, nil, fmt.Errorf("create agents %s…: %w", prefix, err)
	}
	now, hashes := time.Now(), make([][]any, len(users))
	for i, u := range users {
		tok, hash, err := auth.NewToken()
		if err != nil {
			return nil, nil, err
		}
		hashes[i] = []any{hash, u.ID, now, now.Add(24 * time.Hour)}
		names, tokens = append(names, u.Name), append(tokens, tok)
	}
	if _, err := b.db.Pool.CopyFrom(ctx, pgx.Identifier{"tokens"}, []string{"hash", "user_id", "created_at", "expires_at"}, pgx.CopyFromRows(hashes)); err != nil {
		return nil, nil, fmt.Errorf("tokens of agents %s…: %w", prefix, err)
	}
	return names, tokens, nil
}

// ready opens each agent's console websocket, read (and discarded) by a
// goroutine of its own, and sets the agent ready, waiting for the acks.
func (a *sipAgents) ready(ctx context.Context, base string, tokens []string) error {
	url := "ws" + strings.TrimPrefix(base, "http") + "/ws/agent"
	acks := make(chan struct{}, len(tokens))
	for _, tok := range tokens {
		d := websocket.Dialer{HandshakeTimeout: 10 * time.Second, Subprotocols: []string{"hotline.v1", "bearer." + tok}}
		c, resp, err := d.DialContext(ctx, url, nil)
		if err != nil {
			if resp != nil {
				err = fmt.Errorf("%w (%s)", err, resp.Status)
			}
			return fmt.Errorf("agent websocket: %w", err)
		}
		a.conns = append(a.conns, c)
		a.readers.Go(func() { a.read(c, acks) })
		if err := c.WriteMessage(websocket.TextMessage, []byte(`{"type":"presence.set","id":"ready","data":{"state":"ready"}}`)); err != nil {
			return fmt.Errorf("set ready: %w", err)
		}
	}
	timeout := time.After(30 * time.Second)
	for range tokens {
		select {
		case <-acks:
		case <-timeout:
			return errors.New("agents not set ready within 30 s")
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// read reads a console until it closes and reports the ready's ack.
func (a *sipAgents) read(c *websocket.Conn, acks chan<- struct{}) {
	for {
		_, msg, err := c.ReadMessage()
		if err != nil {
			return
		}
		if bytes.HasPrefix(msg, []byte(`{"type":"ack"`)) && bytes.Contains(msg, []byte(`"id":"ready"`)) {
			acks <- struct{}{}
		}
	}
}

// register starts a phone for each agent, on its own loopback address (the
// edge limits REGISTERs per source), and registers it; the phones answer
// until close.
func (a *sipAgents) register(ctx context.Context, sipAddr string, names []string) error {
	edge, err := netip.ParseAddrPort(sipAddr)
	if err != nil {
		return err
	}
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	for i, name := range names {
		host := fmt.Sprintf("127.0.%d.%d", 1+i/250, 1+i%250)
		// A phone's port, picked free a moment before, may be taken
		// meanwhile (hundreds of phones bind): try another.
		var err error
		for range 3 {
			err = a.phone(ctx, quiet, edge, host, name)
			// sipgo does not always wrap the bind's error.
			if err == nil || !errors.Is(err, syscall.EADDRINUSE) && !strings.Contains(err.Error(), "address already in use") {
				break
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// phone starts name's phone on host and registers it at edge.
func (a *sipAgents) phone(ctx context.Context, log *slog.Logger, edge netip.AddrPort, host, name string) error {
	port, err := freeUDPPortOn(host)
	if err != nil {
		return err
	}
	ua, err := sipgo.NewUA(sipgo.WithUserAgent(name))
	if err != nil {
		return err
	}
	dg := diago.NewDiago(ua, diago.WithLogger(log),
		diago.WithTransport(diago.Transport{Transport: "udp", BindHost: host, BindPort: port}))
	pctx, stop := context.WithCancel(a.ctx)
	if err := dg.ServeBackground(pctx, func(d *diago.DialogServerSession) { a.answer(name, d) }); err != nil {
		stop()
		return errors.Join(fmt.Errorf("phone of %s: %w", name, err), ua.Close())
	}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	tx, err := dg.RegisterTransaction(rctx, sip.Uri{Scheme: "sip", User: name, Host: edge.Addr().String(), Port: int(edge.Port())},
		diago.RegisterOptions{Username: name, Password: sipAgentPassword, Expiry: time.Hour})
	if err == nil {
		err = tx.Register(rctx)
	}
	cancel()
	if err != nil {
		stop()
		return errors.Join(fmt.Errorf("register the phone of %s: %w", name, err), ua.Close())
	}
	context.AfterFunc(a.ctx, stop) // the phone serves until close
	a.uas = append(a.uas, ua)
	return nil
}

// answer answers a call to agent's phone with PCMU and sends 20 ms of
// silence every 20 ms, as a phone does, until the call ends; with
// a.heard, it reads what it hears, and with a.ended it counts it.
func (a *sipAgents) answer(agent string, d *diago.DialogServerSession) {
	a.phones.Add(1)
	defer a.phones.Done()
	med, err := d.Answer(diago.AnswerOptions{Codecs: []media.Codec{media.CodecAudioUlaw}})
	if err != nil {
		a.log.Warn("bench phone: answer", "err", err)
		return
	}
	a.answered.Add(1)
	if a.ended != nil {
		var packets atomic.Int64
		var reader sync.WaitGroup
		reader.Go(func() { count(med, &packets) })
		defer func() {
			if err := med.Close(); err != nil {
				a.log.Debug("bench phone: close media", "err", err)
			}
			reader.Wait()
			a.ended(agent, packets.Load())
		}()
	} else if a.heard != nil {
		var reader sync.WaitGroup
		reader.Go(func() { listen(med, a.heard) })
		defer func() { // diago closes the media only after this returns
			if err := med.Close(); err != nil {
				a.log.Debug("bench phone: close media", "err", err)
			}
			reader.Wait()
		}()
	}
	silence := bytes.Repeat([]byte{0xff}, 160)
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-d.Context().Done():
			return
		case <-a.ctx.Done():
			return
		case <-t.C:
			if _, err := med.RTPPacketWriter.WriteSamples(silence, 160, false, media.CodecAudioUlaw.PayloadType); err != nil {
				return
			}
		}
	}
}

// listen reads a phone's RTP until its media closes, each packet's
// arrival timed in user space (diago reads the socket).
func listen(med *diago.DialogMedia, st *rtpStats) {
	buf := make([]byte, media.RTPBufSize)
	r := med.RTPPacketReader
	var track seqTrack
	for {
		n, err := r.Read(buf)
		if err != nil {
			return
		}
		at := time.Now()
		if n == 0 || r.PacketHeader.PayloadType != media.CodecAudioUlaw.PayloadType {
			continue
		}
		st.noTimestamp.Add(1)
		track.packet(st, r.PacketHeader.SequenceNumber, r.PacketHeader.Marker, at)
	}
}

// count counts a phone's RTP packets until its media closes.
func count(med *diago.DialogMedia, packets *atomic.Int64) {
	buf := make([]byte, media.RTPBufSize)
	for {
		n, err := med.RTPPacketReader.Read(buf)
		if err != nil {
			return
		}
		if n > 0 {
			packets.Add(1)
		}
	}
}

// close hangs up the phones, closes the consoles and waits for both.
func (a *sipAgents) close() error {
	a.stop()
	var errs []error
	for _, ua := range a.uas {
		errs = append(errs, ua.Close())
	}
	for _, c := range a.conns {
		errs = append(errs, c.Close())
	}
	a.readers.Wait()
	a.phones.Wait()
	return errors.Join(errs...)
}

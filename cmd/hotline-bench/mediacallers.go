package main

// The media benchmark's callers: a sipgo INVITE (PCMU and
// telephone-event on a raw UDP socket of the caller's), the key by SIP
// INFO, 20 ms of PCMU silence sent every 20 ms as a phone does, and every
// RTP packet the hotline sends read with its kernel arrival time
// (SO_TIMESTAMPNS), so that the bench's own scheduling does not colour
// the hotline's send intervals.

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// frame is G.711's packet interval; jitter is measured against it.
const frame = 20 * time.Millisecond

// jitterHist counts send-interval deviations |inter-arrival − 20 ms| in
// buckets of 10 µs (the last one: 100 ms and more), from any goroutine.
type jitterHist struct {
	buckets [10001]atomic.Uint64
	max     atomic.Int64 // the largest deviation, ns
}

const jitterBucket = 10 * time.Microsecond

// add counts one interval between two packets.
func (h *jitterHist) add(interval time.Duration) {
	d := interval - frame
	if d < 0 {
		d = -d
	}
	h.buckets[min(int(d/jitterBucket), len(h.buckets)-1)].Add(1)
	for {
		m := h.max.Load()
		if int64(d) <= m || h.max.CompareAndSwap(m, int64(d)) {
			return
		}
	}
}

// count is the intervals counted.
func (h *jitterHist) count() uint64 {
	var n uint64
	for i := range h.buckets {
		n += h.buckets[i].Load()
	}
	return n
}

// quantile is the deviation below which q of the intervals fall (the
// bucket's upper edge).
func (h *jitterHist) quantile(q float64) time.Duration {
	n := h.count()
	if n == 0 {
		return 0
	}
	want := uint64(q * float64(n))
	var seen uint64
	for i := range h.buckets {
		if seen += h.buckets[i].Load(); seen > want {
			return time.Duration(i+1) * jitterBucket
		}
	}
	return time.Duration(h.max.Load())
}

// rtpStats are what the callers of one run heard.
type rtpStats struct {
	jitter      jitterHist
	packets     atomic.Uint64 // RTP packets received
	lost        atomic.Uint64 // sequence numbers skipped
	reordered   atomic.Uint64 // a sequence number at or behind the last one
	talkspurts  atomic.Uint64 // packets with the marker bit: a prompt's start, its interval not counted
	late        atomic.Uint64 // intervals over 40 ms: a packet a whole frame late
	noTimestamp atomic.Uint64 // packets without the kernel's arrival time (user time used)
	// epoch is odd while the bench itself disturbs the server (its forced
	// GCs to read the memory): intervals that touch such a time are not
	// counted (skipped counts them).
	epoch   atomic.Uint64
	skipped atomic.Uint64
}

// pause stops counting intervals until resume.
func (s *rtpStats) pause() { s.epoch.Add(1) }

// resume counts intervals again, from the next packet on.
func (s *rtpStats) resume() { s.epoch.Add(1) }

// callers places the benchmark's calls from one sipgo user agent on
// 127.0.0.1 and sends their RTP from one goroutine.
type callers struct {
	log    *slog.Logger
	ua     *sipgo.UserAgent
	dialog *sipgo.DialogClientCache
	target sip.Uri
	stats  *rtpStats

	mu     sync.Mutex
	active map[*mediaCall]struct{} // the calls the sender sends for
	dialed int                     // calls dialled, which spreads their phases
	stop   context.CancelFunc
	sender sync.WaitGroup
}

// mediaCall is one caller: its dialog, RTP socket and where it sends.
type mediaCall struct {
	d      *sipgo.DialogClientSession
	conn   *net.UDPConn
	remote *net.UDPAddr
	phase  int // the millisecond of each 20 ms its packet leaves in
	seq    uint16
	ts     uint32
	ssrc   uint32
	reader sync.WaitGroup
	heard  atomic.Uint64
}

// newCallers starts a user agent serving the hotline's in-dialog requests
// (its BYE) and the RTP sender.
func newCallers(ctx context.Context, log *slog.Logger, sipAddr string, stats *rtpStats) (*callers, error) {
	edge, err := netip.ParseAddrPort(sipAddr)
	if err != nil {
		return nil, err
	}
	port, err := freeUDPPort()
	if err != nil {
		return nil, err
	}
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("bench-caller"), sipgo.WithUserAgentHostname("127.0.0.1"))
	if err != nil {
		return nil, err
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(quiet))
	if err != nil {
		return nil, errors.Join(err, ua.Close())
	}
	client, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientPort(port), sipgo.WithClientLogger(quiet))
	if err != nil {
		return nil, errors.Join(err, ua.Close())
	}
	c := &callers{log: log, ua: ua, stats: stats, active: map[*mediaCall]struct{}{},
		target: sip.Uri{Scheme: "sip", User: "12345", Host: edge.Addr().String(), Port: int(edge.Port())},
		dialog: sipgo.NewDialogClientCache(client, sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "caller", Host: "127.0.0.1", Port: port}})}
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		if err := c.dialog.ReadBye(req, tx); err != nil {
			c.log.Warn("bench caller: BYE", "err", err)
		}
	})
	srv.OnAck(func(*sip.Request, sip.ServerTransaction) {})
	conn, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return nil, errors.Join(err, ua.Close())
	}
	go func() {
		if err := srv.ServeUDP(conn); err != nil && !errors.Is(err, net.ErrClosed) {
			c.log.Warn("bench callers: SIP", "err", err)
		}
	}()
	sctx, stop := context.WithCancel(ctx)
	c.stop = stop
	c.sender.Go(func() { c.send(sctx) })
	return c, nil
}

// close stops the sender and the user agent.
func (c *callers) close() error {
	c.stop()
	c.sender.Wait()
	return c.ua.Close()
}

// send sends each active call's 20 ms of PCMU silence every 20 ms, each
// call in its own millisecond of the 20, as independent phones would:
// all at once, they would wake the hotline's readers in one burst.
func (c *callers) send(ctx context.Context) {
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	pkt := make([]byte, 12+160)
	for i := 12; i < len(pkt); i++ {
		pkt[i] = 0xff
	}
	pkt[0] = 0x80 // version 2; payload type 0 (PCMU)
	var calls []*mediaCall
	start := time.Now()
	last := -1
	for {
		var now time.Time
		select {
		case <-ctx.Done():
			return
		case now = <-t.C:
		}
		// Every millisecond since the last tick, so that a late tick
		// skips no call.
		ms := int(now.Sub(start) / time.Millisecond)
		if last < 0 {
			last = ms - 1
		}
		c.mu.Lock()
		calls = calls[:0]
		for m := range c.active {
			for k := last + 1; k <= ms; k++ {
				if k%int(frame/time.Millisecond) == m.phase {
					calls = append(calls, m)
				}
			}
		}
		c.mu.Unlock()
		last = ms
		for _, m := range calls {
			binary.BigEndian.PutUint16(pkt[2:], m.seq)
			binary.BigEndian.PutUint32(pkt[4:], m.ts)
			binary.BigEndian.PutUint32(pkt[8:], m.ssrc)
			m.seq++
			m.ts += 160
			_, _ = m.conn.WriteToUDP(pkt, m.remote) // a call hung up meanwhile closed its socket
		}
	}
}

// dial calls the hotline from number and waits for the answer; the call
// starts sending RTP and recording what it hears.
func (c *callers) dial(ctx context.Context, number string) (*mediaCall, error) {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, fmt.Errorf("RTP socket: %w", err)
	}
	if err := kernelTimestamps(conn); err != nil {
		c.log.Warn("bench caller: SO_TIMESTAMPNS", "err", err)
	}
	port := conn.LocalAddr().(*net.UDPAddr).Port
	sdp := fmt.Sprintf("v=0\r\no=- %d 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"+
		"m=audio %d RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=ptime:20\r\na=sendrecv\r\n", port, port)
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: number, Host: "127.0.0.1"}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	ictx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	d, err := c.dialog.Invite(ictx, c.target, []byte(sdp), from, sip.NewHeader("Content-Type", "application/sdp"))
	if err == nil {
		err = d.WaitAnswer(ictx, sipgo.AnswerOptions{})
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("INVITE: %w", err), conn.Close())
	}
	if err := d.Ack(ictx); err != nil {
		return nil, errors.Join(fmt.Errorf("ACK: %w", err), conn.Close())
	}
	remote, err := sdpAudio(d.InviteResponse.Body())
	if err != nil {
		return nil, errors.Join(err, c.bye(d), conn.Close())
	}
	m := &mediaCall{d: d, conn: conn, remote: remote, ssrc: rand.Uint32(), seq: uint16(rand.Uint32())}
	m.reader.Go(func() { m.read(c.stats) })
	c.mu.Lock()
	m.phase = c.dialed % int(frame/time.Millisecond)
	c.dialed++
	c.active[m] = struct{}{}
	c.mu.Unlock()
	return m, nil
}

// key presses digit by SIP INFO.
func (c *callers) key(ctx context.Context, m *mediaCall, digit string) error {
	req := sip.NewRequest(sip.INFO, m.d.InviteRequest.Recipient)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/dtmf-relay"))
	req.SetBody([]byte("Signal=" + digit + "\r\nDuration=160\r\n"))
	ictx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	res, err := m.d.Do(ictx, req)
	if err != nil {
		return fmt.Errorf("INFO: %w", err)
	}
	if res.StatusCode != sip.StatusOK {
		return fmt.Errorf("INFO: %d %s", res.StatusCode, res.Reason)
	}
	return nil
}

// hangUp ends the call (BYE unless the hotline hung up first) and stops
// its RTP.
func (c *callers) hangUp(m *mediaCall) error {
	c.mu.Lock()
	delete(c.active, m)
	c.mu.Unlock()
	var err error
	if m.d.Context().Err() == nil {
		err = c.bye(m.d)
	}
	err = errors.Join(err, m.conn.Close())
	m.reader.Wait()
	return errors.Join(err, m.d.Close())
}

func (c *callers) bye(d *sipgo.DialogClientSession) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.Bye(ctx); err != nil {
		return fmt.Errorf("BYE: %w", err)
	}
	return nil
}

// read reads the hotline's RTP until the socket closes: every packet's
// arrival, sequence number and marker.
func (m *mediaCall) read(st *rtpStats) {
	buf, oob := make([]byte, 1500), make([]byte, 128)
	var track seqTrack
	for {
		n, oobn, _, _, err := m.conn.ReadMsgUDP(buf, oob)
		if err != nil {
			return
		}
		at, ok := arrival(oob[:oobn])
		if !ok {
			at = time.Now()
			st.noTimestamp.Add(1)
		}
		// Only PCMU counts: the hotline sends its RTCP to the port above
		// ours, which may be another caller's.
		if n < 12 || buf[1]&0x7f != 0 {
			continue
		}
		m.heard.Add(1)
		track.packet(st, binary.BigEndian.Uint16(buf[2:]), buf[1]&0x80 != 0, at)
	}
}

// seqTrack follows one RTP stream's sequence numbers and arrivals.
type seqTrack struct {
	started bool
	last    time.Time
	seq     uint16
	epoch   uint64 // rtpStats.epoch at the last packet
}

// packet counts a packet that arrived at at into st: its interval from
// the one before, unless a sequence number was skipped between them or
// it starts a talkspurt (a new prompt), whose distance from the last one
// is the flow's, not the sender's clock.
func (t *seqTrack) packet(st *rtpStats, seq uint16, marker bool, at time.Time) {
	st.packets.Add(1)
	epoch := st.epoch.Load()
	quiet := epoch%2 == 0 && epoch == t.epoch
	t.epoch = epoch
	switch diff := seq - t.seq; {
	case !t.started:
		t.started = true
	case diff == 0 || diff > 0x8000:
		st.reordered.Add(1)
		return
	case diff > 1:
		st.lost.Add(uint64(diff - 1))
	case marker:
		st.talkspurts.Add(1)
	case !quiet:
		st.skipped.Add(1)
	default:
		interval := at.Sub(t.last)
		st.jitter.add(interval)
		if interval > 2*frame {
			st.late.Add(1)
		}
	}
	t.last, t.seq = at, seq
}

// kernelTimestamps asks the kernel to stamp each datagram's arrival.
func kernelTimestamps(conn *net.UDPConn) error {
	raw, err := conn.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_TIMESTAMPNS, 1)
	}); err != nil {
		return err
	}
	return serr
}

// arrival is the kernel's arrival time in a datagram's control messages.
func arrival(oob []byte) (time.Time, bool) {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return time.Time{}, false
	}
	for _, msg := range msgs {
		if msg.Header.Level == syscall.SOL_SOCKET && msg.Header.Type == syscall.SCM_TIMESTAMPNS && len(msg.Data) >= 16 {
			sec, nsec := binary.NativeEndian.Uint64(msg.Data), binary.NativeEndian.Uint64(msg.Data[8:])
			return time.Unix(int64(sec), int64(nsec)), true
		}
	}
	return time.Time{}, false
}

// sdpAudio is where an SDP answer wants its audio: c= and m=audio.
func sdpAudio(body []byte) (*net.UDPAddr, error) {
	var ip net.IP
	port := 0
	for _, line := range strings.Split(string(body), "\n") {
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(line, "c=IN IP4 "); ok {
			ip = net.ParseIP(strings.TrimSpace(v))
		}
		if v, ok := strings.CutPrefix(line, "m=audio "); ok {
			port, _ = strconv.Atoi(strings.Fields(v)[0])
		}
	}
	if ip == nil || port == 0 {
		return nil, fmt.Errorf("SDP answer without an audio address: %q", body)
	}
	return &net.UDPAddr{IP: ip, Port: port}, nil
}

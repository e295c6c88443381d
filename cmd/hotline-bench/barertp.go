package main

// The media benchmark's baseline: a bare Go RTP sender, run as a process
// of its own (hotline-bench -bare-rtp) on the hotline's CPU, pacing each
// stream as diago does (send, then wait for the stream's 20 ms ticker),
// received and timed as the hotline's streams are. Its jitter is the
// floor the machine gives any Go sender of that many streams.

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"
)

// serveBareRTP reads destinations (host:port, one a line, until EOF)
// from stdin, then sends each a 20 ms PCMU packet every 20 ms for d.
func serveBareRTP(ctx context.Context, d time.Duration) error {
	var dests []*net.UDPAddr
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		a, err := net.ResolveUDPAddr("udp", line)
		if err != nil {
			return fmt.Errorf("destination %q: %w", line, err)
		}
		dests = append(dests, a)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, len(dests))
	for i, to := range dests {
		wg.Go(func() { errs[i] = sendStream(ctx, to) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// sendStream sends one stream until ctx ends: write, then wait for the
// ticker, as diago's RTPPacketWriter does.
func sendStream(ctx context.Context, to *net.UDPAddr) error {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return err
	}
	defer conn.Close()
	pkt := make([]byte, 12+160)
	for i := 12; i < len(pkt); i++ {
		pkt[i] = 0xff
	}
	pkt[0] = 0x80
	t := time.NewTicker(frame)
	defer t.Stop()
	for seq, ts := uint16(0), uint32(0); ; seq, ts = seq+1, ts+160 {
		binary.BigEndian.PutUint16(pkt[2:], seq)
		binary.BigEndian.PutUint32(pkt[4:], ts)
		if _, err := conn.WriteToUDP(pkt, to); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// bareRTP runs the bare sender under pin for n streams of d and returns
// what their receivers heard.
func bareRTP(ctx context.Context, pin []string, n int, d time.Duration) (*rtpStats, error) {
	st := &rtpStats{}
	var receivers []*mediaCall
	defer func() {
		for _, m := range receivers {
			_ = m.conn.Close()
			m.reader.Wait()
		}
	}()
	var dests strings.Builder
	for range n {
		conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			return nil, err
		}
		m := &mediaCall{conn: conn}
		receivers = append(receivers, m)
		if err := kernelTimestamps(conn); err != nil {
			return nil, err
		}
		m.reader.Go(func() { m.read(st) })
		fmt.Fprintln(&dests, conn.LocalAddr())
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := pinned(pin, self, "-bare-rtp", d.String())
	cmd.Stdin, cmd.Stderr = strings.NewReader(dests.String()), os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the bare RTP sender: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		err = errors.Join(ctx.Err(), cmd.Process.Kill(), <-done)
	}
	if err != nil {
		return nil, fmt.Errorf("bare RTP sender: %w", err)
	}
	return st, sleep(ctx, 100*time.Millisecond) // the last packets read
}

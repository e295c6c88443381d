package dtmf

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
)

// fuzzRecord is the size of one packet in FuzzDecoder's input: flags (bit 7
// the marker, bit 0 the payload type: 101 or 0), a timestamp byte, which
// keeps collisions likely, a payload length and 4 payload bytes.
const fuzzRecord = 7

func fuzzPackets(data []byte) []Packet {
	var ps []Packet
	for ; len(data) >= fuzzRecord; data = data[fuzzRecord:] {
		p := Packet{
			Marker:    data[0]&0x80 != 0,
			Timestamp: 0xffffc000 + uint32(data[1])*160, // wraps at byte 103
			Payload:   data[3 : 3+min(int(data[2]), 4)],
		}
		if data[0]&1 == 0 {
			p.PayloadType = pt
		}
		ps = append(ps, p)
	}
	return ps
}

// fuzzSeed encodes packets as FuzzDecoder input; timestamps are ranked.
func fuzzSeed(packets []Packet) []byte {
	var out []byte
	rank := map[uint32]byte{}
	for _, p := range packets {
		if _, ok := rank[p.Timestamp]; !ok {
			rank[p.Timestamp] = byte(len(rank) * 7)
		}
		flags := byte(0)
		if p.Marker {
			flags |= 0x80
		}
		if p.PayloadType != pt {
			flags |= 1
		}
		payload := make([]byte, 4)
		n := copy(payload, p.Payload)
		out = append(out, flags, rank[p.Timestamp], byte(n))
		out = append(out, payload...)
	}
	return out
}

// FuzzDecoder feeds packet streams: the decoder never panics, never gives a
// digit for a timestamp among the last 16 events it saw, nor one for other
// payload types, events 16-255 or short payloads.
func FuzzDecoder(f *testing.F) {
	matches, err := filepath.Glob(filepath.Join(pcapDir, "*.pcap"))
	if err != nil {
		f.Fatal(err)
	}
	var all []Packet
	for _, path := range matches {
		ps, err := readPcap(path)
		if err != nil {
			f.Fatal(err)
		}
		if len(ps) > 40 {
			ps = ps[:40]
		}
		f.Add(fuzzSeed(ps))
		all = append(all, ps...)
	}
	f.Add(fuzzSeed(all))
	f.Add(fuzzSeed(concat(press(100, 1), press(100+0xffff, 1), press(500, 16))))
	f.Fuzz(func(t *testing.T, data []byte) {
		d := NewDecoder(pt)
		var window []uint32 // the last events' timestamps, as the decoder keeps them
		for _, p := range fuzzPackets(data) {
			inWindow := slices.Contains(window, p.Timestamp)
			digit, ok, err := d.Decode(p)
			if err == nil && p.PayloadType == pt && !inWindow {
				window = append(window, p.Timestamp)
				window = window[max(0, len(window)-recent):]
			}
			if err != nil {
				if p.PayloadType != pt || len(p.Payload) >= 4 {
					t.Fatalf("%+v: unexpected error %v", p, err)
				}
				continue
			}
			if !ok {
				continue
			}
			if p.PayloadType != pt || p.Payload[0] > 15 {
				t.Fatalf("%+v: digit %q from a packet that is not a key", p, digit)
			}
			if inWindow {
				t.Fatalf("%+v: second digit for timestamp %d", p, p.Timestamp)
			}
		}
	})
}

// FuzzParseInfo: the parser never panics, only returns keys, and reads
// back what it accepted.
func FuzzParseInfo(f *testing.F) {
	matches, err := filepath.Glob(filepath.Join(pcapDir, "dtmf_2833_*.pcap"))
	if err != nil {
		f.Fatal(err)
	}
	for _, path := range matches {
		ps, err := readPcap(path)
		if err != nil {
			f.Fatal(err)
		}
		last := ps[len(ps)-1].Payload
		digit, _ := Digit(last[0])
		ms := (int(last[2])<<8 | int(last[3])) / 8
		f.Add(ContentTypeRelay, fmt.Appendf(nil, "Signal=%c\r\nDuration=%d\r\n", digit, ms))
		f.Add(ContentTypeDTMF, fmt.Appendf(nil, "%c", digit))
	}
	f.Add("application/dtmf-relay; x=y", []byte("signal = 10\nduration=0"))
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		info, err := ParseInfo(contentType, body)
		if err != nil {
			return
		}
		if _, ok := Code(info.Digit); !ok || info.Duration < 0 || info.Duration > maxInfoDuration {
			t.Fatalf("%q %q: accepted %+v", contentType, body, info)
		}
		again, err := ParseInfo(ContentTypeRelay, fmt.Appendf(nil, "Signal=%c\r\nDuration=%d", info.Digit, info.Duration.Milliseconds()))
		if err != nil || again != info {
			t.Fatalf("%+v does not read back: %+v, %v", info, again, err)
		}
	})
}

// Package dtmf decodes DTMF digits from RFC 4733 telephone-event RTP packets
// and from SIP INFO bodies (application/dtmf-relay, application/dtmf).
//
// It is pure: the caller reads RTP and SIP and hands the packets and bodies
// over, so the IVR sees each key press exactly once whatever the phone sends.
package dtmf

import "fmt"

// Packet is the part of one RTP packet the decoder needs, as an RTP reader
// (diago's, pion/rtp's) gives it.
type Packet struct {
	PayloadType    uint8
	SequenceNumber uint16
	Timestamp      uint32
	Marker         bool
	Payload        []byte
}

// eventLen is the size of one telephone-event payload (RFC 4733 §2.3).
const eventLen = 4

// recent is how many event timestamps a Decoder remembers. Retransmitted
// end packets and late, reordered packets come within a digit or two of
// their own; a phone cannot send enough digits to push one out before they
// arrive.
const recent = 16

// Decoder turns the telephone-event packets of one RTP stream into digits,
// each exactly once. It keys events by RTP timestamp (RFC 4733 §2.5.2.1), so
// an event counts from whichever of its packets arrives first: the first
// one even with duration 0, a later update when the first is lost, or one
// of the retransmitted end packets. A Decoder is not safe for concurrent
// use; a stream has one reader.
type Decoder struct {
	payloadType uint8
	seen        [recent]uint32 // timestamps of recent events, a ring
	n           int            // entries of seen in use
	next        int            // where the next timestamp goes in seen

	// The newest event, to join the segments of a key held longer than the
	// 16-bit duration field can say (RFC 4733 §2.5.1.3).
	last      uint32
	lastCode  uint8
	lastDur   uint16
	lastEnded bool
}

// NewDecoder returns a decoder for the telephone-event payload type the SDP
// negotiated (often 101).
func NewDecoder(payloadType uint8) *Decoder {
	return &Decoder{payloadType: payloadType}
}

// Decode reads one packet. It returns the digit (0-9, *, #, A-D) and true
// when the packet starts a new event; false for packets of other payload
// types, further packets of an event already seen, and events that are not
// digits (codes 16-255: flash, modem and call-progress tones). A payload
// shorter than an event is an error.
func (d *Decoder) Decode(p Packet) (rune, bool, error) {
	if p.PayloadType != d.payloadType {
		return 0, false, nil
	}
	if len(p.Payload) < eventLen {
		return 0, false, fmt.Errorf("dtmf: telephone-event payload of %d bytes, want %d", len(p.Payload), eventLen)
	}
	code := p.Payload[0]
	ended := p.Payload[1]&0x80 != 0
	dur := uint16(p.Payload[2])<<8 | uint16(p.Payload[3])

	if d.remembers(p.Timestamp) {
		if p.Timestamp == d.last {
			d.lastDur = max(d.lastDur, dur)
			d.lastEnded = d.lastEnded || ended
		}
		return 0, false, nil
	}
	continues := d.n > 0 && !p.Marker && code == d.lastCode && !d.lastEnded &&
		p.Timestamp-d.last <= uint32(d.lastDur)
	d.remember(p.Timestamp, code, dur, ended)
	if continues {
		return 0, false, nil
	}
	digit, ok := Digit(code)
	return digit, ok, nil
}

func (d *Decoder) remembers(ts uint32) bool {
	for i := range d.n {
		if d.seen[i] == ts {
			return true
		}
	}
	return false
}

func (d *Decoder) remember(ts uint32, code uint8, dur uint16, ended bool) {
	d.seen[d.next] = ts
	d.next = (d.next + 1) % recent
	d.n = min(d.n+1, recent)
	d.last, d.lastCode, d.lastDur, d.lastEnded = ts, code, dur, ended
}

// digits maps event codes 0-15 to their keys (RFC 4733 §3.2).
const digits = "0123456789*#ABCD"

// Digit returns the key of a DTMF event code and whether it is one.
func Digit(code uint8) (rune, bool) {
	if int(code) >= len(digits) {
		return 0, false
	}
	return rune(digits[code]), true
}

// Code returns the event code of a key (0-9, *, #, A-D, also a-d) and
// whether it is one.
func Code(digit rune) (uint8, bool) {
	if digit >= 'a' && digit <= 'd' {
		digit -= 'a' - 'A'
	}
	for i, c := range digits {
		if c == digit {
			return uint8(i), true
		}
	}
	return 0, false
}

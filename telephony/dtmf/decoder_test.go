package dtmf

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

const pt = 101

// ev is a telephone-event packet of payload type pt.
func ev(ts uint32, code uint8, end bool, dur uint16, marker bool) Packet {
	flags := byte(10) // volume -10 dBm0
	if end {
		flags |= 0x80
	}
	return Packet{
		PayloadType: pt,
		Timestamp:   ts,
		Marker:      marker,
		Payload:     []byte{code, flags, byte(dur >> 8), byte(dur)},
	}
}

// press is what a phone sends for one key: a first packet with duration 0
// and the marker, updates every 20 ms, and the end packet three times.
func press(ts uint32, code uint8) []Packet {
	ps := []Packet{ev(ts, code, false, 0, true)}
	for dur := uint16(160); dur < 800; dur += 160 {
		ps = append(ps, ev(ts, code, false, dur, false))
	}
	for range 3 {
		ps = append(ps, ev(ts, code, true, 800, false))
	}
	return ps
}

func decodeAll(t *testing.T, d *Decoder, packets []Packet) string {
	t.Helper()
	var got []rune
	for i, p := range packets {
		digit, ok, err := d.Decode(p)
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		if ok {
			got = append(got, digit)
		}
	}
	return string(got)
}

func concat(groups ...[]Packet) []Packet {
	var all []Packet
	for _, g := range groups {
		all = append(all, g...)
	}
	return all
}

func TestDecoder_Decode(t *testing.T) {
	five := press(1000, 5)
	long := concat(
		[]Packet{ev(5000, 1, false, 0, true), ev(5000, 1, false, 0xffff, false)},
		[]Packet{ev(5000+0xffff, 1, false, 160, false), ev(5000+0xffff, 1, true, 320, false)},
	)
	tests := []struct {
		name    string
		packets []Packet
		want    string
	}{
		{"FirstPacketWithDurationZeroCounts", five[:1], "5"},
		{"RetransmittedEndAndUpdatesDoNotRepeat", five, "5"},
		{"LostFirstPacketsStillCountOnce", five[3:], "5"},
		{"OnlyAnEndPacketArrives", five[len(five)-1:], "5"},
		{"ReorderedWithinADigit", []Packet{five[2], five[0], five[6], five[1], five[5]}, "5"},
		{"SameKeyTwiceIsTwoDigits", concat(press(1000, 5), press(3000, 5)), "55"},
		{"SameKeyTwiceWithoutMarkersOrEnds", []Packet{ev(1000, 5, false, 320, false), ev(3000, 5, false, 320, false)}, "55"},
		{"LatePacketOfThePreviousDigit", concat(press(1000, 1), press(3000, 2)[:2], five[4:5], press(3000, 2)[2:]), "12"},
		{"TimestampWrapsAround", concat(press(0xffffff00, 1), press(0x00000040, 1), press(0x00000900, 2)), "112"},
		{"AllKeys", concat(
			press(100, 0), press(1100, 1), press(2100, 2), press(3100, 3), press(4100, 4), press(5100, 5),
			press(6100, 6), press(7100, 7), press(8100, 8), press(9100, 9), press(10100, 10), press(11100, 11),
			press(12100, 12), press(13100, 13), press(14100, 14), press(15100, 15)), "0123456789*#ABCD"},
		{"FlashAndTonesAreIgnored", concat(press(100, 16), press(1100, 3), press(2100, 255), press(3100, 70)), "3"},
		{"OtherPayloadTypesAreIgnored", []Packet{{PayloadType: 0, Timestamp: 7, Payload: []byte{5, 0, 0, 0}}, {PayloadType: 8}}, ""},
		{"LongKeyPressSegmentsAreOneDigit", long, "1"},
		{"NewDigitRightAfterAnEndedOne", concat(press(1000, 4), []Packet{ev(1800, 4, false, 0, false)}), "44"},
		{"OlderEventsStayRemembered", concat(press(100, 1), press(1100, 2), press(2100, 3), press(100, 1)[8:]), "123"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := decodeAll(t, NewDecoder(pt), tt.packets); got != tt.want {
				t.Errorf("digits %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDecoder_Decode_ShortPayloadIsAnError(t *testing.T) {
	d := NewDecoder(pt)
	for _, payload := range [][]byte{nil, {5}, {5, 0, 0}} {
		if _, ok, err := d.Decode(Packet{PayloadType: pt, Payload: payload}); err == nil || ok {
			t.Errorf("payload %x: ok %v, err %v; want an error", payload, ok, err)
		}
	}
	if got := decodeAll(t, d, press(1, 9)); got != "9" {
		t.Errorf("after bad packets: digits %q, want %q", got, "9")
	}
}

func TestCode(t *testing.T) {
	for _, c := range "0123456789*#ABCD" {
		code, ok := Code(c)
		back, okBack := Digit(code)
		if !ok || !okBack || back != c {
			t.Errorf("%c: code %d (%v), back %c (%v)", c, code, ok, back, okBack)
		}
	}
	if code, ok := Code('a'); !ok || code != 12 {
		t.Errorf("a: code %d (%v), want 12", code, ok)
	}
	for _, c := range "EeX \x00" {
		if _, ok := Code(c); ok {
			t.Errorf("%q is a key", c)
		}
	}
}

// encodeLossy is what a phone sends for keys on a lossy network: every
// packet but the end packets may be lost or duplicated and neighbours
// swap; the three end packets may be duplicated but one always arrives.
func encodeLossy(r *rand.Rand, keys string, start uint32) []Packet {
	var out []Packet
	ts := start
	for _, k := range keys {
		code, _ := Code(k)
		ps := press(ts, code)
		var sent []Packet
		for i, p := range ps {
			final := i >= len(ps)-3
			switch n := r.IntN(10); {
			case n < 3 && !final:
				continue // lost
			case n < 5:
				sent = append(sent, p, p)
			default:
				sent = append(sent, p)
			}
		}
		if len(sent) > 1 && r.IntN(2) == 0 {
			i := r.IntN(len(sent) - 1)
			sent[i], sent[i+1] = sent[i+1], sent[i]
		}
		out = append(out, sent...)
		ts += 800 + 160*uint32(r.IntN(20)) // key down and the pause after
	}
	return out
}

func TestDecoder_Decode_LossyStreamsDecodeToTheirKeys(t *testing.T) {
	const keys = "0123456789*#ABCD"
	for seed := range uint64(500) {
		r := rand.New(rand.NewPCG(seed, 12345))
		want := make([]byte, 1+r.IntN(12))
		for i := range want {
			want[i] = keys[r.IntN(len(keys))]
		}
		start := r.Uint32()
		if seed%2 == 0 {
			start = ^uint32(0) - uint32(r.IntN(4000)) // wraps within the sequence
		}
		got := decodeAll(t, NewDecoder(pt), encodeLossy(r, string(want), start))
		if got != string(want) {
			t.Fatalf("seed %d, start %d: digits %q, want %q", seed, start, got, want)
		}
	}
}

func ExampleDecoder_Decode() {
	d := NewDecoder(101)
	for _, p := range []Packet{
		{PayloadType: 101, Timestamp: 160, Marker: true, Payload: []byte{5, 0x0a, 0, 0}},
		{PayloadType: 101, Timestamp: 160, Payload: []byte{5, 0x0a, 0x01, 0x40}},
		{PayloadType: 101, Timestamp: 160, Payload: []byte{5, 0x8a, 0x02, 0x80}},
		{PayloadType: 101, Timestamp: 160, Payload: []byte{5, 0x8a, 0x02, 0x80}},
	} {
		digit, ok, err := d.Decode(p)
		if err != nil {
			fmt.Println(err)
		}
		if ok {
			fmt.Printf("%c\n", digit)
		}
	}
	// Output: 5
}

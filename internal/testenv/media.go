package testenv

import (
	"encoding/binary"
	"math"
	"net"
	"testing"
)

// WAV wraps PCM samples in a WAV header of the given format (1: PCM),
// channels, sample rate and bits per sample.
func WAV(format, channels uint16, rate uint32, bits uint16, data []byte) []byte {
	le := binary.LittleEndian
	b := le.AppendUint32([]byte("RIFF"), uint32(36+len(data)))
	b = append(b, "WAVEfmt "...)
	b = le.AppendUint32(b, 16)
	b = le.AppendUint16(b, format)
	b = le.AppendUint16(b, channels)
	b = le.AppendUint32(b, rate)
	b = le.AppendUint32(b, rate*uint32(channels)*uint32(bits)/8)
	b = le.AppendUint16(b, channels*bits/8)
	b = le.AppendUint16(b, bits)
	b = le.AppendUint32(append(b, "data"...), uint32(len(data)))
	return append(b, data...)
}

// Sine is n 16-bit samples of a sine at hz and amp, sampled at rate.
func Sine(n, hz, amp int, rate uint32) []byte {
	pcm := make([]byte, 0, 2*n)
	for i := range n {
		v := float64(amp) * math.Sin(2*math.Pi*float64(hz)*float64(i)/float64(rate))
		pcm = binary.LittleEndian.AppendUint16(pcm, uint16(int16(v)))
	}
	return pcm
}

// FreeUDPPort is a UDP port free on loopback now, for a peer that takes
// its port as a flag (sipp's media).
func FreeUDPPort(t testing.TB) int {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	port := c.LocalAddr().(*net.UDPAddr).Port
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	return port
}

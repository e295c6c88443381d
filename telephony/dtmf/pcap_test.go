package dtmf

import (
	"encoding/binary"
	"fmt"
	"os"
)

// The sipp packaging's captures: one RFC 4733 digit per dtmf_2833_*.pcap,
// each starting with a duration-0 packet, and G.711 audio in g711a.pcap.
const pcapDir = "/usr/share/sip-tester"

// readPcap returns the RTP packets of a classic little- or big-endian,
// microsecond pcap file of Ethernet frames carrying IPv4/UDP. Frames that
// are not IPv4/UDP/RTP are skipped.
func readPcap(path string) ([]Packet, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read pcap: %w", err)
	}
	if len(data) < 24 {
		return nil, fmt.Errorf("pcap %s: short global header", path)
	}
	var order binary.ByteOrder
	switch binary.LittleEndian.Uint32(data) {
	case 0xa1b2c3d4:
		order = binary.LittleEndian
	case 0xd4c3b2a1:
		order = binary.BigEndian
	default:
		return nil, fmt.Errorf("pcap %s: unknown magic %x", path, data[:4])
	}
	if link := order.Uint32(data[20:]); link != 1 {
		return nil, fmt.Errorf("pcap %s: link type %d, want Ethernet (1)", path, link)
	}
	var packets []Packet
	for rest := data[24:]; len(rest) > 0; {
		if len(rest) < 16 {
			return nil, fmt.Errorf("pcap %s: short record header", path)
		}
		n := int(order.Uint32(rest[8:]))
		if n > len(rest)-16 {
			return nil, fmt.Errorf("pcap %s: record of %d bytes past the end", path, n)
		}
		frame := rest[16 : 16+n]
		rest = rest[16+n:]
		if p, ok := rtpOfFrame(frame); ok {
			packets = append(packets, p)
		}
	}
	return packets, nil
}

// rtpOfFrame parses Ethernet, IPv4, UDP and RTP (version 2, with CSRCs,
// extension and padding) headers.
func rtpOfFrame(f []byte) (Packet, bool) {
	if len(f) < 14 || binary.BigEndian.Uint16(f[12:]) != 0x0800 {
		return Packet{}, false
	}
	ip := f[14:]
	if len(ip) < 20 || ip[0]>>4 != 4 || ip[9] != 17 {
		return Packet{}, false
	}
	ihl := int(ip[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(ip[2:]))
	if ihl < 20 || total < ihl+8 || total > len(ip) {
		return Packet{}, false
	}
	udp := ip[ihl:total]
	udpLen := int(binary.BigEndian.Uint16(udp[4:]))
	if udpLen < 8 || udpLen > len(udp) {
		return Packet{}, false
	}
	r := udp[8:udpLen]
	if len(r) < 12 || r[0]>>6 != 2 {
		return Packet{}, false
	}
	head := 12 + 4*int(r[0]&0x0f)
	if r[0]&0x10 != 0 {
		if len(r) < head+4 {
			return Packet{}, false
		}
		head += 4 + 4*int(binary.BigEndian.Uint16(r[head+2:]))
	}
	end := len(r)
	if r[0]&0x20 != 0 && end > 0 {
		end -= int(r[end-1])
	}
	if head > end {
		return Packet{}, false
	}
	return Packet{
		PayloadType:    r[1] & 0x7f,
		Marker:         r[1]&0x80 != 0,
		SequenceNumber: binary.BigEndian.Uint16(r[2:]),
		Timestamp:      binary.BigEndian.Uint32(r[4:]),
		Payload:        r[head:end],
	}, true
}

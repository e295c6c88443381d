package dtmf

import (
	"path/filepath"
	"strings"
	"testing"
)

// pcapKeys maps the sipp captures' names to the key each holds.
var pcapKeys = map[string]string{
	"dtmf_2833_0.pcap": "0", "dtmf_2833_1.pcap": "1", "dtmf_2833_2.pcap": "2",
	"dtmf_2833_3.pcap": "3", "dtmf_2833_4.pcap": "4", "dtmf_2833_5.pcap": "5",
	"dtmf_2833_6.pcap": "6", "dtmf_2833_7.pcap": "7", "dtmf_2833_8.pcap": "8",
	"dtmf_2833_9.pcap": "9", "dtmf_2833_pound.pcap": "#", "dtmf_2833_star.pcap": "*",
	"g711a.pcap": "", // audio only
}

// sippCaptures returns the paths of the sipp captures. Their absence fails
// the test (skipping only under -short): services.sh test-tools installs them.
func sippCaptures(t testing.TB) []string {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(pcapDir, "*.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	if len(matches) == 0 {
		if testing.Short() {
			t.Skipf("no sipp captures in %s; skipped under -short", pcapDir)
		}
		t.Fatalf("no sipp captures in %s: install sip-tester (bash deploy/local/services.sh test-tools)", pcapDir)
	}
	return matches
}

// capture returns the RTP packets of one sipp capture.
func capture(t testing.TB, name string) []Packet {
	t.Helper()
	packets, err := readPcap(filepath.Join(pcapDir, name))
	if err != nil {
		t.Fatal(err)
	}
	if len(packets) == 0 {
		t.Fatalf("%s: no RTP packets", name)
	}
	return packets
}

func TestDecoder_Decode_SippCaptures(t *testing.T) {
	for _, path := range sippCaptures(t) {
		name := filepath.Base(path)
		want, known := pcapKeys[name]
		if !known {
			t.Errorf("%s: a capture this test does not know; add it to pcapKeys", name)
			continue
		}
		t.Run(strings.TrimSuffix(name, ".pcap"), func(t *testing.T) {
			packets := capture(t, name)
			if want != "" && packets[0].Payload[2]|packets[0].Payload[3] != 0 {
				t.Fatalf("first packet has duration %x, the capture should start with 0", packets[0].Payload[2:4])
			}
			if got := decodeAll(t, NewDecoder(pt), packets); got != want {
				t.Errorf("digits %q, want %q", got, want)
			}
			if want == "" {
				return
			}
			if got := decodeAll(t, NewDecoder(pt), packets[1:]); got != want {
				t.Errorf("without the duration-0 packet: digits %q, want %q", got, want)
			}
			if got := decodeAll(t, NewDecoder(pt), packets[len(packets)-1:]); got != want {
				t.Errorf("only the last end packet: digits %q, want %q", got, want)
			}
		})
	}
}

func TestDecoder_Decode_SippCapturesInARow(t *testing.T) {
	sippCaptures(t)
	names := []string{"dtmf_2833_1.pcap", "dtmf_2833_2.pcap", "dtmf_2833_3.pcap", "dtmf_2833_4.pcap", "dtmf_2833_5.pcap", "dtmf_2833_pound.pcap"}
	var packets []Packet
	for _, name := range names {
		packets = append(packets, capture(t, name)...)
	}
	if got := decodeAll(t, NewDecoder(pt), packets); got != "12345#" {
		t.Errorf("digits %q, want %q", got, "12345#")
	}
}

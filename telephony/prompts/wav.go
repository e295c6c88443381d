package prompts

import (
	"encoding/binary"
	"fmt"
)

// The format every prompt has: what the IVR sends as G.711 without
// resampling.
const (
	SampleRate = 8000
	Channels   = 1
	Bits       = 16
)

// MaxSize bounds a prompt file: about 4 minutes of audio.
const MaxSize = 4 << 20

// parseWAV checks that data is a RIFF/WAVE file of PCM in the prompts'
// format and returns its samples.
func parseWAV(data []byte) ([]byte, error) {
	if len(data) < 12 || string(data[:4]) != "RIFF" || string(data[8:12]) != "WAVE" {
		return nil, fmt.Errorf("not a WAV file (no RIFF/WAVE header)")
	}
	var haveFormat bool
	for rest := data[12:]; len(rest) > 0; {
		if len(rest) < 8 {
			return nil, fmt.Errorf("WAV chunk header cut short")
		}
		id, size := string(rest[:4]), binary.LittleEndian.Uint32(rest[4:])
		if uint64(size) > uint64(len(rest)-8) {
			return nil, fmt.Errorf("WAV %q chunk of %d bytes runs past the end of the file", id, size)
		}
		body := rest[8 : 8+size]
		rest = rest[8+size:]
		if size%2 == 1 && len(rest) > 0 {
			rest = rest[1:] // chunks are padded to even sizes
		}
		switch id {
		case "fmt ":
			if err := checkFormat(body); err != nil {
				return nil, err
			}
			haveFormat = true
		case "data":
			if !haveFormat {
				return nil, fmt.Errorf("WAV data chunk before the fmt chunk")
			}
			if len(body) < 2 || len(body)%2 != 0 {
				return nil, fmt.Errorf("WAV data chunk of %d bytes is not whole 16-bit samples", len(body))
			}
			return body, nil
		}
	}
	return nil, fmt.Errorf("WAV file has no data chunk")
}

func checkFormat(fmtChunk []byte) error {
	if len(fmtChunk) < 16 {
		return fmt.Errorf("WAV fmt chunk of %d bytes, want at least 16", len(fmtChunk))
	}
	format := binary.LittleEndian.Uint16(fmtChunk)
	channels := binary.LittleEndian.Uint16(fmtChunk[2:])
	rate := binary.LittleEndian.Uint32(fmtChunk[4:])
	bits := binary.LittleEndian.Uint16(fmtChunk[14:])
	if format != 1 || channels != Channels || rate != SampleRate || bits != Bits {
		return fmt.Errorf("WAV is format %d, %d channel(s), %d Hz, %d-bit; want PCM (1), mono, %d Hz, %d-bit (sox in.wav -r 8000 -c 1 -b 16 out.wav)",
			format, channels, rate, bits, SampleRate, Bits)
	}
	return nil
}

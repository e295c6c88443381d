package sip

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"
)

// maxLag is how far, in bytes of 16-bit PCM, one channel may run ahead
// of the other before the late one is filled with silence (200 ms).
const maxLag = 2 * 1600

// stereoWAV records a call as a 8 kHz 16-bit stereo WAV: the caller left,
// the agent right. Channels arrive as 20 ms frames from two goroutines
// and are interleaved as both have samples.
type stereoWAV struct {
	mu          sync.Mutex
	f           *os.File
	left, right []byte // PCM not written yet
	data        int    // bytes of samples written
	err         error  // the first write error
}

func createStereoWAV(path string) (*stereoWAV, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create recording: %w", err)
	}
	w := &stereoWAV{f: f}
	if _, err := f.Write(wavHeader(2, 0)); err != nil {
		return nil, errors.Join(fmt.Errorf("write recording: %w", err), f.Close(), os.Remove(path))
	}
	return w, nil
}

// Left takes the caller's PCM (little-endian 16-bit).
func (w *stereoWAV) Left(pcm []byte) { w.push(&w.left, &w.right, pcm) }

// Right takes the agent's PCM.
func (w *stereoWAV) Right(pcm []byte) { w.push(&w.right, &w.left, pcm) }

func (w *stereoWAV) push(mine, other *[]byte, pcm []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	*mine = append(*mine, pcm...)
	if lag := len(*mine) - len(*other); lag > maxLag {
		*other = append(*other, make([]byte, lag)...)
	}
	w.flush()
}

// flush writes the samples both channels have; under mu.
func (w *stereoWAV) flush() {
	n := min(len(w.left), len(w.right)) &^ 1
	if n == 0 || w.err != nil {
		return
	}
	out := make([]byte, 0, 2*n)
	for i := 0; i < n; i += 2 {
		out = append(out, w.left[i], w.left[i+1], w.right[i], w.right[i+1])
	}
	if _, err := w.f.Write(out); err != nil {
		w.err = fmt.Errorf("write recording: %w", err)
	}
	w.data += len(out)
	w.left, w.right = w.left[n:], w.right[n:]
}

// Close pads the shorter channel, writes the sizes into the header and
// closes the file.
func (w *stereoWAV) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if d := len(w.left) - len(w.right); d > 0 {
		w.right = append(w.right, make([]byte, d)...)
	} else {
		w.left = append(w.left, make([]byte, -d)...)
	}
	w.flush()
	err := w.err
	if err == nil {
		if _, werr := w.f.WriteAt(wavHeader(2, w.data), 0); werr != nil {
			err = fmt.Errorf("write recording header: %w", werr)
		}
	}
	return errors.Join(err, w.f.Close())
}

// monoWAV records one side, the caller's voicemail, as an 8 kHz 16-bit
// mono WAV. Only the caller's RTP reader writes to it, until Close.
type monoWAV struct {
	f    *os.File
	data int   // bytes of samples written
	err  error // the first write error
}

func createMonoWAV(path string) (*monoWAV, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create voicemail: %w", err)
	}
	if _, err := f.Write(wavHeader(1, 0)); err != nil {
		return nil, errors.Join(fmt.Errorf("write voicemail: %w", err), f.Close(), os.Remove(path))
	}
	return &monoWAV{f: f}, nil
}

// Write appends PCM (little-endian 16-bit).
func (w *monoWAV) Write(pcm []byte) {
	if w.err != nil {
		return
	}
	n, err := w.f.Write(pcm)
	w.data += n
	if err != nil {
		w.err = fmt.Errorf("write voicemail: %w", err)
	}
}

// Seconds is how long the recording is so far.
func (w *monoWAV) Seconds() int { return w.data / 16000 }

// Close writes the size into the header and closes the file.
func (w *monoWAV) Close() error {
	err := w.err
	if err == nil {
		if _, werr := w.f.WriteAt(wavHeader(1, w.data), 0); werr != nil {
			err = fmt.Errorf("write voicemail header: %w", werr)
		}
	}
	return errors.Join(err, w.f.Close())
}

// wavHeader is the 44-byte header of 8 kHz 16-bit PCM in channels (1 or
// 2) with data bytes of samples.
func wavHeader(channels, data int) []byte {
	h := make([]byte, 44)
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], uint32(36+data))
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], 1) // PCM
	binary.LittleEndian.PutUint16(h[22:], uint16(channels))
	binary.LittleEndian.PutUint32(h[24:], 8000)
	binary.LittleEndian.PutUint32(h[28:], uint32(8000*2*channels))
	binary.LittleEndian.PutUint16(h[32:], uint16(2*channels))
	binary.LittleEndian.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], uint32(data))
	return h
}

package prompts

import (
	"bytes"
	"encoding/binary"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/internal/testenv"
)

// rms is the root mean square of 16-bit little-endian samples, in dBFS.
func rms(pcm []byte) float64 {
	if len(pcm) < 2 {
		return math.Inf(-1)
	}
	var sum float64
	for i := 0; i+1 < len(pcm); i += 2 {
		s := float64(int16(binary.LittleEndian.Uint16(pcm[i:])))
		sum += s * s
	}
	return 20 * math.Log10(math.Sqrt(sum/float64(len(pcm)/2))/32768)
}

func TestBuiltin_EveryPromptIsPlayable(t *testing.T) {
	lib := New("", slog.New(slog.DiscardHandler))
	var total int
	for _, name := range Names() {
		p, err := lib.Open(name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		total += len(p.WAV)
		if p.Path != "" {
			t.Errorf("%s: from %s, want the built-in prompt", name, p.Path)
		}
		if level := rms(p.PCM); level < -30 {
			t.Errorf("%s: RMS %.1f dBFS, want speech or music above -30", name, level)
		}
		if secs := float64(len(p.PCM)) / (2 * SampleRate); secs < 0.2 || secs > 30 {
			t.Errorf("%s: %.1f s long", name, secs)
		}
	}
	if total > 3<<20 { // about 40 prompts and 30 s of music, embedded in the binary
		t.Errorf("built-in prompts take %d bytes, want under 3 MiB", total)
	}
}

func TestBuiltin_NoStrayFiles(t *testing.T) {
	files, err := fs.Glob(builtin, "wav/*")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if name := strings.TrimSuffix(filepath.Base(f), ".wav"); !slices.Contains(Names(), name) {
			t.Errorf("%s is embedded but is no prompt in Names", f)
		}
	}
}

func TestLibrary_Open_UnknownName(t *testing.T) {
	lib := New(t.TempDir(), slog.New(slog.DiscardHandler))
	for _, name := range []string{"", "nope", "../prompts/welcome", Digit(10), "wav/welcome"} {
		if _, err := lib.Open(name); errs.CodeOf(err) != errs.NotFound {
			t.Errorf("%q: %v, want not_found", name, err)
		}
	}
}

// wav builds a WAV file of a 400 Hz tone.
func wav(format, channels uint16, rate uint32, bits uint16, seconds float64) []byte {
	return testenv.WAV(format, channels, rate, bits, testenv.Sine(int(float64(rate)*seconds)*int(channels), 400, 8000, rate))
}

func writeOverride(t *testing.T, dataDir, name string, data []byte) string {
	t.Helper()
	dir := filepath.Join(dataDir, "prompts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name+".wav")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLibrary_Open_OperatorRecordingWins(t *testing.T) {
	dataDir := t.TempDir()
	recording := wav(1, 1, 8000, 16, 0.5)
	path := writeOverride(t, dataDir, Welcome, recording)
	var logs bytes.Buffer
	lib := New(dataDir, slog.New(slog.NewTextHandler(&logs, nil)))

	p, err := lib.Open(Welcome)
	if err != nil {
		t.Fatal(err)
	}
	if p.Path != path || !bytes.Equal(p.WAV, recording) || len(p.PCM) != 8000 {
		t.Errorf("got %s (%d bytes, %d of PCM), want the recording %s", p.Path, len(p.WAV), len(p.PCM), path)
	}
	if other, err := lib.Open(Menu); err != nil || other.Path != "" {
		t.Errorf("menu without a recording: %v, %v; want the built-in prompt", other, err)
	}
	if logs.Len() != 0 {
		t.Errorf("logged %q, want nothing", logs.String())
	}
}

func TestLibrary_Open_BrokenRecordingFallsBack(t *testing.T) {
	good := wav(1, 1, 8000, 16, 0.1)
	truncated := slices.Clone(good[:len(good)-10])
	tests := []struct {
		name string
		data []byte
		want string // in the logged reason
	}{
		{"NotWAV", []byte("ID3\x04 an mp3"), "not a WAV file"},
		{"Empty", nil, "not a WAV file"},
		{"Stereo", wav(1, 2, 8000, 16, 0.1), "2 channel(s)"},
		{"Wideband", wav(1, 1, 16000, 16, 0.1), "16000 Hz"},
		{"EightBit", wav(1, 1, 8000, 8, 0.1), "8-bit"},
		{"ALaw", wav(6, 1, 8000, 16, 0.1), "format 6"},
		{"Truncated", truncated, "runs past the end"},
		{"NoSamples", good[:44-8], "no data chunk"},
		{"TooLarge", append(slices.Clone(good), make([]byte, MaxSize)...), "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dataDir := t.TempDir()
			writeOverride(t, dataDir, Goodbye, tt.data)
			var logs bytes.Buffer
			lib := New(dataDir, slog.New(slog.NewTextHandler(&logs, nil)))

			p, err := lib.Open(Goodbye)
			if err != nil {
				t.Fatal(err)
			}
			if p.Path != "" || rms(p.PCM) < -30 {
				t.Errorf("got %q, want the built-in prompt", p.Path)
			}
			if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), tt.want) {
				t.Errorf("logged %q, want an error saying %q", logs.String(), tt.want)
			}
		})
	}
}

package prompts

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/open12345/hotline/errs"
)

func TestLibrary_Put_PlaysFromTheNextOpenAndDeleteRestores(t *testing.T) {
	dataDir := t.TempDir()
	lib := New(dataDir, slog.New(slog.DiscardHandler))
	recording := wav(1, 1, 8000, 16, 0.25)

	if err := lib.Put(Menu, bytes.NewReader(recording)); err != nil {
		t.Fatal(err)
	}
	p, err := lib.Open(Menu)
	if err != nil {
		t.Fatal(err)
	}
	if p.Path != filepath.Join(dataDir, "prompts", "menu.wav") || !bytes.Equal(p.WAV, recording) {
		t.Fatalf("after Put: %s with %d bytes, want the recording", p.Path, len(p.WAV))
	}
	if got := recorded(lib); len(got) != 1 || got[0] != Menu {
		t.Errorf("List: recorded %v, want [menu]", got)
	}
	files, err := os.ReadDir(filepath.Join(dataDir, "prompts"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 {
		t.Errorf("prompts directory holds %d files, want menu.wav alone (no temporary file left)", len(files))
	}

	if err := lib.Delete(Menu); err != nil {
		t.Fatal(err)
	}
	if p, err := lib.Open(Menu); err != nil || p.Path != "" {
		t.Fatalf("after Delete: %v, %v; want the built-in prompt", p, err)
	}
	if err := lib.Delete(Menu); errs.CodeOf(err) != errs.NotFound {
		t.Errorf("deleting a missing recording: %v, want not_found", err)
	}
	if got := recorded(lib); len(got) != 0 {
		t.Errorf("List after Delete: recorded %v, want none", got)
	}
}

func recorded(lib *Library) []string {
	var out []string
	for _, info := range lib.List() {
		if info.Recorded {
			out = append(out, info.Name)
		}
	}
	return out
}

func TestLibrary_Put_RefusesWhatCannotPlay(t *testing.T) {
	good := wav(1, 1, 8000, 16, 0.1)
	tests := []struct {
		name string
		data []byte
		code errs.Code
		want string // in the message
	}{
		{"NotWAV", []byte("ID3\x04 an mp3"), errs.Invalid, "not a WAV file"},
		{"Empty", nil, errs.Invalid, "not a WAV file"},
		{"Stereo", wav(1, 2, 8000, 16, 0.1), errs.Invalid, "2 channel(s)"},
		{"Wideband", wav(1, 1, 16000, 16, 0.1), errs.Invalid, "16000 Hz"},
		{"EightBit", wav(1, 1, 8000, 8, 0.1), errs.Invalid, "8-bit"},
		{"ALaw", wav(6, 1, 8000, 16, 0.1), errs.Invalid, "format 6"},
		{"Truncated", good[:len(good)-10], errs.Invalid, "runs past the end"},
		{"TooLarge", append(bytes.Clone(good), make([]byte, MaxSize)...), errs.TooLarge, "at most"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dataDir := t.TempDir()
			lib := New(dataDir, slog.New(slog.DiscardHandler))
			err := lib.Put(Goodbye, bytes.NewReader(tt.data))
			if errs.CodeOf(err) != tt.code || !strings.Contains(errs.Message(err), tt.want) {
				t.Fatalf("Put: %v, want %s saying %q", err, tt.code, tt.want)
			}
			if _, err := os.Stat(filepath.Join(dataDir, "prompts")); err == nil {
				entries, err := os.ReadDir(filepath.Join(dataDir, "prompts"))
				if err != nil || len(entries) != 0 {
					t.Errorf("a refused recording left %v (%v)", entries, err)
				}
			}
		})
	}
}

func TestLibrary_Put_OnlyKnownNames(t *testing.T) {
	dataDir := t.TempDir()
	lib := New(dataDir, slog.New(slog.DiscardHandler))
	for _, name := range []string{"", "nope", "../x", "../prompts/welcome", "welcome.wav", "wav/welcome", ".upload-1.tmp"} {
		if err := lib.Put(name, bytes.NewReader(wav(1, 1, 8000, 16, 0.1))); errs.CodeOf(err) != errs.NotFound {
			t.Errorf("Put %q: %v, want not_found", name, err)
		}
		if err := lib.Delete(name); errs.CodeOf(err) != errs.NotFound {
			t.Errorf("Delete %q: %v, want not_found", name, err)
		}
	}
	if entries, err := os.ReadDir(dataDir); err != nil || len(entries) != 0 {
		t.Errorf("data directory holds %v (%v), want nothing", entries, err)
	}
}

func TestLibrary_Put_WithoutDataDirIsUnavailable(t *testing.T) {
	lib := New("", slog.New(slog.DiscardHandler))
	if err := lib.Put(Welcome, bytes.NewReader(wav(1, 1, 8000, 16, 0.1))); errs.CodeOf(err) != errs.Unavailable {
		t.Errorf("Put: %v, want unavailable", err)
	}
	if got := recorded(lib); len(got) != 0 {
		t.Errorf("recorded %v, want none", got)
	}
}

func TestLibrary_List_ReportsAnUnusableRecording(t *testing.T) {
	dataDir := t.TempDir()
	writeOverride(t, dataDir, Busy, wav(1, 1, 44100, 16, 0.1))
	lib := New(dataDir, slog.New(slog.DiscardHandler))
	list := lib.List()
	if len(list) != len(Names()) {
		t.Fatalf("List has %d prompts, want %d", len(list), len(Names()))
	}
	for _, info := range list {
		switch {
		case info.Name == Busy && (info.Recorded || !strings.Contains(info.Problem, "44100 Hz")):
			t.Errorf("busy: %+v, want not recorded with the problem 44100 Hz", info)
		case info.Name != Busy && (info.Recorded || info.Problem != ""):
			t.Errorf("%s: %+v, want the built-in prompt", info.Name, info)
		}
	}
}

// A play during uploads reads the old recording or the new one, never
// part of one.
func TestLibrary_Put_ConcurrentPlaysSeeWholeFiles(t *testing.T) {
	lib := New(t.TempDir(), slog.New(slog.DiscardHandler))
	a, b := wav(1, 1, 8000, 16, 0.2), wav(1, 1, 8000, 16, 0.3)
	if err := lib.Put(Hold, bytes.NewReader(a)); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 20 {
			if err := lib.Put(Hold, bytes.NewReader([][]byte{a, b}[i%2])); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for range 200 {
		p, err := lib.Open(Hold)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(p.WAV, a) && !bytes.Equal(p.WAV, b) {
			t.Fatalf("played %d bytes from %q, neither recording", len(p.WAV), p.Path)
		}
	}
	wg.Wait()
}

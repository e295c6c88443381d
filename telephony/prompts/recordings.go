package prompts

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/open12345/hotline/errs"
)

// Known reports whether name is a prompt: one of Names, or Department of
// a well-formed department code. Only these may have an operator's
// recording, so a name never chooses another path.
func Known(name string) bool { return slices.Contains(Names(), name) || isDepartment(name) }

// Info is what the console shows of one prompt.
type Info struct {
	Name string
	// Recorded: an operator's recording plays instead of the built-in
	// prompt.
	Recorded bool
	// Problem says why a recording that is there cannot be played (the
	// built-in prompt, if there is one, plays instead); "" when there is
	// none.
	Problem string
}

// List describes every prompt, in the order of Names, then the Department
// prompts recorded, by name. Errors: none; a recording that cannot be
// read is reported in its Problem.
func (l *Library) List() []Info {
	names := Names()
	if l.dir != "" {
		files, err := os.ReadDir(l.dir) // sorted by name; none before the first upload
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			l.log.Error("list the prompt recordings", "dir", l.dir, "error", err)
		}
		for _, f := range files {
			if name, ok := strings.CutSuffix(f.Name(), ".wav"); ok && isDepartment(name) {
				names = append(names, name)
			}
		}
	}
	out := make([]Info, 0, len(names))
	for _, name := range names {
		out = append(out, l.info(name))
	}
	return out
}

// info describes the prompt name.
func (l *Library) info(name string) Info {
	info := Info{Name: name}
	if l.dir == "" {
		return info
	}
	_, err := openFile(name, l.path(name))
	switch {
	case err == nil:
		info.Recorded = true
	case errors.Is(err, fs.ErrNotExist):
	case errors.As(err, new(*fs.PathError)):
		info.Problem = "the file cannot be read" // the error names the server's paths
	default:
		info.Problem = err.Error()
	}
	return info
}

func (l *Library) path(name string) string { return filepath.Join(l.dir, name+".wav") }

// Put stores the WAV file read from r as the operator's recording of the
// named prompt, replacing any; the next play of the prompt plays it. The
// file is checked (RIFF/WAVE, PCM, mono, 8000 Hz, 16-bit, at most
// MaxSize) before anything is written, and written to a temporary file
// renamed into place, so a play never reads half a file. Errors:
// not_found (no such prompt), invalid (not such a WAV file), too_large,
// unavailable (no data directory), internal.
func (l *Library) Put(name string, r io.Reader) error {
	if !Known(name) {
		return errs.E(errs.NotFound, "no prompt %q", name)
	}
	if l.dir == "" {
		return errs.E(errs.Unavailable, "this server has no data directory for prompt recordings")
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return errs.Wrap(errs.Invalid, err, "could not read the recording")
	}
	if len(data) > MaxSize {
		return errs.E(errs.TooLarge, "a prompt recording is at most %d bytes", MaxSize)
	}
	if _, err := parseWAV(data); err != nil {
		return errs.E(errs.Invalid, "the recording of %s cannot be played: %v", name, err)
	}
	if err := writeAtomic(l.dir, l.path(name), data); err != nil {
		return errs.Wrap(errs.Internal, err, "store the recording of %s", name)
	}
	l.log.Info("prompt recording stored", "prompt", name, "bytes", len(data))
	return nil
}

// Delete removes the operator's recording of the named prompt, so that the
// built-in prompt plays again. Errors: not_found (no such prompt, or it
// has no recording), internal.
func (l *Library) Delete(name string) error {
	if !Known(name) {
		return errs.E(errs.NotFound, "no prompt %q", name)
	}
	if l.dir == "" {
		return errs.E(errs.NotFound, "prompt %s has no recording", name)
	}
	if err := os.Remove(l.path(name)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return errs.E(errs.NotFound, "prompt %s has no recording", name)
		}
		return errs.Wrap(errs.Internal, err, "remove the recording of %s", name)
	}
	l.log.Info("prompt recording removed", "prompt", name)
	return nil
}

// writeAtomic writes data to path through a temporary file in dir, synced
// and renamed over path.
func writeAtomic(dir, path string, data []byte) (err error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, ".upload-*.tmp")
	if err != nil {
		return fmt.Errorf("create a temporary file: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, os.Remove(f.Name()))
		}
	}()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", f.Name(), err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("rename into %s: %w", path, err)
	}
	return nil
}

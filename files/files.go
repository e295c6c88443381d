// Package files keeps uploaded file contents (blobs) on the local file
// system under one root directory. Each blob gets a random key chosen here;
// nothing a client sends ever becomes part of a path. Metadata (names,
// types, owners) lives elsewhere, in the database.
package files

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/open12345/hotline/errs"
)

// tempPrefix starts the names of files still being written.
const tempPrefix = ".upload-"

// staleAfter is how old a temporary file must be before New removes it: it
// was left by a crash, not by an upload still running on another instance.
const staleAfter = 24 * time.Hour

// Store keeps blobs under a root directory, in 256 subdirectories named by
// the first two characters of the key.
type Store struct {
	root string
}

// Blob describes a stored blob.
type Blob struct {
	Key    string // 32 lowercase hex characters
	Size   int64  // bytes
	SHA256 string // lowercase hex digest of the content
}

// New returns a Store under root, creating the directory if needed and
// removing temporary files that crashed uploads left behind.
func New(root string) (*Store, error) {
	if root == "" {
		return nil, errors.New("files: root directory is empty")
	}
	if err := os.MkdirAll(root, 0o750); err != nil {
		return nil, fmt.Errorf("files: create %s: %w", root, err)
	}
	s := &Store{root: root}
	if err := s.removeStale(time.Now().Add(-staleAfter)); err != nil {
		return nil, err
	}
	return s, nil
}

// Root returns the directory the blobs live in.
func (s *Store) Root() string { return s.root }

// Put copies r into a new blob of at most max bytes and returns its key,
// size and SHA-256. The content goes to a temporary file in the blob's
// directory, is synced, and only then renamed to its key, so a blob is
// either complete or absent. Errors: too_large (more than max bytes; the
// partial file is removed), invalid (reading r failed, e.g. the client
// went away), unavailable (ctx ended), or an internal error from the disk.
func (s *Store) Put(ctx context.Context, r io.Reader, max int64) (Blob, error) {
	if max < 0 {
		return Blob{}, fmt.Errorf("files: negative size limit %d", max)
	}
	key, err := newKey()
	if err != nil {
		return Blob{}, err
	}
	dir := filepath.Join(s.root, key[:2])
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return Blob{}, fmt.Errorf("files: create %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, tempPrefix+"*")
	if err != nil {
		return Blob{}, fmt.Errorf("files: create temporary file: %w", err)
	}
	blob, err := s.write(ctx, tmp, r, max)
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(dir, key))
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		if rmErr := os.Remove(tmp.Name()); rmErr != nil && !errors.Is(rmErr, fs.ErrNotExist) {
			err = errors.Join(err, fmt.Errorf("files: remove temporary file: %w", rmErr))
		}
		return Blob{}, err
	}
	blob.Key = key
	return blob, nil
}

// write copies at most max bytes of r into f, hashing them, then syncs and
// closes f. It always closes f.
func (s *Store) write(ctx context.Context, f *os.File, r io.Reader, max int64) (Blob, error) {
	h := sha256.New()
	src := &sourceReader{ctx: ctx, r: r}
	limit := max
	if limit < math.MaxInt64 {
		limit++ // one byte more tells that the content is too large
	}
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(src, limit))
	switch {
	case src.err != nil && ctx.Err() != nil:
		err = errs.Wrap(errs.Unavailable, src.err, "upload interrupted")
	case src.err != nil:
		err = errs.Wrap(errs.Invalid, src.err, "could not read the upload")
	case err != nil:
		err = fmt.Errorf("files: write %s: %w", f.Name(), err)
	case n > max:
		err = errs.E(errs.TooLarge, "the file is larger than %d bytes", max)
	default:
		if err = f.Sync(); err != nil {
			err = fmt.Errorf("files: sync %s: %w", f.Name(), err)
		}
	}
	if cerr := f.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("files: close %s: %w", f.Name(), cerr)
	}
	if err != nil {
		return Blob{}, err
	}
	return Blob{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// sourceReader remembers a failure of the client's reader, so that Put can
// tell a bad upload from a bad disk, and stops once ctx ends.
type sourceReader struct {
	ctx context.Context
	r   io.Reader
	err error
}

// Read reads from the client's reader, remembering its failure.
func (s *sourceReader) Read(p []byte) (int, error) {
	if err := s.ctx.Err(); err != nil {
		s.err = err
		return 0, err
	}
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

// Open opens the blob with key for reading. The caller closes it.
// Errors: invalid (a malformed key), not_found.
func (s *Store) Open(key string) (io.ReadSeekCloser, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errs.Wrap(errs.NotFound, err, "file %s not found", key)
	}
	if err != nil {
		return nil, fmt.Errorf("files: open %s: %w", key, err)
	}
	return f, nil
}

// Remove deletes the blob with key; removing a missing blob is not an
// error. Errors: invalid (a malformed key).
func (s *Store) Remove(key string) error {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("files: remove %s: %w", key, err)
	}
	return nil
}

// path returns where the blob with key lives. Only keys of the form Put
// makes are accepted, so no key can name anything outside the root.
func (s *Store) path(key string) (string, error) {
	if !ValidKey(key) {
		return "", errs.E(errs.Invalid, "malformed file key")
	}
	return filepath.Join(s.root, key[:2], key), nil
}

// keyLen is the length of a key: 128 random bits in hex.
const keyLen = 32

// ValidKey reports whether key has the form of the keys Put returns:
// exactly 32 lowercase hexadecimal characters.
func ValidKey(key string) bool {
	if len(key) != keyLen {
		return false
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func newKey() (string, error) {
	b := make([]byte, keyLen/2)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("files: random key: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("files: open %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("files: sync %s: %w", dir, err)
	}
	return nil
}

// removeStale deletes temporary files last modified before cutoff, in the
// root and its subdirectories.
func (s *Store) removeStale(cutoff time.Time) error {
	return filepath.WalkDir(s.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("files: scan %s: %w", p, err)
		}
		if d.IsDir() {
			if p != s.root && filepath.Dir(p) != s.root {
				return fs.SkipDir // only the root and its key subdirectories hold blobs
			}
			return nil
		}
		if !strings.HasPrefix(d.Name(), tempPrefix) {
			return nil
		}
		info, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("files: stat %s: %w", p, err)
		}
		if info.ModTime().Before(cutoff) {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("files: remove stale %s: %w", p, err)
			}
		}
		return nil
	})
}

package files_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/files"
)

func newStore(t *testing.T) (*files.Store, string) {
	t.Helper()
	root := filepath.Join(t.TempDir(), "attachments")
	s, err := files.New(root)
	if err != nil {
		t.Fatal(err)
	}
	return s, root
}

// entries lists every file under root, relative to it.
func entries(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, p)
		out = append(out, rel)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestStore_PutOpenRemove(t *testing.T) {
	s, root := newStore(t)
	content := bytes.Repeat([]byte("整改照片"), 1000)
	b, err := s.Put(context.Background(), bytes.NewReader(content), int64(len(content)))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(content)
	if b.Size != int64(len(content)) || b.SHA256 != hex.EncodeToString(sum[:]) || !files.ValidKey(b.Key) {
		t.Fatalf("blob %+v", b)
	}
	if got := entries(t, root); len(got) != 1 || got[0] != filepath.Join(b.Key[:2], b.Key) {
		t.Fatalf("files on disk: %v", got)
	}
	f, err := s.Open(b.Key)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, content) {
		t.Fatal("content changed")
	}
	if err := s.Remove(b.Key); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(b.Key); !errs.Is(err, errs.NotFound) {
		t.Fatalf("open removed blob: %v, want not_found", err)
	}
	if err := s.Remove(b.Key); err != nil {
		t.Fatalf("removing a missing blob: %v, want nil", err)
	}
}

func TestStore_Put(t *testing.T) {
	t.Run("ExactlyTheLimitIsAccepted", func(t *testing.T) {
		s, _ := newStore(t)
		if b, err := s.Put(context.Background(), strings.NewReader("12345"), 5); err != nil || b.Size != 5 {
			t.Fatalf("%+v, %v", b, err)
		}
	})
	t.Run("OverTheLimitIsTooLargeAndLeavesNothing", func(t *testing.T) {
		s, root := newStore(t)
		_, err := s.Put(context.Background(), strings.NewReader("123456"), 5)
		if !errs.Is(err, errs.TooLarge) {
			t.Fatalf("got %v, want too_large", err)
		}
		if got := entries(t, root); len(got) != 0 {
			t.Fatalf("left behind: %v", got)
		}
	})
	t.Run("ReadErrorIsInvalidAndLeavesNothing", func(t *testing.T) {
		s, root := newStore(t)
		boom := errors.New("connection reset")
		r := io.MultiReader(strings.NewReader("partial"), &failingReader{boom})
		_, err := s.Put(context.Background(), r, 100)
		if !errs.Is(err, errs.Invalid) || !errors.Is(err, boom) {
			t.Fatalf("got %v, want invalid wrapping the cause", err)
		}
		if got := entries(t, root); len(got) != 0 {
			t.Fatalf("left behind: %v", got)
		}
	})
	t.Run("CanceledContextLeavesNothing", func(t *testing.T) {
		s, root := newStore(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := s.Put(ctx, strings.NewReader("content"), 100)
		if !errs.Is(err, errs.Unavailable) {
			t.Fatalf("got %v, want unavailable", err)
		}
		if got := entries(t, root); len(got) != 0 {
			t.Fatalf("left behind: %v", got)
		}
	})
	t.Run("KeysAreDistinct", func(t *testing.T) {
		s, _ := newStore(t)
		a, errA := s.Put(context.Background(), strings.NewReader("same"), 10)
		b, errB := s.Put(context.Background(), strings.NewReader("same"), 10)
		if errA != nil || errB != nil || a.Key == b.Key || a.SHA256 != b.SHA256 {
			t.Fatalf("%+v %v, %+v %v", a, errA, b, errB)
		}
	})
}

type failingReader struct{ err error }

func (f *failingReader) Read([]byte) (int, error) { return 0, f.err }

func TestStore_MalformedKeysAreRefused(t *testing.T) {
	s, root := newStore(t)
	secret := filepath.Join(filepath.Dir(root), "secret")
	if err := os.WriteFile(secret, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"", "../secret", "../../etc/passwd", "/etc/passwd",
		"0123456789abcdef0123456789abcde", "0123456789abcdef0123456789abcdef0",
		"0123456789ABCDEF0123456789ABCDEF", "01/../../secret0123456789abcdef0",
		"..23456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcd\x00f",
		"0123456789abcdef/123456789abcdef"} {
		if files.ValidKey(key) {
			t.Errorf("ValidKey(%q) = true", key)
		}
		if _, err := s.Open(key); !errs.Is(err, errs.Invalid) {
			t.Errorf("Open(%q): %v, want invalid", key, err)
		}
		if err := s.Remove(key); !errs.Is(err, errs.Invalid) {
			t.Errorf("Remove(%q): %v, want invalid", key, err)
		}
	}
	if _, err := os.Stat(secret); err != nil {
		t.Fatalf("file outside the root was touched: %v", err)
	}
}

func TestNew_RemovesStaleTemporaryFiles(t *testing.T) {
	root := filepath.Join(t.TempDir(), "attachments")
	sub := filepath.Join(root, "ab")
	if err := os.MkdirAll(sub, 0o750); err != nil {
		t.Fatal(err)
	}
	stale, fresh, blob := filepath.Join(sub, ".upload-1"), filepath.Join(sub, ".upload-2"), filepath.Join(sub, "ab456789abcdef0123456789abcdef01")
	for _, p := range []string{stale, fresh, blob} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-48 * time.Hour)
	for _, p := range []string{stale, blob} {
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := files.New(root); err != nil {
		t.Fatal(err)
	}
	got := entries(t, root)
	want := []string{filepath.Join("ab", ".upload-2"), filepath.Join("ab", "ab456789abcdef0123456789abcdef01")}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("after New: %v, want %v", got, want)
	}
}

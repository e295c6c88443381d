// Package pgtest gives each test its own freshly migrated PostgreSQL
// database, cloned from a template that is migrated once per schema version.
package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io/fs"
	neturl "net/url"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/open12345/hotline/internal/testenv"
	"github.com/open12345/hotline/postgres"
)

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
)

// NewDB returns a pool on a new database with the current schema, dropped
// when the test ends.
func NewDB(t testing.TB) *postgres.DB {
	t.Helper()
	ctx := context.Background()
	admin := testenv.DatabaseURL(t)
	templateOnce.Do(func() { templateName, templateErr = ensureTemplate(ctx, admin) })
	if templateErr != nil {
		t.Fatalf("prepare test database template: %v", templateErr)
	}
	name := "hotline_test_" + randomSuffix(t)
	if err := exec(ctx, admin, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, templateName)); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	url, err := withDatabase(admin, name)
	if err != nil {
		t.Fatalf("parse HOTLINE_TEST_DATABASE_URL: %v", err)
	}
	db, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() {
		db.Close()
		if err := dropDatabase(admin, name); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	return db
}

// withDatabase returns the URL u pointing at another database.
func withDatabase(u, name string) (string, error) {
	parsed, err := neturl.Parse(u)
	if err != nil {
		return "", err
	}
	parsed.Path = "/" + name
	return parsed.String(), nil
}

func randomSuffix(t testing.TB) string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("random: %v", err)
	}
	return hex.EncodeToString(b)
}

// ensureTemplate creates and migrates the template for the current
// migrations, once across concurrently running test binaries.
func ensureTemplate(ctx context.Context, admin string) (string, error) {
	sum, err := migrationsHash()
	if err != nil {
		return "", err
	}
	name := "hotline_tpl_" + hex.EncodeToString(sum[:6])
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", fmt.Errorf("connect to HOTLINE_TEST_DATABASE_URL: %w", err)
	}
	defer conn.Close(ctx)
	lock := int64(binary.BigEndian.Uint64(sum[:8]))
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", lock); err != nil {
		return "", fmt.Errorf("lock template: %w", err)
	}
	// The lock is released when the connection closes.
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", fmt.Errorf("look for template: %w", err)
	}
	if exists {
		return name, nil
	}
	building := name + "_building"
	if _, err := conn.Exec(ctx, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", building)); err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+building); err != nil {
		return "", fmt.Errorf("create template: %w", err)
	}
	url, err := withDatabase(admin, building)
	if err != nil {
		return "", err
	}
	db, err := postgres.Open(ctx, url)
	if err != nil {
		return "", err
	}
	_, err = db.Migrate(ctx)
	db.Close()
	if err != nil {
		return "", err
	}
	// Renamed only when complete, so a crash never leaves a half-migrated template.
	if _, err := conn.Exec(ctx, fmt.Sprintf("ALTER DATABASE %s RENAME TO %s", building, name)); err != nil {
		return "", fmt.Errorf("finish template: %w", err)
	}
	return name, nil
}

// dropDatabase drops a database, retrying while an autovacuum worker,
// which the test role may not terminate, still works in it.
func dropDatabase(admin, name string) error {
	var err error
	for range 50 {
		if err = exec(context.Background(), admin, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name)); err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

func migrationsHash() ([32]byte, error) {
	h := sha256.New()
	err := fs.WalkDir(postgres.Migrations(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(postgres.Migrations(), path)
		h.Write([]byte(path))
		h.Write(b)
		return err
	})
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return sum, err
}

func exec(ctx context.Context, url, sql string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// Package postgres stores every domain in PostgreSQL through pgx. All SQL
// of the hotline lives here, always parameterised; library errors are
// translated into errs codes once, here.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/tern/v2/migrate"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// DB is a pool of connections to the hotline's database.
type DB struct {
	Pool *pgxpool.Pool
	// outbox is signalled after a commit that wrote outbox messages, so
	// that this node's relay moves them at once. (LISTEN/NOTIFY would wake
	// other nodes too, but NOTIFY serialises every notifying commit on a
	// global lock; other nodes poll instead.)
	outbox chan struct{}
}

// outboxWritten wakes this node's relay without ever blocking.
func (db *DB) outboxWritten() {
	select {
	case db.outbox <- struct{}{}:
	default:
	}
}

// Open connects to the database at url and checks that it answers.
// Unless the URL sets pool_max_conns, the pool holds up to 4 connections
// per CPU (at least 16): requests wait on commits far more than on CPU, and
// more concurrent commits share each WAL flush.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = int32(max(16, 4*runtime.GOMAXPROCS(0)))
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("reach database %s:%d: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, err)
	}
	return &DB{Pool: pool, outbox: make(chan struct{}, 1)}, nil
}

// Close closes every connection.
func (db *DB) Close() { db.Pool.Close() }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.Pool.Ping(ctx) }

// Migrations returns the embedded migration files.
func Migrations() fs.FS {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(err) // the embedded directory is fixed at build time
	}
	return sub
}

// Migrate brings the schema up to date. Concurrent callers wait for each
// other (tern holds an advisory lock), so every instance may call it at start.
// It returns the schema version reached.
func (db *DB) Migrate(ctx context.Context) (int32, error) {
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		return 0, fmt.Errorf("migrate: acquire connection: %w", err)
	}
	defer conn.Release()
	m, err := migrate.NewMigrator(ctx, conn.Conn(), "schema_version")
	if err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	if err := m.LoadMigrations(Migrations()); err != nil {
		return 0, fmt.Errorf("migrate: load: %w", err)
	}
	if err := m.Migrate(ctx); err != nil {
		var pgErr migrate.MigrationPgError
		if errors.As(err, &pgErr) {
			return 0, fmt.Errorf("migrate: %s: %w", pgErr.MigrationName, err)
		}
		return 0, fmt.Errorf("migrate: %w", err)
	}
	v, err := m.GetCurrentVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("migrate: read version: %w", err)
	}
	return v, nil
}

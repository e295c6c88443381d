package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/ticketing"
)

const benchDB = "hotline_bench"

// bench is a fresh database with the hotline serving on it.
type bench struct {
	o      options
	log    *slog.Logger
	url    string
	db     *postgres.DB
	store  *postgres.TicketStore
	server *exec.Cmd
	base   string
	tokens map[string]string // username → token
	pin    []string          // the command the server runs under (taskset), if any
	// serverRedis is the server's Redis database: one of its own, emptied
	// first, so that a development server's queues do not mix in.
	serverRedis string
}

// emptyRedisDB empties database db of the Redis at url and returns its URL.
func emptyRedisDB(ctx context.Context, url string, db int) (string, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return "", fmt.Errorf("HOTLINE_REDIS_URL: %w", err)
	}
	opt.DB = db
	rc := redis.NewClient(opt)
	defer rc.Close()
	if err := rc.FlushDB(ctx).Err(); err != nil {
		return "", fmt.Errorf("empty redis database %d: %w", db, err)
	}
	u, err := neturl.Parse(url)
	if err != nil {
		return "", err
	}
	u.Path = "/" + strconv.Itoa(db)
	return u.String(), nil
}

func newBench(ctx context.Context, o options, log *slog.Logger) (*bench, error) {
	b := &bench{o: o, log: log, tokens: map[string]string{}}
	u, err := neturl.Parse(o.adminURL)
	if err != nil {
		return nil, fmt.Errorf("HOTLINE_TEST_DATABASE_URL: %w", err)
	}
	u.Path = "/" + benchDB
	b.url = u.String()
	if err := dropDatabase(ctx, o.adminURL); err != nil {
		return nil, err
	}
	if err := adminExec(ctx, o.adminURL, "CREATE DATABASE "+benchDB); err != nil {
		return nil, err
	}
	if b.db, err = postgres.Open(ctx, b.url); err != nil {
		return nil, err
	}
	if _, err := b.db.Migrate(ctx); err != nil {
		return nil, err
	}
	b.store = postgres.NewTicketStore(b.db)
	if b.serverRedis, err = emptyRedisDB(ctx, o.redisURL, 15); err != nil {
		return nil, err
	}
	if err := b.seed(ctx); err != nil {
		return nil, err
	}
	if err := b.startServer(ctx); err != nil {
		return nil, errors.Join(err, b.stopServer())
	}
	return b, nil
}

// dropDatabase drops the bench database, retrying while an autovacuum
// worker (which our role may not terminate) still works in it.
func dropDatabase(ctx context.Context, url string) error {
	var err error
	for range 30 {
		if err = adminExec(ctx, url, "DROP DATABASE IF EXISTS "+benchDB+" WITH (FORCE)"); err == nil {
			return nil
		}
		time.Sleep(time.Second)
	}
	return err
}

func adminExec(ctx context.Context, url string, stmts ...string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("connect as admin: %w", err)
	}
	defer conn.Close(ctx)
	for _, s := range stmts {
		if _, err := conn.Exec(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}

// departments of the benchmark: 60 departments, like a large city's.
func benchDepartments() []string {
	out := make([]string, 60)
	for i := range out {
		out[i] = fmt.Sprintf("d%02d", i)
	}
	return out
}

// seed creates the departments, an agent and a department user with tokens.
func (b *bench) seed(ctx context.Context) error {
	for _, code := range benchDepartments() {
		if err := b.store.SaveDepartment(ctx, ticketing.Department{Code: code, Name: "部门" + code, CreatedAt: time.Now()}); err != nil {
			return err
		}
	}
	authn, err := auth.NewService(postgres.NewUserStore(b.db), postgres.NewQuotaStore(b.db), clock.System{}, auth.DefaultHasher(), b.log)
	if err != nil {
		return err
	}
	for _, u := range []auth.NewUser{{Username: "agent1", Role: auth.RoleAgent}, {Username: "dept-d07", Role: auth.RoleDepartment, Department: "d07"}} {
		u.Password = "bench-password"
		if _, err := authn.AddUser(ctx, u); err != nil {
			return err
		}
		if b.tokens[u.Username], err = authn.IssueToken(ctx, u.Username, 24*time.Hour); err != nil {
			return err
		}
	}
	return nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

// startServer runs the hotline on the bench database, with extra
// environment settings, and waits until it is ready.
func (b *bench) startServer(ctx context.Context, env ...string) error {
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	b.base = "http://" + addr
	b.server = pinned(b.pin, b.o.binary, "serve")
	b.server.Env = append(append(os.Environ(), "HOTLINE_DATABASE_URL="+b.url, "HOTLINE_REDIS_URL="+b.serverRedis,
		"HOTLINE_HTTP_ADDR="+addr, "HOTLINE_SIP_ADDR=127.0.0.1:0", "HOTLINE_LOG_LEVEL=warn"), env...)
	b.server.Stdout, b.server.Stderr = os.Stderr, os.Stderr
	if err := b.server.Start(); err != nil {
		return fmt.Errorf("start %s: %w", b.o.binary, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(b.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("server at %s not ready after 30s", addr)
}

// restartServer starts the server again with the default settings.
func (b *bench) restartServer(ctx context.Context) error {
	if err := b.stopServer(); err != nil {
		return err
	}
	return b.startServer(ctx)
}

func (b *bench) stopServer() error {
	if b.server == nil || b.server.Process == nil {
		return nil
	}
	if err := b.server.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	err := b.server.Wait()
	b.server = nil
	return err
}

func (b *bench) close(ctx context.Context) {
	if err := b.stopServer(); err != nil {
		b.log.Warn("stop server", "err", err)
	}
	b.db.Close()
	if !b.o.keep {
		if err := dropDatabase(ctx, b.o.adminURL); err != nil {
			b.log.Warn("drop bench database", "err", err)
		}
	}
}

package testenv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is a private redis-server for one test, listening on a Unix socket
// in the test's temporary directory (no TCP port, so nothing to collide
// with), with append-only persistence as in production: a Stop and Start
// keeps the queued tasks. Tests that run queue workers use it so that no
// other test's worker takes their tasks.
type Redis struct {
	t      testing.TB
	dir    string
	socket string
	cmd    *exec.Cmd
	done   chan error
}

// StartRedis starts a private Redis, stopped when the test ends. It fails
// the test when redis-server is not installed (`make test` installs it),
// and is skipped under -short.
func StartRedis(t testing.TB) *Redis {
	t.Helper()
	if testing.Short() {
		t.Skip("private redis-server; skipping integration test under -short")
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatal("redis-server is not installed: run `make test`, which installs it (or apt-get install redis-server)")
	}
	// Unix socket paths are limited to about 100 bytes: keep the directory short.
	dir, err := os.MkdirTemp("", "hlr")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	r := &Redis{t: t, dir: dir, socket: filepath.Join(dir, "redis.sock")}
	r.Start()
	t.Cleanup(r.Stop)
	return r
}

// URL returns the redis:// form of the server's address (unix://).
func (r *Redis) URL() string { return "unix://" + r.socket }

// Client returns a new client of the server, closed when the test ends.
func (r *Redis) Client() *redis.Client {
	c := redis.NewClient(&redis.Options{Network: "unix", Addr: r.socket})
	r.t.Cleanup(func() { c.Close() })
	return c
}

// Start starts the server (again) and waits until it answers.
func (r *Redis) Start() {
	r.t.Helper()
	if r.cmd != nil {
		r.t.Fatal("redis already running")
	}
	cmd := exec.Command("redis-server", "--port", "0", "--unixsocket", r.socket, "--unixsocketperm", "700",
		"--dir", r.dir, "--appendonly", "yes", "--appendfsync", "always", "--save", "")
	cmd.Stdout, cmd.Stderr = nil, nil
	if err := cmd.Start(); err != nil {
		r.t.Fatalf("start redis-server: %v", err)
	}
	r.cmd, r.done = cmd, make(chan error, 1)
	go func() { r.done <- cmd.Wait() }()
	c := redis.NewClient(&redis.Options{Network: "unix", Addr: r.socket, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("redis-server did not answer on %s: %v", r.socket, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop stops the server and waits for it to exit.
func (r *Redis) Stop() {
	if r.cmd == nil {
		return
	}
	if err := r.cmd.Process.Signal(os.Interrupt); err != nil {
		r.t.Logf("stop redis: %v", err)
	}
	select {
	case <-r.done:
	case <-time.After(10 * time.Second):
		if err := r.cmd.Process.Kill(); err != nil {
			r.t.Logf("kill redis: %v", err)
		}
		<-r.done
	}
	r.cmd = nil
}

// String describes the server for test logs.
func (r *Redis) String() string { return fmt.Sprintf("redis on %s", r.socket) }

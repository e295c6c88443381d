// Package testenv finds the real services integration tests run against,
// and waits for what they do (Eventually, QueuesIdle). A missing service
// fails the test with instructions; only under `go test -short` is it
// skipped.
package testenv

import (
	"os"
	"testing"
)

// DatabaseURL returns HOTLINE_TEST_DATABASE_URL: the private PostgreSQL of
// `make test`, as a role that may create databases.
func DatabaseURL(t testing.TB) string {
	t.Helper()
	return require(t, "HOTLINE_TEST_DATABASE_URL", "the private PostgreSQL under .run/")
}

// RedisURL returns HOTLINE_REDIS_URL, the private Redis of `make test`.
func RedisURL(t testing.TB) string {
	t.Helper()
	return require(t, "HOTLINE_REDIS_URL", "the private Redis under .run/")
}

// require returns the variable or stops the test: skipped under -short,
// failed otherwise.
func require(t testing.TB, name, what string) string {
	t.Helper()
	v := os.Getenv(name)
	if v != "" {
		return v
	}
	if testing.Short() {
		t.Skip(name + " is not set; skipping integration test under -short")
	}
	t.Fatalf("%s is not set: run `make test`, which starts %s (or `bash deploy/local/services.sh start && . .run/env`)", name, what)
	return ""
}

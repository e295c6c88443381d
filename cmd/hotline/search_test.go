package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/internal/testenv"
	"github.com/open12345/hotline/knowledge"
	"github.com/open12345/hotline/postgres/pgtest"
)

// TestSearch_SeedReindexBuildAndRepair loads the demo guides, builds the
// index with `hotline reindex`, starts serve (which builds its embedded
// index from the database), damages that index as a bug or a lost
// change might, and checks that a verification repairs it.
func TestSearch_SeedReindexBuildAndRepair(t *testing.T) {
	db := pgtest.NewDB(t)
	t.Setenv("HOTLINE_DATABASE_URL", db.Pool.Config().ConnString())
	t.Setenv("HOTLINE_DATA_DIR", t.TempDir())
	t.Setenv("HOTLINE_DEMO_PASSWORD", "demo-password-1")
	t.Setenv("HOTLINE_LOG_LEVEL", "warn")
	ctx := context.Background()
	runCmd := func(args ...string) string {
		var out bytes.Buffer
		if err := run(ctx, args, strings.NewReader(""), &out, &out); err != nil {
			t.Fatalf("hotline %v: %v\n%s", args, err, out.String())
		}
		return out.String()
	}
	if out := runCmd("seed", "--demo"); !strings.Contains(out, "234 matter guides saved") {
		t.Fatalf("seed --demo: %s", out)
	}
	if out := runCmd("reindex"); !strings.Contains(out, "embedded: 234 guides indexed (234 written, 0 removed)") {
		t.Fatalf("reindex: %s", out)
	}

	cfg := configFromEnv(environ)
	cfg.RedisURL, cfg.HTTPAddr, cfg.SIPAddr = testenv.StartRedis(t).URL(), "127.0.0.1:0", "127.0.0.1:0"
	m := NewMain(cfg, slog.New(slog.DiscardHandler))
	m.Hasher = auth.FastHasher()
	if err := m.Run(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	rep, err := m.Syncer.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if r := rep["embedded"]; r.Database.Count != 234 || r.Database != r.Index || r.Repaired+r.Removed != 0 {
		t.Fatalf("after start: %+v, want the index built with the database's 234 guides", rep)
	}

	ix := m.searchTargets[0].Index
	if err := ix.Delete(ctx, []string{"rsj-006", "rsj-007"}); err != nil {
		t.Fatal(err)
	}
	if err := ix.Upsert(ctx, []knowledge.Guide{{Code: "ghost-1", Name: "不存在的事项", Department: "rsj", Status: knowledge.StatusPublished, Version: 1}}); err != nil {
		t.Fatal(err)
	}
	if rep, err = m.Syncer.Verify(ctx); err != nil {
		t.Fatal(err)
	}
	if r := rep["embedded"]; r.Repaired != 2 || r.Removed != 1 || r.Index.Count != 233 {
		t.Fatalf("verify after damage: %+v, want the 233 guides found, 2 written again and the ghost removed", r)
	}
	if rep, err = m.Syncer.Verify(ctx); err != nil {
		t.Fatal(err)
	}
	if r := rep["embedded"]; r.Database != r.Index || r.Repaired+r.Removed != 0 {
		t.Fatalf("verify after repair: %+v, want the index equal to the database", r)
	}
	res, err := m.Guides.PublicSearch(ctx, knowledge.Query{Text: "社保卡丢了"})
	if err != nil || len(res.Hits) == 0 || res.Hits[0].Code != "rsj-007" {
		t.Fatalf("search after repair: %+v %v", res.Hits, err)
	}
	if res, err := m.Guides.PublicSearch(ctx, knowledge.Query{Text: "不存在的事项"}); err != nil || len(res.Hits) != 0 {
		t.Fatalf("the ghost guide is still found: %+v %v", res.Hits, err)
	}
}

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
	"github.com/open12345/hotline/knowledge/bleve"
	"github.com/open12345/hotline/postgres/pgtest"
)

// TestSearch_SeedReindexAndRepairOnStart loads the demo guides, rebuilds
// the index with `hotline reindex`, damages it, and checks that serve
// repairs it on start.
func TestSearch_SeedReindexAndRepairOnStart(t *testing.T) {
	db := pgtest.NewDB(t)
	dataDir := t.TempDir()
	t.Setenv("HOTLINE_DATABASE_URL", db.Pool.Config().ConnString())
	t.Setenv("HOTLINE_DATA_DIR", dataDir)
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

	// Damage the index as a crash or a copied data directory might.
	ix, err := bleve.Open(embeddedIndexDir(dataDir))
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Delete(ctx, []string{"rsj-006", "gjj-003"}); err != nil {
		t.Fatal(err)
	}
	if err := ix.Upsert(ctx, []knowledge.Guide{{Code: "ghost-1", Name: "不存在的事项", Department: "rsj", Status: knowledge.StatusPublished, Version: 1}}); err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
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
		t.Fatalf("after start: %+v, want the index repaired to the database's 234 guides", rep)
	}
	res, err := m.Guides.PublicSearch(ctx, knowledge.Query{Text: "社保卡丢了"})
	if err != nil || len(res.Hits) == 0 || res.Hits[0].Code != "rsj-007" {
		t.Fatalf("search after repair: %+v %v", res.Hits, err)
	}
	if res, err := m.Guides.PublicSearch(ctx, knowledge.Query{Text: "不存在的事项"}); err != nil || len(res.Hits) != 0 {
		t.Fatalf("the ghost guide is still found: %+v %v", res.Hits, err)
	}
}

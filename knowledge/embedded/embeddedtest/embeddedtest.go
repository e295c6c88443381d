// Package embeddedtest gives tests the knowledge base of the demo guides
// in an embedded index, searched as citizens search it.
package embeddedtest

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/demo"
	"github.com/open12345/hotline/knowledge"
	"github.com/open12345/hotline/knowledge/embedded"
)

// DemoSearch indexes the demo guides in memory and returns the service
// over them with the synonym table syn; the index closes when the test
// ends.
func DemoSearch(tb testing.TB, syn knowledge.Synonyms) *knowledge.Service {
	tb.Helper()
	guides, err := demo.Guides()
	if err != nil {
		tb.Fatal(err)
	}
	ix := embedded.New()
	tb.Cleanup(func() {
		if err := ix.Close(); err != nil {
			tb.Error(err)
		}
	})
	if err := ix.Upsert(context.Background(), guides); err != nil {
		tb.Fatal(err)
	}
	analyzer := knowledge.NewAnalyzer(syn)
	for _, g := range guides {
		analyzer.AddWords(append(g.Keywords, g.Category)...)
	}
	return knowledge.NewService(nil, ix, analyzer, clock.NewFake(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)),
		time.UTC, slog.New(slog.DiscardHandler), nil)
}

package knowledge_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/knowledge"
)

// generationalSearcher is a fakeSearcher that counts its changes.
type generationalSearcher struct {
	fakeSearcher
	gen atomic.Uint64
}

func (g *generationalSearcher) Generation() uint64 { return g.gen.Load() }

func cachedService(t *testing.T, entries int) (*knowledge.Service, *generationalSearcher, *knowledge.Analyzer) {
	t.Helper()
	search := &generationalSearcher{fakeSearcher: fakeSearcher{hits: []knowledge.Hit{
		{Guide: guide("rsj-006", "rsj", knowledge.StatusPublished), Score: 2}}}}
	analyzer := knowledge.NewAnalyzer(knowledge.DefaultSynonyms())
	svc := knowledge.NewService(nil, search, analyzer, clock.NewFake(t0), time.UTC, slog.New(slog.DiscardHandler), nil)
	svc.EnableCache(entries)
	return svc, search, analyzer
}

func searchOnce(t *testing.T, svc *knowledge.Service, q knowledge.Query) knowledge.SearchResult {
	t.Helper()
	res, err := svc.PublicSearch(context.Background(), q)
	if err != nil {
		t.Fatalf("search %q: %v", q.Text, err)
	}
	return res
}

func TestCache_AnswersRepeatsUntilTheIndexOrVocabularyChanges(t *testing.T) {
	svc, search, analyzer := cachedService(t, 16)
	q := knowledge.Query{Text: "社保卡"}
	first := searchOnce(t, svc, q)
	first.Hits[0].Name = "changed by the caller"
	again := searchOnce(t, svc, q)
	if len(search.plans) != 1 {
		t.Fatalf("the index was asked %d times for the same query, want once", len(search.plans))
	}
	if again.Hits[0].Name == "changed by the caller" || again.Total != 1 {
		t.Errorf("cached result %+v: a caller's change to its copy leaked into the cache", again)
	}

	for name, q := range map[string]knowledge.Query{
		"other page":       {Text: "社保卡", Limit: 5},
		"other offset":     {Text: "社保卡", Offset: 10},
		"other department": {Text: "社保卡", Filter: knowledge.Filter{Department: "rsj"}},
		"other category":   {Text: "社保卡", Filter: knowledge.Filter{Category: "社会保障"}},
		"other text":       {Text: "社保卡补办"},
	} {
		before := len(search.plans)
		searchOnce(t, svc, q)
		if len(search.plans) != before+1 {
			t.Errorf("%s: answered from the cache", name)
		}
	}

	search.gen.Add(1) // a guide saved: every entry is stale
	before := len(search.plans)
	searchOnce(t, svc, q)
	searchOnce(t, svc, q)
	if len(search.plans) != before+1 {
		t.Errorf("after the index changed the index was asked %d times for two searches, want once", len(search.plans)-before)
	}

	analyzer.SetSynonyms(knowledge.Synonyms{"社保卡": {"社会保障卡", "市民卡"}})
	before = len(search.plans)
	searchOnce(t, svc, q)
	if len(search.plans) != before+1 {
		t.Error("after the synonyms changed the search was answered from the cache")
	}
	if alts := search.plans[len(search.plans)-1].Terms[0].Alternatives; len(alts) < 3 {
		t.Errorf("the plan after the change has alternatives %v, want the new synonym", alts)
	}
	analyzer.AddWords("社保卡新办法")
	before = len(search.plans)
	searchOnce(t, svc, q)
	if len(search.plans) != before+1 {
		t.Error("after the vocabulary grew the search was answered from the cache")
	}
}

func TestCache_KeepsTheMostRecentlyUsed(t *testing.T) {
	svc, search, _ := cachedService(t, 3)
	for i := range 3 {
		searchOnce(t, svc, knowledge.Query{Text: fmt.Sprintf("社保卡%d", i)})
	}
	searchOnce(t, svc, knowledge.Query{Text: "社保卡0"}) // used again: now the most recent
	searchOnce(t, svc, knowledge.Query{Text: "社保卡3"}) // evicts 社保卡1
	before := len(search.plans)
	for _, text := range []string{"社保卡0", "社保卡2", "社保卡3"} {
		searchOnce(t, svc, knowledge.Query{Text: text})
	}
	if len(search.plans) != before {
		t.Errorf("the three most recent searches asked the index %d times, want none", len(search.plans)-before)
	}
	searchOnce(t, svc, knowledge.Query{Text: "社保卡1"})
	if len(search.plans) != before+1 {
		t.Error("the least recently used search was still cached")
	}
}

func TestCache_NotUsedOverASearcherWithoutGenerations(t *testing.T) {
	search := &fakeSearcher{}
	svc := knowledge.NewService(nil, search, knowledge.NewAnalyzer(nil), clock.NewFake(t0), time.UTC, slog.New(slog.DiscardHandler), nil)
	svc.EnableCache(16)
	for range 2 {
		searchOnce(t, svc, knowledge.Query{Text: "护照"})
	}
	if len(search.plans) != 2 {
		t.Errorf("asked %d times, want 2: without generations a cached answer could be stale", len(search.plans))
	}
}

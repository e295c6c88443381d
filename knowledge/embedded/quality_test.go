package embedded_test

import (
	"context"
	"testing"

	"github.com/open12345/hotline/demo"
	"github.com/open12345/hotline/knowledge"
	"github.com/open12345/hotline/knowledge/embedded/embeddedtest"
)

// demoSearch indexes the demo guides in memory and returns the service
// searching them as citizens do (published guides only), with the
// default synonyms.
func demoSearch(t testing.TB) *knowledge.Service {
	return demoSearchWith(t, knowledge.DefaultSynonyms())
}

// demoSearchWith is demoSearch with the synonym table syn.
func demoSearchWith(t testing.TB, syn knowledge.Synonyms) *knowledge.Service {
	return embeddedtest.DemoSearch(t, syn)
}

// TestQuality runs the search-quality suite over the demo guides and
// reports precision@1 and recall@3; it fails below 0.8 recall@3.
func TestQuality(t *testing.T) {
	svc := demoSearch(t)
	report, err := demo.EvaluateQuality(func(qc demo.QualityCase) ([]string, error) {
		res, err := svc.PublicSearch(context.Background(), knowledge.Query{Text: qc.Query,
			Filter: knowledge.Filter{Department: qc.Department}, Limit: 10})
		var codes []string
		for _, h := range res.Hits {
			codes = append(codes, h.Code)
		}
		return codes, err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("search quality over %d queries: precision@1 %.3f, recall@3 %.3f", report.Queries, report.PrecisionAt1, report.RecallAt3)
	for _, m := range report.Misses {
		t.Logf("miss: %s", m)
	}
	if report.Queries < 60 || report.RecallAt3 < 0.8 {
		t.Errorf("%d queries, recall@3 %.3f; want ≥60 queries and recall@3 ≥ 0.8", report.Queries, report.RecallAt3)
	}
}

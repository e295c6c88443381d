package meili

import (
	"context"
	"strings"

	"github.com/meilisearch/meilisearch-go"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/knowledge"
)

// retrieved are the document fields a hit needs; grams and the materials
// text are left in Meilisearch.
var retrieved = []string{"code", "name", "department", "category", "status", "version", "scope",
	"conditions", "process", "time_limit", "fee", "location", "hours", "legal_basis", "keywords"}

// hitDocument is a search hit as Meilisearch returns it.
type hitDocument struct {
	document
	RankingScore float64 `json:"_rankingScore"`
}

// Search runs the plan's words as one query (the first alternative of
// each term; Meilisearch applies the synonyms itself) with matching
// strategy "last", so that a guide matching fewer words still counts.
// A plan without terms finds nothing without asking Meilisearch. It
// returns errs.Unavailable when Meilisearch cannot be reached.
func (ix *Index) Search(ctx context.Context, p knowledge.Plan) ([]knowledge.Hit, int, error) {
	const doing = "search guides"
	if len(p.Terms) == 0 {
		return nil, 0, nil
	}
	limit := p.Limit
	if limit <= 0 {
		limit = knowledge.DefaultLimit
	}
	req := &meilisearch.SearchRequest{
		Query:                queryText(p),
		Filter:               filterExpr(p.Filter),
		Limit:                int64(limit),
		Offset:               int64(max(p.Offset, 0)),
		MatchingStrategy:     meilisearch.Last,
		ShowRankingScore:     true,
		AttributesToRetrieve: retrieved,
	}
	res, err := ix.index().SearchWithContext(ctx, req.Query, req)
	if err != nil {
		return nil, 0, translate(err, doing)
	}
	hits := make([]knowledge.Hit, 0, len(res.Hits))
	for _, h := range res.Hits {
		var d hitDocument
		if err := h.DecodeInto(&d); err != nil {
			return nil, 0, errs.Wrap(errs.Internal, err, "%s: unexpected hit", doing)
		}
		hits = append(hits, knowledge.Hit{Guide: d.guide(), Score: d.RankingScore})
	}
	return hits, int(res.EstimatedTotalHits), nil
}

// queryText is the plan's text, or the first alternative of each term
// when the plan has no text.
func queryText(p knowledge.Plan) string {
	if p.Text != "" {
		return p.Text
	}
	words := make([]string, 0, len(p.Terms))
	for _, t := range p.Terms {
		if len(t.Alternatives) > 0 {
			words = append(words, t.Alternatives[0])
		}
	}
	return strings.Join(words, " ")
}

// filterExpr writes f in Meilisearch's filter syntax.
func filterExpr(f knowledge.Filter) string {
	statuses := f.StatusesOrDefault()
	quoted := make([]string, len(statuses))
	for i, s := range statuses {
		quoted[i] = quote(string(s))
	}
	parts := []string{"status IN [" + strings.Join(quoted, ", ") + "]"}
	if f.Department != "" {
		parts = append(parts, "department = "+quote(f.Department))
	}
	if f.Category != "" {
		parts = append(parts, "category = "+quote(f.Category))
	}
	return strings.Join(parts, " AND ")
}

// quote writes s as a Meilisearch filter string: in double quotes, with
// backslashes and double quotes escaped by a backslash.
func quote(s string) string {
	return `"` + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `"`, `\"`) + `"`
}

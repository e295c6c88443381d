package meili

import (
	"context"
	"encoding/hex"
	"slices"
	"strings"
	"unicode"

	"github.com/meilisearch/meilisearch-go"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/knowledge"
)

// versionsPage is how many documents Versions fetches per request.
const versionsPage = 1000

// document is a guide as Meilisearch stores it.
type document struct {
	Code       string   `json:"code"` // the guide's code, escaped by documentID
	Name       string   `json:"name"`
	Department string   `json:"department"`
	Category   string   `json:"category"`
	Status     string   `json:"status"`
	Version    int      `json:"version"`
	Scope      string   `json:"scope"`
	Conditions string   `json:"conditions"`
	Materials  string   `json:"materials"` // Guide.MaterialsText
	Process    string   `json:"process"`
	TimeLimit  string   `json:"time_limit"`
	Fee        string   `json:"fee"`
	Location   string   `json:"location"`
	Hours      string   `json:"hours"`
	LegalBasis string   `json:"legal_basis"`
	Keywords   []string `json:"keywords"`
	Grams      string   `json:"grams,omitempty"`
}

// toDocument turns a guide into its Meilisearch document.
func toDocument(g *knowledge.Guide) document {
	keywords := g.Keywords
	if keywords == nil {
		keywords = []string{}
	}
	return document{
		Code: documentID(g.Code), Name: g.Name, Department: g.Department, Category: g.Category,
		Status: string(g.Status), Version: g.Version, Scope: g.Scope, Conditions: g.Conditions,
		Materials: g.MaterialsText(), Process: g.Process, TimeLimit: g.TimeLimit, Fee: g.Fee,
		Location: g.Location, Hours: g.Hours, LegalBasis: g.LegalBasis, Keywords: keywords,
		Grams: grams(slices.Concat([]string{g.Name}, g.Keywords, []string{g.Scope})...),
	}
}

// guide turns a document back into a guide. Materials stay empty: the
// document holds them only as text.
func (d *document) guide() knowledge.Guide {
	return knowledge.Guide{
		Code: guideCode(d.Code), Name: d.Name, Department: d.Department, Category: d.Category,
		Status: knowledge.Status(d.Status), Version: d.Version, Scope: d.Scope, Conditions: d.Conditions,
		Process: d.Process, TimeLimit: d.TimeLimit, Fee: d.Fee, Location: d.Location, Hours: d.Hours,
		LegalBasis: d.LegalBasis, Keywords: d.Keywords,
	}
}

// documentID returns the Meilisearch document id of a guide code.
// Meilisearch ids allow letters, digits, '-' and '_' but not the '.'
// that guide codes may contain; such codes become '_' and their hex
// encoding ('_' cannot start a guide code, so the two never collide).
func documentID(code string) string {
	if !strings.Contains(code, ".") {
		return code
	}
	return "_" + hex.EncodeToString([]byte(code))
}

// guideCode undoes documentID.
func guideCode(id string) string {
	if rest, ok := strings.CutPrefix(id, "_"); ok {
		if b, err := hex.DecodeString(rest); err == nil {
			return string(b)
		}
	}
	return id
}

// grams returns the CJK text of texts as overlapping two-character pieces
// (中国农业 → 中国 国农 农业) and their other words as they are, separated
// by spaces, so that Meilisearch finds a word inside a longer one.
func grams(texts ...string) string {
	var out []string
	for _, text := range texts {
		for _, word := range strings.FieldsFunc(text, isSeparator) {
			out = appendGrams(out, []rune(word))
		}
	}
	return strings.Join(out, " ")
}

// appendGrams appends the pieces of one word: its CJK runs as bigrams (a
// lone character as itself) and its other runs whole.
func appendGrams(out []string, word []rune) []string {
	for start := 0; start < len(word); {
		cjk := isCJK(word[start])
		end := start + 1
		for end < len(word) && isCJK(word[end]) == cjk {
			end++
		}
		run := word[start:end]
		if !cjk || len(run) == 1 {
			out = append(out, string(run))
		} else {
			for i := 0; i+2 <= len(run); i++ {
				out = append(out, string(run[i:i+2]))
			}
		}
		start = end
	}
	return out
}

func isCJK(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}

// isSeparator reports whether r splits words, as the query analyzer does.
func isSeparator(r rune) bool {
	return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Mn, r)
}

// batches splits items into slices of at most size.
func batches[T any](items []T, size int) [][]T {
	var out [][]T
	for len(items) > 0 {
		n := min(size, len(items))
		out = append(out, items[:n:n])
		items = items[n:]
	}
	return out
}

// Upsert adds or replaces guides by code in batches of BatchSize and waits
// until Meilisearch has indexed every batch. A batch Meilisearch fails is
// errs.Internal with its message; errs.Unavailable when it cannot be reached.
func (ix *Index) Upsert(ctx context.Context, guides []knowledge.Guide) error {
	const doing = "add guides to the search index"
	docs := make([]document, len(guides))
	for i := range guides {
		docs[i] = toDocument(&guides[i])
	}
	pk := primaryKey
	var tasks []*meilisearch.TaskInfo
	for _, batch := range batches(docs, ix.batchSize) {
		task, err := ix.index().AddDocumentsWithContext(ctx, batch, &meilisearch.DocumentOptions{PrimaryKey: &pk})
		if err != nil {
			return translate(err, doing)
		}
		tasks = append(tasks, task)
	}
	return ix.wait(ctx, doing, tasks...)
}

// Delete removes guides by code in batches of BatchSize and waits until
// Meilisearch has done so; unknown codes are ignored. It returns
// errs.Unavailable when Meilisearch cannot be reached.
func (ix *Index) Delete(ctx context.Context, codes []string) error {
	const doing = "remove guides from the search index"
	ids := make([]string, len(codes))
	for i, c := range codes {
		ids[i] = documentID(c)
	}
	var tasks []*meilisearch.TaskInfo
	for _, batch := range batches(ids, ix.batchSize) {
		task, err := ix.index().DeleteDocumentsWithContext(ctx, batch, nil)
		if err != nil {
			return translate(err, doing)
		}
		tasks = append(tasks, task)
	}
	return ix.wait(ctx, doing, tasks...)
}

// Versions returns the version of every guide in the index by code,
// fetching only codes and versions a page at a time. It returns
// errs.Unavailable when Meilisearch cannot be reached.
func (ix *Index) Versions(ctx context.Context) (map[string]int, error) {
	const doing = "list the guides in the search index"
	out := map[string]int{}
	for offset := int64(0); ; offset += versionsPage {
		var page meilisearch.DocumentsResult
		query := &meilisearch.DocumentsQuery{Offset: offset, Limit: versionsPage, Fields: []string{"code", "version"}}
		if err := ix.index().GetDocumentsWithContext(ctx, query, &page); err != nil {
			return nil, translate(err, doing)
		}
		for _, h := range page.Results {
			var d struct {
				Code    string `json:"code"`
				Version int    `json:"version"`
			}
			if err := h.DecodeInto(&d); err != nil {
				return nil, errs.Wrap(errs.Internal, err, "%s: unexpected document", doing)
			}
			out[guideCode(d.Code)] = d.Version
		}
		if len(page.Results) < versionsPage || offset+int64(len(page.Results)) >= page.Total {
			return out, nil
		}
	}
}

package knowledge

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"slices"

	"github.com/open12345/hotline/errs"
)

// Index is a full-text index of guides. The embedded index and
// the Meilisearch adapter implement it and pass the same contract suite
// (knowledge/indextest). Every method returns errs.Unavailable when the
// index cannot be reached.
type Index interface {
	Searcher
	// Upsert adds or replaces guides by code, waiting until they are searchable.
	Upsert(ctx context.Context, guides []Guide) error
	// Delete removes guides by code; unknown codes are ignored.
	Delete(ctx context.Context, codes []string) error
	// Versions returns the version of every guide in the index by code,
	// for comparing the index with the database.
	Versions(ctx context.Context) (map[string]int, error)
	// SetSynonyms replaces the synonym table, for indexes that expand
	// synonyms themselves; others ignore it (the Plan carries them).
	SetSynonyms(ctx context.Context, s Synonyms) error
	// Close releases the index.
	Close() error
}

// Hit is one guide found by an index, with the fields a snippet needs.
type Hit struct {
	Guide Guide   // at least code, name, department, category, status and the text fields
	Score float64 // relevance as the index computes it; higher is better
}

// Plan is an analysed query: the filters and the query's content words,
// each with the alternatives that also count as a match (synonyms,
// Chinese words for pinyin). Indexes translate a Plan into their own
// query language.
type Plan struct {
	Filter Filter
	Terms  []Term
	// Text is the query's content words joined by spaces, for indexes that
	// take a plain query string.
	Text   string
	Limit  int
	Offset int
}

// Filter narrows a search. Empty fields do not filter.
type Filter struct {
	Department string
	Category   string
	Statuses   []Status // empty means published only
}

// StatusesOrDefault returns the statuses to search: published unless set.
func (f Filter) StatusesOrDefault() []Status {
	if len(f.Statuses) == 0 {
		return []Status{StatusPublished}
	}
	return f.Statuses
}

// Term is one content word of a query and its alternatives. The first
// alternative is the word as the user typed it (normalised) unless the
// word was Latin input that became Chinese words.
type Term struct {
	Alternatives []string
	// Action is set when the word says what is to be done (补办, 换领,
	// 提取) rather than what it is done to (社保卡, 身份证, 公积金).
	// Matter names pair a subject with an action, and one action is
	// shared by the guides of many subjects: beside a subject, an index
	// lets the subject decide which guides are found and the action only
	// order them (the embedded index; Meilisearch ignores it).
	Action bool
}

// Fingerprint summarises a set of guide versions: how many and a
// checksum over their codes and versions, so that index and database can
// be compared cheaply.
type Fingerprint struct {
	Count    int    `json:"count"`
	Checksum string `json:"checksum"`
}

// FingerprintOf computes the Fingerprint of versions by code.
func FingerprintOf(versions map[string]int) Fingerprint {
	codes := make([]string, 0, len(versions))
	for c := range versions {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	h := sha256.New()
	for _, c := range codes {
		fmt.Fprintf(h, "%s\x00%d\n", c, versions[c])
	}
	return Fingerprint{Count: len(codes), Checksum: hex.EncodeToString(h.Sum(nil))}
}

// Searcher answers analysed queries. Every Index is one; Fallback
// combines two.
type Searcher interface {
	// Search runs an analysed query and returns the best hits, most
	// relevant first, with the total number of matches.
	Search(ctx context.Context, p Plan) ([]Hit, int, error)
}

// Fallback searches its primary and, when the primary is unavailable,
// the secondary. (The Syncer keeps both indexes up to date, each at its
// own pace, so an unreachable primary never holds the secondary back.)
type Fallback struct {
	Primary, Secondary Searcher
	Log                *slog.Logger
}

// Search asks the primary, and the secondary when the primary is unavailable.
func (f *Fallback) Search(ctx context.Context, p Plan) ([]Hit, int, error) {
	hits, total, err := f.Primary.Search(ctx, p)
	if errs.CodeOf(err) == errs.Unavailable {
		f.Log.WarnContext(ctx, "search index unavailable; answering from the fallback", "err", err)
		return f.Secondary.Search(ctx, p)
	}
	return hits, total, err
}

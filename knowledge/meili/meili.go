// Package meili is the Meilisearch implementation of knowledge.Index, for
// deployments with HOTLINE_SEARCH=meilisearch. It keeps one document per
// guide in one Meilisearch index and waits on every Meilisearch task, so
// that a change is searchable when Upsert returns.
//
// Meilisearch segments Chinese with jieba, which does not find a word
// inside a longer one (农业 in 中国农业发展银行, meilisearch#4935), so each
// document also carries "grams": its name, keywords and scope as
// overlapping two-character pieces.
package meili

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/meilisearch/meilisearch-go"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/knowledge"
)

// Config says where the Meilisearch index is and how to talk to it.
type Config struct {
	URL       string        // e.g. http://127.0.0.1:7700
	APIKey    string        // sent as a bearer token; empty for none
	IndexUID  string        // default "guides"
	Timeout   time.Duration // for each request; default 5s
	BatchSize int           // documents or codes per request; default 1000
	TaskWait  time.Duration // how long to wait for one Meilisearch task; default 30s
}

// Defaults of a Config.
const (
	DefaultIndexUID  = "guides"
	DefaultTimeout   = 5 * time.Second
	DefaultBatchSize = 1000
	DefaultTaskWait  = 30 * time.Second
)

// primaryKey is the document field that identifies a guide.
const primaryKey = "code"

// indexUIDPattern is what Meilisearch accepts as an index uid.
var indexUIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,400}$`)

// withDefaults fills the zero fields of c.
func (c Config) withDefaults() Config {
	if c.IndexUID == "" {
		c.IndexUID = DefaultIndexUID
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.BatchSize <= 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.TaskWait <= 0 {
		c.TaskWait = DefaultTaskWait
	}
	return c
}

// Index is a knowledge.Index kept in Meilisearch. It is safe for
// concurrent use.
type Index struct {
	client    meilisearch.ServiceManager
	uid       string
	batchSize int
	taskWait  time.Duration
	log       *slog.Logger
}

var _ knowledge.Index = (*Index)(nil)

// New connects to Meilisearch, creates the index if it is missing and
// applies the index settings, waiting until Meilisearch has done both.
// It returns errs.Invalid for a bad Config, errs.Unavailable when
// Meilisearch cannot be reached and errs.Internal when it refuses.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Index, error) {
	cfg = cfg.withDefaults()
	if cfg.URL == "" {
		return nil, errs.E(errs.Invalid, "the Meilisearch URL is required")
	}
	if !indexUIDPattern.MatchString(cfg.IndexUID) {
		return nil, errs.E(errs.Invalid, "Meilisearch index uid %q must be letters, digits, '-' or '_'", cfg.IndexUID)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	client := meilisearch.New(strings.TrimRight(cfg.URL, "/"),
		meilisearch.WithAPIKey(cfg.APIKey),
		meilisearch.WithCustomClient(&http.Client{Timeout: cfg.Timeout}),
		// No retries inside the client: an unavailable index should fail
		// fast, so that knowledge.Fallback answers from the embedded index.
		meilisearch.DisableRetries(),
	)
	ix := &Index{client: client, uid: cfg.IndexUID, batchSize: cfg.BatchSize, taskWait: cfg.TaskWait, log: log}
	if err := ix.ensureIndex(ctx); err != nil {
		client.Close()
		return nil, err
	}
	if err := ix.applySettings(ctx); err != nil {
		client.Close()
		return nil, err
	}
	return ix, nil
}

// Close releases the client's idle connections.
func (ix *Index) Close() error {
	ix.client.Close()
	return nil
}

// index returns a handle on the Meilisearch index. Each call gets its own
// handle because meilisearch-go's handles are not safe for concurrent
// document additions.
func (ix *Index) index() meilisearch.IndexManager {
	return ix.client.Index(ix.uid)
}

// ensureIndex creates the index with primary key "code" unless it exists.
func (ix *Index) ensureIndex(ctx context.Context) error {
	const doing = "create the search index"
	info, err := ix.client.GetIndexWithContext(ctx, ix.uid)
	if err == nil {
		if info.PrimaryKey != "" && info.PrimaryKey != primaryKey {
			return errs.E(errs.Internal, "Meilisearch index %s has primary key %q, not %q", ix.uid, info.PrimaryKey, primaryKey)
		}
		return nil
	}
	if !isNotFound(err) {
		return translate(err, doing)
	}
	task, err := ix.client.CreateIndexWithContext(ctx, &meilisearch.IndexConfig{Uid: ix.uid, PrimaryKey: primaryKey})
	if err != nil {
		return translate(err, doing)
	}
	err = ix.wait(ctx, doing, task)
	var failed *taskFailure
	if errors.As(err, &failed) && failed.Code == "index_already_exists" {
		return nil // another node created it meanwhile
	}
	if err == nil {
		ix.log.InfoContext(ctx, "created the Meilisearch index", "index", ix.uid)
	}
	return err
}

// searchableAttributes are the fields searched, most important first.
var searchableAttributes = []string{"name", "keywords", "grams", "scope", "conditions", "materials", "process", "legal_basis"}

// settings returns the index settings other than synonyms, which
// SetSynonyms keeps.
func settings() *meilisearch.Settings {
	return &meilisearch.Settings{
		// Meilisearch's default order, with exactness right after words:
		// a query found as one phrase beats its parts found apart.
		RankingRules:         []string{"words", "exactness", "typo", "proximity", "attribute", "sort"},
		SearchableAttributes: searchableAttributes,
		DisplayedAttributes:  []string{"*"},
		FilterableAttributes: []string{"department", "category", "status"},
		TypoTolerance: &meilisearch.TypoTolerance{
			Enabled:             true,
			MinWordSizeForTypos: meilisearch.MinWordSizeForTypos{OneTypo: 4, TwoTypos: 8},
			DisableOnWords:      []string{},
			DisableOnAttributes: []string{},
		},
	}
}

// applySettings updates the index settings and waits until they apply.
func (ix *Index) applySettings(ctx context.Context) error {
	const doing = "configure the search index"
	task, err := ix.index().UpdateSettingsWithContext(ctx, settings())
	if err != nil {
		return translate(err, doing)
	}
	return ix.wait(ctx, doing, task)
}

// SetSynonyms replaces the index's synonym table. Meilisearch synonyms
// are one-directional, so every term of an equivalence maps to all the
// others. It returns errs.Unavailable when Meilisearch cannot be reached.
func (ix *Index) SetSynonyms(ctx context.Context, s knowledge.Synonyms) error {
	const doing = "update the search synonyms"
	table := synonymTable(s)
	task, err := ix.index().UpdateSynonymsWithContext(ctx, &table)
	if err != nil {
		return translate(err, doing)
	}
	return ix.wait(ctx, doing, task)
}

// synonymTable writes each equivalence of s both ways: every term maps to
// all the other terms of the equivalences it belongs to.
func synonymTable(s knowledge.Synonyms) map[string][]string {
	out := map[string][]string{}
	for k, vs := range s.Normalize() {
		class := append([]string{k}, vs...)
		for _, a := range class {
			for _, b := range class {
				if a != b && !slices.Contains(out[a], b) {
					out[a] = append(out[a], b)
				}
			}
		}
	}
	for _, alts := range out {
		slices.Sort(alts)
	}
	return out
}

// Package bleve is the embedded search index of guides, on bleve/v2 under
// HOTLINE_DATA_DIR: the default, with nothing else to run.
//
// Chinese text is indexed as overlapping two-character pieces (CJK
// bigrams), so any word that occurs verbatim in a guide is found, however
// the text would be segmented: 农业 inside 中国农业发展银行, 简单 inside
// 安装简单. Queries for a word of three or more characters are phrase
// queries over those pieces (exact substring), backed by a looser match of
// the pieces in any order that scores lower.
package bleve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	blevesearch "github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/knowledge"
)

// mappingVersion changes whenever the index mapping does; an index built
// with another version is rebuilt on open.
const mappingVersion = "guides-3"

var versionKey = []byte("mapping_version")

// Index is the embedded index. It is safe for concurrent use.
type Index struct {
	idx blevesearch.Index
}

var _ knowledge.Index = (*Index)(nil)

// Open opens the index at dir, creating it if missing and rebuilding it
// empty if it was built by another mapping version (the Syncer then
// refills it from the database).
func Open(dir string) (*Index, error) {
	idx, err := blevesearch.OpenUsing(dir, map[string]any{"bolt_timeout": "2s"})
	if err == nil {
		v, verr := idx.GetInternal(versionKey)
		if verr == nil && string(v) == mappingVersion {
			return &Index{idx: idx}, nil
		}
		if err := idx.Close(); err != nil {
			return nil, fmt.Errorf("close outdated index %s: %w", dir, err)
		}
		if err := os.RemoveAll(dir); err != nil {
			return nil, fmt.Errorf("remove outdated index %s: %w", dir, err)
		}
	} else if !errors.Is(err, blevesearch.ErrorIndexPathDoesNotExist) {
		return nil, fmt.Errorf("open search index %s (is another hotline process using it?): %w", dir, err)
	}
	idx, err = blevesearch.New(dir, newMapping())
	if err != nil {
		return nil, fmt.Errorf("create search index %s: %w", dir, err)
	}
	if err := idx.SetInternal(versionKey, []byte(mappingVersion)); err != nil {
		return nil, errors.Join(fmt.Errorf("create search index %s: %w", dir, err), idx.Close())
	}
	return &Index{idx: idx}, nil
}

// OpenMemory returns an index held in memory only, for tests and benchmarks.
func OpenMemory() (*Index, error) {
	idx, err := blevesearch.NewMemOnly(newMapping())
	if err != nil {
		return nil, fmt.Errorf("create in-memory search index: %w", err)
	}
	return &Index{idx: idx}, nil
}

// The indexed fields and their weights: name > keywords > scope and
// conditions > materials, process and the rest.
//
// A word's pieces in any order (loose) count in the short fields only: in
// long texts common pieces match nearly every guide, which costs much and
// ranks nothing.
// Positions (for phrase queries) are kept in all but the longest texts.
// The short fields say what a guide is about (name, keywords, scope and
// conditions: about), the longest what it takes (materials, process, fees …).
var searchFields = []struct {
	name      string
	boost     float64
	loose     bool
	positions bool
	about     bool
}{{"name", 8, true, true, true}, {"keywords", 5, true, true, true}, {"summary", 2, false, true, true}, {"detail", 1, false, false, false}}

// storedFields are kept for hits (snippets), not searched.
var storedFields = []string{"name", "department", "category", "status", "version", "scope", "conditions",
	"materials", "process", "time_limit", "fee", "location", "hours", "legal_basis", "keyword_list"}

func newMapping() mapping.IndexMapping {
	text := func(store, positions bool) *mapping.FieldMapping {
		f := blevesearch.NewTextFieldMapping()
		f.Analyzer, f.Store, f.IncludeTermVectors, f.IncludeInAll, f.DocValues = cjk.AnalyzerName, store, positions, false, false
		return f
	}
	exact := blevesearch.NewKeywordFieldMapping()
	exact.Analyzer, exact.Store, exact.IncludeInAll = keyword.Name, true, false
	stored := blevesearch.NewTextFieldMapping()
	stored.Index, stored.Store, stored.IncludeInAll, stored.DocValues = false, true, false, false
	version := blevesearch.NewNumericFieldMapping()
	version.Index, version.Store, version.IncludeInAll = false, true, false

	doc := blevesearch.NewDocumentStaticMapping()
	for _, f := range searchFields {
		doc.AddFieldMappingsAt(f.name, text(f.name == "name", f.positions))
	}
	for _, f := range []string{"department", "category", "status"} {
		doc.AddFieldMappingsAt(f, exact)
	}
	for _, f := range storedFields[5:] {
		doc.AddFieldMappingsAt(f, stored)
	}
	doc.AddFieldMappingsAt("version", version)
	m := blevesearch.NewIndexMapping()
	m.DefaultMapping = doc
	m.DefaultAnalyzer = cjk.AnalyzerName
	m.StoreDynamic, m.IndexDynamic, m.DocValuesDynamic = false, false, false
	return m
}

// document is what the index holds for a guide.
func document(g *knowledge.Guide) (map[string]any, error) {
	keywords := strings.Join(g.Keywords, " ")
	materials := g.MaterialsText()
	materialsJSON, err := json.Marshal(g.Materials)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"name": g.Name, "keywords": keywords, "keyword_list": strings.Join(g.Keywords, "\n"),
		"summary": g.Scope + "\n" + g.Conditions,
		"detail": strings.Join([]string{materials, g.Process, g.TimeLimit, g.Fee, g.Location, g.Hours,
			g.LegalBasis}, "\n"),
		"department": g.Department, "category": g.Category, "status": string(g.Status), "version": float64(g.Version),
		"scope": g.Scope, "conditions": g.Conditions, "materials": string(materialsJSON), "process": g.Process,
		"time_limit": g.TimeLimit, "fee": g.Fee, "location": g.Location, "hours": g.Hours, "legal_basis": g.LegalBasis,
	}, nil
}

// Upsert indexes guides in one batch.
func (ix *Index) Upsert(ctx context.Context, guides []knowledge.Guide) error {
	b := ix.idx.NewBatch()
	for i := range guides {
		doc, err := document(&guides[i])
		if err == nil {
			err = b.Index(guides[i].Code, doc)
		}
		if err != nil {
			return fmt.Errorf("index guide %s: %w", guides[i].Code, err)
		}
	}
	if err := ix.idx.Batch(b); err != nil {
		return fmt.Errorf("index %d guides: %w", len(guides), err)
	}
	return ctx.Err()
}

// Delete removes guides by code.
func (ix *Index) Delete(ctx context.Context, codes []string) error {
	b := ix.idx.NewBatch()
	for _, c := range codes {
		b.Delete(c)
	}
	if err := ix.idx.Batch(b); err != nil {
		return fmt.Errorf("delete %d guides from the index: %w", len(codes), err)
	}
	return ctx.Err()
}

// SetSynonyms does nothing: the Plan carries synonyms as alternatives.
func (ix *Index) SetSynonyms(context.Context, knowledge.Synonyms) error { return nil }

// Versions returns every indexed guide's version by code.
func (ix *Index) Versions(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	var after []string
	for {
		req := blevesearch.NewSearchRequestOptions(blevesearch.NewMatchAllQuery(), 5000, 0, false)
		req.Fields = []string{"version"}
		req.SortBy([]string{"_id"})
		if after != nil {
			req.SearchAfter = after
		}
		res, err := ix.idx.SearchInContext(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("list indexed guides: %w", err)
		}
		for _, h := range res.Hits {
			v, _ := h.Fields["version"].(float64)
			out[h.ID] = int(v)
		}
		if len(res.Hits) < 5000 {
			return out, nil
		}
		after = []string{res.Hits[len(res.Hits)-1].ID}
	}
}

// Close closes the index.
func (ix *Index) Close() error { return ix.idx.Close() }

// Search runs p.
func (ix *Index) Search(ctx context.Context, p knowledge.Plan) (_ []knowledge.Hit, _ int, err error) {
	if len(p.Terms) == 0 {
		return nil, 0, nil
	}
	st, release, err := ix.stats()
	if err != nil {
		return nil, 0, err
	}
	defer func() {
		if cerr := release(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("release index snapshot: %w", cerr))
		}
	}()
	q, pruned, gated := buildQuery(p, st, true)
	res, err := ix.run(ctx, q, p)
	if err == nil && pruned && res.Total == 0 {
		q, _, gated = buildQuery(p, nil, true)
		res, err = ix.run(ctx, q, p)
	}
	if err == nil && gated && res.Total == 0 { // no guide has the subject: the action alone
		q, _, _ = buildQuery(p, nil, false)
		res, err = ix.run(ctx, q, p)
	}
	if err != nil {
		return nil, 0, err
	}
	hits := make([]knowledge.Hit, 0, len(res.Hits))
	for _, h := range res.Hits {
		hits = append(hits, knowledge.Hit{Guide: guideOf(h), Score: h.Score})
	}
	return hits, int(res.Total), nil
}

func (ix *Index) run(ctx context.Context, q query.Query, p knowledge.Plan) (*blevesearch.SearchResult, error) {
	req := blevesearch.NewSearchRequestOptions(q, p.Limit, p.Offset, false)
	req.Fields = storedFields
	res, err := ix.idx.SearchInContext(ctx, req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, errs.Wrap(errs.Unavailable, err, "search timed out")
		}
		return nil, fmt.Errorf("search guides: %w", err)
	}
	return res, nil
}

// stats opens a snapshot for document frequencies; release closes it.
func (ix *Index) stats() (*stats, func() error, error) {
	adv, err := ix.idx.Advanced()
	if err != nil {
		return nil, nil, fmt.Errorf("search guides: %w", err)
	}
	r, err := adv.Reader()
	if err != nil {
		return nil, nil, fmt.Errorf("search guides: %w", err)
	}
	docs, err := r.DocCount()
	if err != nil {
		return nil, nil, errors.Join(fmt.Errorf("search guides: %w", err), r.Close())
	}
	return &stats{r: r, docs: docs}, r.Close, nil
}

// guideOf rebuilds the stored part of a guide from a hit.
func guideOf(h *search.DocumentMatch) knowledge.Guide {
	str := func(name string) string { s, _ := h.Fields[name].(string); return s }
	g := knowledge.Guide{Code: h.ID, Name: str("name"), Department: str("department"), Category: str("category"),
		Status: knowledge.Status(str("status")), Scope: str("scope"), Conditions: str("conditions"),
		Process: str("process"), TimeLimit: str("time_limit"), Fee: str("fee"), Location: str("location"),
		Hours: str("hours"), LegalBasis: str("legal_basis")}
	if v, ok := h.Fields["version"].(float64); ok {
		g.Version = int(v)
	}
	if kw := str("keyword_list"); kw != "" {
		g.Keywords = strings.Split(kw, "\n")
	}
	if m := str("materials"); m != "" && json.Unmarshal([]byte(m), &g.Materials) != nil {
		g.Materials = nil // written by document(); a bad value only leaves the snippet without materials
	}
	return g
}

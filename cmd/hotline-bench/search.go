package main

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/demo"
	"github.com/open12345/hotline/knowledge"
	"github.com/open12345/hotline/knowledge/bleve"
	"github.com/open12345/hotline/postgres"
)

// variantPlaces make the generated guides: the same matter as each
// district and street office offers it, as a city's catalogue lists them.
var variantPlaces = []string{"天河区", "越秀区", "海珠区", "白云区", "番禺区", "黄埔区", "花都区", "南沙区", "从化区", "增城区", "荔湾区"}

// benchGuides returns n guides: the demo set, then variants of it.
func benchGuides(n int) ([]knowledge.Guide, error) {
	base, err := demo.Guides()
	if err != nil {
		return nil, err
	}
	out := make([]knowledge.Guide, 0, n)
	out = append(out, base[:min(n, len(base))]...)
	for i := 0; len(out) < n; i++ {
		g := base[i%len(base)]
		place := variantPlaces[(i/len(base))%len(variantPlaces)]
		unit := i / (len(base) * len(variantPlaces))
		g.Code = fmt.Sprintf("%s.v%d", g.Code, i)
		g.Name = fmt.Sprintf("%s（%s第%d窗口）", g.Name, place, unit+1)
		g.Scope = place + "辖区内" + g.Scope
		g.Location = place + "政务服务中心" + strconv.Itoa(unit+1) + "号窗口"
		g.Materials = slices.Clone(g.Materials)
		out = append(out, g)
	}
	return out, nil
}

// searchBench measures the embedded index over o.searchGuides guides and
// the same queries as ILIKE over PostgreSQL.
func (b *bench) searchBench(ctx context.Context) ([]row, error) {
	guides, err := benchGuides(b.o.searchGuides)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "hotline-bench-index-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	rssBefore := residentBytes()
	ix, build, err := buildIndex(ctx, filepath.Join(dir, "guides.bleve"), guides)
	if err != nil {
		return nil, err
	}
	defer ix.Close()
	runtime.GC()
	debug.FreeOSMemory()
	rss := residentBytes() - rssBefore
	analyzer := knowledge.NewAnalyzer(knowledge.DefaultSynonyms())
	for _, g := range guides[:min(len(guides), 1000)] {
		analyzer.AddWords(append(g.Keywords, g.Category)...)
	}
	svc := knowledge.NewService(nil, ix, analyzer, clock.System{}, time.Local, slog.New(slog.DiscardHandler), nil)
	indexSearch := func(ctx context.Context, qc demo.QualityCase) ([]string, error) {
		res, err := svc.PublicSearch(ctx, knowledge.Query{Text: qc.Query, Filter: knowledge.Filter{Department: qc.Department}})
		codes := make([]string, len(res.Hits))
		for i, h := range res.Hits {
			codes[i] = h.Code
		}
		return codes, err
	}
	if err := b.loadGuides(ctx, guides); err != nil {
		return nil, err
	}
	rows := []row{{name: fmt.Sprintf("index build, %d guides", len(guides)), count: len(guides),
		rate: float64(len(guides)) / build.Seconds(),
		note: fmt.Sprintf("%.1fs; resident +%d MiB; on disk %d MiB", build.Seconds(), rss>>20, dirBytes(dir)>>20)}}
	if path := os.Getenv("HOTLINE_BENCH_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return nil, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
		defer pprof.StopCPUProfile()
	}
	idxRows, err := b.searchRuns(ctx, "embedded index", indexSearch, nil)
	if err != nil {
		return nil, err
	}
	sqlRows, err := b.searchRuns(ctx, "ILIKE over PostgreSQL", b.ilikeSearch, idxRows)
	if err != nil {
		return nil, err
	}
	return append(append(rows, idxRows...), sqlRows...), nil
}

// searchRuns measures one search function: recall on the quality suite,
// then latency at 1 and 32 clients. With base set, ratios are latency
// ratios against it (p99 over p99).
func (b *bench) searchRuns(ctx context.Context, name string, search func(context.Context, demo.QualityCase) ([]string, error), base []row) ([]row, error) {
	report, err := demo.EvaluateQuality(func(qc demo.QualityCase) ([]string, error) {
		codes, err := search(ctx, qc)
		return matters(codes), err
	})
	if err != nil {
		return nil, err
	}
	quality := fmt.Sprintf("recall@3 %.3f, precision@1 %.3f over %d queries", report.RecallAt3, report.PrecisionAt1, report.Queries)
	var rows []row
	for i, clients := range []int{1, 32} {
		r, err := searchLoad(ctx, clients, b.o.searchFor, search)
		if err != nil {
			return nil, err
		}
		r.name = fmt.Sprintf("%s, %d client(s)", name, clients)
		r.note = quality
		if base != nil {
			r.ratio = float64(r.p99) / float64(base[i].p99)
			r.note = "p99 ratio against the index; " + quality
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// matters maps generated variants (rsj-006.v17) to the matter they offer
// (rsj-006), keeping the first of each: a variant answers the query as
// well as the guide it was made from.
func matters(codes []string) []string {
	var out []string
	for _, c := range codes {
		c, _, _ = strings.Cut(c, ".v")
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// searchLoad runs the quality queries round-robin from clients goroutines for d.
func searchLoad(ctx context.Context, clients int, d time.Duration, search func(context.Context, demo.QualityCase) ([]string, error)) (row, error) {
	cases := demo.QualityCases()
	deadline := time.Now().Add(d)
	var mu sync.Mutex
	var lat []time.Duration
	var firstErr error
	var wg sync.WaitGroup
	start := time.Now()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for i := c; time.Now().Before(deadline) && ctx.Err() == nil; i += clients {
				t0 := time.Now()
				if _, err := search(ctx, cases[i%len(cases)]); err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					return
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return row{}, firstErr
	}
	slices.Sort(lat)
	if len(lat) == 0 {
		return row{}, fmt.Errorf("no search finished in %s", d)
	}
	return row{count: len(lat), rate: float64(len(lat)) / time.Since(start).Seconds(),
		p50: lat[len(lat)/2], p99: lat[len(lat)*99/100]}, nil
}

// buildIndex indexes guides in batches of 1,000, as the syncer does.
func buildIndex(ctx context.Context, dir string, guides []knowledge.Guide) (*bleve.Index, time.Duration, error) {
	ix, err := bleve.Open(dir)
	if err != nil {
		return nil, 0, err
	}
	start := time.Now()
	for i := 0; i < len(guides); i += 1000 {
		if err := ix.Upsert(ctx, guides[i:min(i+1000, len(guides))]); err != nil {
			return nil, 0, err
		}
	}
	return ix, time.Since(start), nil
}

// loadGuides stores the guides in the bench database for the ILIKE runs.
func (b *bench) loadGuides(ctx context.Context, guides []knowledge.Guide) error {
	for _, d := range demo.Departments() {
		d.CreatedAt = time.Now()
		if err := b.store.SaveDepartment(ctx, d); err != nil {
			return err
		}
	}
	store := postgres.NewGuideStore(b.db)
	for i := range guides {
		guides[i].Version, guides[i].UpdatedAt = 1, time.Now()
	}
	for i := 0; i < len(guides); i += 5000 {
		if err := store.ImportGuides(ctx, guides[i:min(i+5000, len(guides))], "bench", time.Now()); err != nil {
			return err
		}
	}
	_, err := b.db.Pool.Exec(ctx, `ANALYZE guides`)
	return err
}

// ilikeSearch is the naive baseline: the query text as typed, matched
// with ILIKE against the name, keywords and main texts, names first.
func (b *bench) ilikeSearch(ctx context.Context, qc demo.QualityCase) ([]string, error) {
	pattern := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(qc.Query) + "%"
	rows, err := b.db.Pool.Query(ctx, `SELECT code FROM guides
		WHERE status = 'published' AND ($2 = '' OR department = $2)
		  AND (name ILIKE $1 OR array_to_string(keywords, ' ') ILIKE $1 OR scope ILIKE $1 OR conditions ILIKE $1
		       OR process ILIKE $1 OR materials::text ILIKE $1)
		ORDER BY (name ILIKE $1) DESC, (array_to_string(keywords, ' ') ILIKE $1) DESC, code LIMIT 10`,
		pattern, qc.Department)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var codes []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		codes = append(codes, c)
	}
	return codes, rows.Err()
}

// residentBytes is this process's resident set size.
func residentBytes() int64 { return procStatusBytes(os.Getpid(), "VmRSS:") }

func dirBytes(dir string) int64 {
	var n int64
	if err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return err
	}); err != nil {
		return 0
	}
	return n
}

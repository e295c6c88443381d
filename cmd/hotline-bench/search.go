package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/demo"
	"github.com/open12345/hotline/knowledge"
	"github.com/open12345/hotline/knowledge/embedded"
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

// guideSet is one generated set of guides the search benchmark indexes.
type guideSet struct {
	tag      string // in the row names, as " [tag]"
	generate func(n int) ([]knowledge.Guide, error)
}

// guideSets are the sets measured: near-identical district variants (the
// worst case for ranking and the first, whose guides also go to
// PostgreSQL and the HTTP runs), then variants worded per district.
var guideSets = []guideSet{{"repetitive", benchGuides}, {"varied", variedGuides}}

// probeQuery is searched in-process and through HTTP to tell when the
// server's index holds every guide: the totals agree.
const probeQuery = "办理"

// cacheEntries is the result cache of the cached runs.
const cacheEntries = 4096

// setRun is what the in-process runs over one set leave for the
// comparisons after them.
type setRun struct {
	rows     []row // index build, uncached runs, cached runs
	uncached []row // the uncached runs at 1 and 32 clients
	cached   []row // the cached runs at 1 and 32 clients
	probe    int   // total hits of probeQuery
}

// searchBench measures the embedded index over o.searchGuides guides of
// each set, uncached and with the result cache, then the same queries as
// ILIKE over PostgreSQL and through the server's search endpoint, both
// over the first set.
func (b *bench) searchBench(ctx context.Context) ([]row, error) {
	// The server of the other benchmarks would index the guides loaded
	// below while the in-process runs measure: it stops, and one of the
	// search benchmark's own, with a data directory of its own, serves
	// the HTTP runs.
	if err := b.stopServer(); err != nil {
		return nil, fmt.Errorf("stop the server: %w", err)
	}
	dataDir, err := os.MkdirTemp("", "hotline-bench-search-")
	if err != nil {
		return nil, err
	}
	keepDataDir := false
	defer func() {
		if !keepDataDir {
			if err := os.RemoveAll(dataDir); err != nil {
				b.log.Warn("remove the search benchmark's data directory", "dir", dataDir, "err", err)
			}
		}
	}()
	stopProfile, err := envCPUProfile()
	if err != nil {
		return nil, err
	}
	defer stopProfile()
	mix := searchMix()
	var rows []row
	var first setRun
	var firstGuides []knowledge.Guide
	for i, set := range guideSets {
		guides, run, err := b.setRuns(ctx, set, mix)
		if err != nil {
			return nil, fmt.Errorf("search over the %s guides: %w", set.tag, err)
		}
		rows = append(rows, run.rows...)
		if i == 0 {
			first, firstGuides = run, guides
		}
	}
	tag := guideSets[0].tag
	if err := b.loadGuides(ctx, firstGuides); err != nil {
		return nil, fmt.Errorf("load the %s guides into PostgreSQL: %w", tag, err)
	}
	sqlRows, err := b.searchRuns(ctx, "ILIKE over PostgreSQL", tag, b.ilikeSearch, mix)
	if err != nil {
		return nil, fmt.Errorf("ILIKE: %w", err)
	}
	compare(sqlRows, first.uncached, func(_ int, r, base row) string {
		return fmt.Sprintf("p99 ratio against the index uncached; index/ILIKE throughput %.1f×", base.rate/r.rate)
	})
	httpRows, err := b.httpRuns(ctx, dataDir, tag, mix, first)
	if err != nil {
		return nil, fmt.Errorf("HTTP: %w", err)
	}
	if keepDataDir = b.o.only == ""; keepDataDir {
		b.log.Info("the search benchmark's server serves the remaining benchmarks; remove its data directory afterwards", "dir", dataDir)
	} else if err := b.stopServer(); err != nil {
		return nil, fmt.Errorf("stop the server: %w", err)
	}
	return append(append(rows, sqlRows...), httpRows...), nil
}

// setRuns generates set's guides, indexes them and measures searches
// over the index: uncached, then cached. The index is closed when it
// returns.
func (b *bench) setRuns(ctx context.Context, set guideSet, mix []demo.QualityCase) (guides []knowledge.Guide, run setRun, err error) {
	start := time.Now()
	if guides, err = set.generate(b.o.searchGuides); err != nil {
		return nil, run, err
	}
	stamp(guides)
	generated := time.Since(start)
	rssBefore := settledResident()
	ix, build, err := buildIndex(ctx, guides)
	if err != nil {
		return nil, run, err
	}
	defer func() {
		if cerr := ix.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close the index: %w", cerr)
		}
	}()
	rss := settledResident() - rssBefore
	run.rows = []row{{name: fmt.Sprintf("index build, %d guides [%s]", len(guides), set.tag), count: len(guides),
		rate: float64(len(guides)) / build.Seconds(),
		note: fmt.Sprintf("%.1fs; resident +%d MiB; nothing on disk; generated in %.2fs", build.Seconds(), rss>>20, generated.Seconds())}}
	analyzer := benchAnalyzer(guides)
	plain := newBenchService(ix, analyzer)
	res, err := plain.PublicSearch(ctx, knowledge.Query{Text: probeQuery})
	if err != nil {
		return nil, run, fmt.Errorf("probe %q: %w", probeQuery, err)
	}
	run.probe = res.Total
	if run.uncached, err = b.searchRuns(ctx, "embedded index uncached", set.tag, serviceSearch(plain), mix); err != nil {
		return nil, run, err
	}
	if err := printMisses(ctx, os.Stderr, fmt.Sprintf("embedded index, %d guides [%s]", len(guides), set.tag), serviceSearch(plain)); err != nil {
		return nil, run, err
	}
	cached := newBenchService(ix, analyzer)
	cached.EnableCache(cacheEntries)
	cacheNote, err := warmCache(ctx, ix, serviceSearch(cached), mix)
	if err != nil {
		return nil, run, err
	}
	if run.cached, err = b.searchRuns(ctx, "embedded index cached", set.tag, serviceSearch(cached), mix); err != nil {
		return nil, run, err
	}
	for i := range run.cached {
		run.cached[i].note = cacheNote + "; " + run.cached[i].note
	}
	run.rows = append(append(run.rows, run.uncached...), run.cached...)
	return guides, run, nil
}

// stamp gives the guides the version and time they are stored with, so
// that the in-process index holds what the server's builds from the
// database.
func stamp(guides []knowledge.Guide) {
	now := time.Now()
	for i := range guides {
		guides[i].Version, guides[i].UpdatedAt = 1, now
	}
}

// benchAnalyzer knows the keywords and categories of the first 1,000
// guides, as the server's knows every guide's.
func benchAnalyzer(guides []knowledge.Guide) *knowledge.Analyzer {
	analyzer := knowledge.NewAnalyzer(knowledge.DefaultSynonyms())
	for _, g := range guides[:min(len(guides), 1000)] {
		analyzer.AddWords(append(g.Keywords, g.Category)...)
	}
	return analyzer
}

func newBenchService(ix knowledge.Searcher, analyzer *knowledge.Analyzer) *knowledge.Service {
	return knowledge.NewService(nil, ix, analyzer, clock.System{}, time.Local, slog.New(slog.DiscardHandler), nil)
}

// serviceSearch searches svc as citizens do, returning the hits' codes.
func serviceSearch(svc *knowledge.Service) searchFunc {
	return func(ctx context.Context, qc demo.QualityCase) ([]string, error) {
		res, err := svc.PublicSearch(ctx, knowledge.Query{Text: qc.Query, Filter: knowledge.Filter{Department: qc.Department},
			Limit: knowledge.DefaultLimit})
		return hitCodes(res), err
	}
}

func hitCodes(res knowledge.SearchResult) []string {
	codes := make([]string, len(res.Hits))
	for i, h := range res.Hits {
		codes[i] = h.Code
	}
	return codes
}

// warmCache sends every query of mix once through search, a service
// with the result cache, and describes the cache for the rows' notes.
func warmCache(ctx context.Context, ix knowledge.Searcher, search searchFunc, mix []demo.QualityCase) (string, error) {
	for _, qc := range mix {
		if _, err := search(ctx, qc); err != nil {
			return "", fmt.Errorf("warm the cache with %q: %w", qc.Query, err)
		}
	}
	if _, ok := ix.(knowledge.Generational); !ok {
		return "cache off: the index is not knowledge.Generational", nil
	}
	return fmt.Sprintf("cache of %d warmed with %d queries", cacheEntries, len(mix)), nil
}

// envCPUProfile profiles the search benchmark into
// $HOTLINE_BENCH_CPUPROFILE, if set, until stop is called.
func envCPUProfile() (stop func(), err error) {
	path := os.Getenv("HOTLINE_BENCH_CPUPROFILE")
	if path == "" {
		return func() {}, nil
	}
	return startCPUProfile(path)
}

// searchFunc is one way of searching: the codes of the hits, best first.
type searchFunc func(context.Context, demo.QualityCase) ([]string, error)

// searchRuns measures one search function: recall on the quality suite,
// then latency at 1 and 32 clients over mix. Rows are named
// "name, N client(s) [tag]".
func (b *bench) searchRuns(ctx context.Context, name, tag string, search searchFunc, mix []demo.QualityCase) ([]row, error) {
	report, err := demo.EvaluateQuality(func(qc demo.QualityCase) ([]string, error) {
		codes, err := search(ctx, qc)
		return matters(codes), err
	})
	if err != nil {
		return nil, err
	}
	quality := fmt.Sprintf("recall@3 %.3f, precision@1 %.3f over %d queries; latency mix %d queries",
		report.RecallAt3, report.PrecisionAt1, report.Queries, len(mix))
	var rows []row
	for _, clients := range []int{1, 32} {
		r, err := searchLoad(ctx, clients, b.o.searchFor, search, mix)
		if err != nil {
			return nil, fmt.Errorf("%d client(s): %w", clients, err)
		}
		r.name = fmt.Sprintf("%s, %d client(s) [%s]", name, clients, tag)
		r.note = quality
		rows = append(rows, r)
	}
	return rows, nil
}

// compare sets each row's ratio, its p99 over the p99 of the base row in
// the same place, and puts describe's words before its note.
func compare(rows, base []row, describe func(i int, r, base row) string) {
	for i := range rows {
		rows[i].ratio = float64(rows[i].p99) / float64(base[i].p99)
		rows[i].note = describe(i, rows[i], base[i]) + "; " + rows[i].note
	}
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

// searchLoad runs the queries of cases round-robin from clients goroutines for d.
func searchLoad(ctx context.Context, clients int, d time.Duration, search searchFunc, cases []demo.QualityCase) (row, error) {
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

// buildIndex indexes guides in batches of 1,000, as the syncer does, into
// a new index of the engine the server runs by default (HOTLINE_SEARCH=embedded:
// cmd/hotline openSearch).
func buildIndex(ctx context.Context, guides []knowledge.Guide) (knowledge.Index, time.Duration, error) {
	ix := embedded.New()
	start := time.Now()
	for i := 0; i < len(guides); i += 1000 {
		if err := ix.Upsert(ctx, guides[i:min(i+1000, len(guides))]); err != nil {
			return nil, 0, errors.Join(fmt.Errorf("index guides %d-%d: %w", i, min(i+1000, len(guides)), err), ix.Close())
		}
	}
	return ix, time.Since(start), nil
}

// loadGuides stores the guides in the bench database for the ILIKE and
// HTTP runs.
func (b *bench) loadGuides(ctx context.Context, guides []knowledge.Guide) error {
	for _, d := range demo.Departments() {
		d.CreatedAt = time.Now()
		if err := b.store.SaveDepartment(ctx, d); err != nil {
			return fmt.Errorf("save department %s: %w", d.Code, err)
		}
	}
	store := postgres.NewGuideStore(b.db)
	for i := 0; i < len(guides); i += 5000 {
		if err := store.ImportGuides(ctx, guides[i:min(i+5000, len(guides))], "bench", time.Now()); err != nil {
			return fmt.Errorf("import guides %d-%d: %w", i, min(i+5000, len(guides)), err)
		}
	}
	if _, err := b.db.Pool.Exec(ctx, `ANALYZE guides`); err != nil {
		return fmt.Errorf("analyze guides: %w", err)
	}
	return nil
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

// settledResident is this process's resident set size once garbage is
// collected and returned to the system.
func settledResident() int64 {
	runtime.GC()
	debug.FreeOSMemory()
	return procStatusBytes(os.Getpid(), "VmRSS:")
}

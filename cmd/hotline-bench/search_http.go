package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"os"
	"strconv"
	"time"

	"github.com/open12345/hotline/demo"
	"github.com/open12345/hotline/knowledge"
)

// staffSearchPath is the staff search endpoint the HTTP runs measure.
const staffSearchPath = "/api/v1/guides/search"

// httpRuns starts a server with HOTLINE_DATA_DIR dataDir over the guides
// in the database, without its result cache, waits until its index
// answers the probe as the in-process one did, and measures the staff
// search endpoint at 1 and 32 clients over mix, beside the in-process
// uncached runs of the same guides in inproc: the difference is what
// HTTP, JSON, authentication and the middleware cost.
func (b *bench) httpRuns(ctx context.Context, dataDir, tag string, mix []demo.QualityCase, inproc setRun) ([]row, error) {
	start := time.Now()
	if err := b.startServer(ctx, "HOTLINE_DATA_DIR="+dataDir, "HOTLINE_SEARCH_CACHE=0"); err != nil {
		return nil, fmt.Errorf("start the server over the %s guides: %w", tag, err)
	}
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{
		MaxIdleConns: 64, MaxIdleConnsPerHost: 64, IdleConnTimeout: time.Minute}}
	defer client.CloseIdleConnections()
	s := staffSearch{client: client, base: b.base, token: b.tokens["agent1"]}
	if err := b.waitIndexed(ctx, s, inproc.probe); err != nil {
		return nil, err
	}
	ready := time.Since(start)
	b.log.Info("search server ready", "took", ready.Round(time.Millisecond))
	rows, err := b.searchRuns(ctx, "HTTP "+staffSearchPath+" uncached", tag, s.codes, mix)
	if err != nil {
		return nil, err
	}
	if err := printMisses(ctx, os.Stderr, fmt.Sprintf("HTTP %s [%s]", staffSearchPath, tag), s.codes); err != nil {
		return nil, err
	}
	compare(rows, inproc.uncached, func(i int, r, uncached row) string {
		return fmt.Sprintf("p99 ratio against the index uncached in-process; HTTP overhead %s; server started and built its index from PostgreSQL in %.1fs",
			overhead(r, uncached), ready.Seconds())
	})
	return rows, nil
}

// overhead is how much slower r ran than base: p50 and p99 differences.
func overhead(r, base row) string {
	return fmt.Sprintf("p50 %+.2fms, p99 %+.2fms", millis(r.p50-base.p50), millis(r.p99-base.p99))
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// waitIndexed polls the server with probeQuery until its total is want.
// A total that stays put at another value for ten seconds (the server's
// analyzer may split the probe otherwise) is taken as done, with a
// warning.
func (b *bench) waitIndexed(ctx context.Context, s staffSearch, want int) error {
	deadline := time.Now().Add(3 * time.Minute)
	last, since := -1, time.Now()
	for {
		res, err := s.search(ctx, demo.QualityCase{Query: probeQuery})
		if err != nil {
			return fmt.Errorf("probe %q: %w", probeQuery, err)
		}
		switch {
		case res.Total == want:
			return nil
		case res.Total != last:
			last, since = res.Total, time.Now()
		case time.Since(since) > 10*time.Second:
			b.log.Warn("the server's total for the probe stays apart from the in-process one", "probe", probeQuery, "server", res.Total, "in-process", want)
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("probe %q: the server finds %d guides after 3 minutes, the in-process index %d", probeQuery, res.Total, want)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// staffSearch searches through the server's staff endpoint as an agent.
type staffSearch struct {
	client *http.Client
	base   string
	token  string
}

// search sends GET /api/v1/guides/search?q=&department=&limit=10.
func (s staffSearch) search(ctx context.Context, qc demo.QualityCase) (knowledge.SearchResult, error) {
	var res knowledge.SearchResult
	q := neturl.Values{"q": {qc.Query}, "department": {qc.Department}, "limit": {strconv.Itoa(knowledge.DefaultLimit)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+staffSearchPath+"?"+q.Encode(), nil)
	if err != nil {
		return res, err
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := s.client.Do(req)
	if err != nil {
		return res, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 500))
		return res, fmt.Errorf("GET %s?%s: %s: %s", staffSearchPath, q.Encode(), resp.Status, body)
	}
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		return res, fmt.Errorf("GET %s?%s: decode: %w", staffSearchPath, q.Encode(), err)
	}
	return res, nil
}

// codes is search as a searchFunc.
func (s staffSearch) codes(ctx context.Context, qc demo.QualityCase) ([]string, error) {
	res, err := s.search(ctx, qc)
	return hitCodes(res), err
}

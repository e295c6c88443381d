package embedded_test

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/demo"
	"github.com/open12345/hotline/knowledge"
	"github.com/open12345/hotline/knowledge/embedded"
)

// benchGuides returns the demo guides (n = 0) or n guides: the demo set,
// then district variants of it, as cmd/hotline-bench makes them (there
// 50,000).
func benchGuides(b *testing.B, n int) []knowledge.Guide {
	base, err := demo.Guides()
	if err != nil {
		b.Fatal(err)
	}
	if n == 0 {
		return base
	}
	places := []string{"天河区", "越秀区", "海珠区", "白云区", "番禺区", "黄埔区", "花都区", "南沙区", "从化区", "增城区", "荔湾区"}
	out := append([]knowledge.Guide(nil), base[:min(n, len(base))]...)
	for i := 0; len(out) < n; i++ {
		g := base[i%len(base)]
		place := places[(i/len(base))%len(places)]
		g.Code = fmt.Sprintf("%s.v%d", g.Code, i)
		g.Name = fmt.Sprintf("%s（%s第%d窗口）", g.Name, place, i/(len(base)*len(places))+1)
		g.Scope = place + "辖区内" + g.Scope
		g.Materials = slices.Clone(g.Materials)
		out = append(out, g)
	}
	return out
}

// BenchmarkSearch runs the quality suite's queries round-robin through
// the service (analysis, index and snippets) over the demo guides and
// over 5,000 guides, where common words are pruned from the long texts.
func BenchmarkSearch(b *testing.B) {
	for _, n := range []int{0, 5000, 50000} {
		name := "demo"
		if n > 0 {
			name = fmt.Sprintf("%d_guides", n)
		}
		b.Run(name, func(b *testing.B) {
			guides := benchGuides(b, n)
			ix := embedded.New()
			if err := ix.Upsert(context.Background(), guides); err != nil {
				b.Fatal(err)
			}
			analyzer := knowledge.NewAnalyzer(knowledge.DefaultSynonyms())
			for _, g := range guides[:min(len(guides), 1000)] {
				analyzer.AddWords(append(g.Keywords, g.Category)...)
			}
			svc := knowledge.NewService(nil, ix, analyzer, clock.NewFake(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)),
				time.UTC, slog.New(slog.DiscardHandler), nil)
			cases := demo.QualityCases()
			cpu := cpuTime(b)
			n := 0
			for ; b.Loop(); n++ {
				qc := cases[n%len(cases)]
				if _, err := svc.PublicSearch(context.Background(), knowledge.Query{Text: qc.Query,
					Filter: knowledge.Filter{Department: qc.Department}}); err != nil {
					b.Fatal(err)
				}
			}
			// CPU time as well as wall time: on a shared machine it varies less.
			b.ReportMetric(float64(cpuTime(b)-cpu)/float64(n), "cpu-ns/op")
		})
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkBuild indexes 50,000 guides in batches of 1,000, as the
// Syncer does when a node starts, and reports the heap the index holds.
func BenchmarkBuild(b *testing.B) {
	guides := benchGuides(b, 50000)
	for b.Loop() {
		ix := embedded.New()
		for i := 0; i < len(guides); i += 1000 {
			if err := ix.Upsert(context.Background(), guides[i:min(i+1000, len(guides))]); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&after)
		if err := ix.Close(); err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&before)
		b.ReportMetric(float64(after.HeapInuse-before.HeapInuse)/(1<<20), "index-MiB")
		b.StartTimer()
	}
}

package embedded_test

import (
	"context"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/knowledge"
	"github.com/open12345/hotline/knowledge/embedded"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/postgres/pgtest"
	"github.com/open12345/hotline/ticketing"
)

var (
	syncTime = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	admin    = auth.Actor{Username: "admin", Role: auth.RoleAdmin}
	quiet    = slog.New(slog.DiscardHandler)
)

// syncStore is a GuideStore on a fresh database with the department rsj.
func syncStore(t *testing.T) *postgres.GuideStore {
	t.Helper()
	db := pgtest.NewDB(t)
	err := postgres.NewTicketStore(db).SaveDepartment(context.Background(),
		ticketing.Department{Code: "rsj", Name: "市人社局", CreatedAt: syncTime})
	if err != nil {
		t.Fatal(err)
	}
	return postgres.NewGuideStore(db)
}

// openIndex returns an empty embedded index, closed when the test ends.
func openIndex(t *testing.T) *embedded.Index {
	t.Helper()
	ix := embedded.New()
	t.Cleanup(func() {
		if err := ix.Close(); err != nil {
			t.Error(err)
		}
	})
	return ix
}

// node is one hotline server's view of the knowledge base: its own
// analyzer, Syncer and Service over the shared database.
type node struct {
	analyzer *knowledge.Analyzer
	syncer   *knowledge.Syncer
	service  *knowledge.Service
}

func newNode(store knowledge.Store, search knowledge.Searcher, targets ...knowledge.Target) *node {
	a := knowledge.NewAnalyzer(knowledge.DefaultSynonyms())
	return &node{analyzer: a,
		syncer:  knowledge.NewSyncer(store, a, quiet, time.Hour, targets...),
		service: knowledge.NewService(store, search, a, clock.NewFake(syncTime), time.UTC, quiet, nil)}
}

func syncGuide(code, name string, keywords ...string) knowledge.Guide {
	return knowledge.Guide{Code: code, Name: name, Department: "rsj", Category: "社会保障",
		Scope: "本市户籍居民", Process: "1.申请；2.受理；3.办结", Keywords: keywords,
		Materials: []knowledge.Material{{Name: "居民身份证", Form: "原件", Copies: 1}},
		Status:    knowledge.StatusPublished, Version: 1, UpdatedAt: syncTime, UpdatedBy: "admin"}
}

func seed(t *testing.T, store knowledge.Store, guides ...knowledge.Guide) {
	t.Helper()
	for i := range guides {
		if err := store.CreateGuide(context.Background(), &guides[i]); err != nil {
			t.Fatalf("create %s: %v", guides[i].Code, err)
		}
	}
}

func mustSync(t *testing.T, s *knowledge.Syncer) {
	t.Helper()
	if err := s.SyncOnce(context.Background()); err != nil {
		t.Fatalf("sync: %v", err)
	}
}

// inStep fails unless idx holds exactly the database's guide versions.
func inStep(t *testing.T, store knowledge.Store, idx knowledge.Index) {
	t.Helper()
	ctx := context.Background()
	want, err := store.AllVersions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	have, err := idx.Versions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(have, want) {
		t.Fatalf("index holds %v; database %v", have, want)
	}
}

// found returns the hits of a search by admin as "code name".
func found(t *testing.T, svc *knowledge.Service, text string, statuses ...knowledge.Status) []string {
	t.Helper()
	res, err := svc.Search(context.Background(), admin,
		knowledge.Query{Text: text, Filter: knowledge.Filter{Statuses: statuses}})
	if err != nil {
		t.Fatalf("search %q: %v", text, err)
	}
	out := []string{}
	for _, h := range res.Hits {
		out = append(out, h.Code+" "+h.Name)
	}
	return out
}

func TestSyncer_FreshIndexGetsEveryGuide(t *testing.T) {
	store := syncStore(t)
	seed(t, store, syncGuide("gjj-01", "公积金提取", "公积金"), syncGuide("hz-01", "护照签发"),
		syncGuide("jzz-01", "居住证申领"))
	ix := openIndex(t)
	n := newNode(store, ix, knowledge.Target{Name: "embedded", Index: ix})
	mustSync(t, n.syncer)
	inStep(t, store, ix)

	reports, err := n.syncer.Verify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r := reports["embedded"]
	if r.Database != r.Index || r.Database.Count != 3 || r.Repaired+r.Removed != 0 {
		t.Fatalf("report %+v", r)
	}
	if got := found(t, n.service, "护照签发"); !slices.Equal(got, []string{"hz-01 护照签发"}) {
		t.Fatalf("found %q", got)
	}
}

func TestSyncer_RepairsOnStart(t *testing.T) {
	ctx := context.Background()
	store := syncStore(t)
	seed(t, store, syncGuide("a-01", "公积金提取"), syncGuide("b-01", "护照签发"),
		syncGuide("c-01", "居住证申领"), syncGuide("d-01", "失业保险金申领"))
	b2 := syncGuide("b-01", "出入境证件办理")
	b2.Version = 2
	if err := store.UpdateGuide(ctx, &b2, []string{"name"}); err != nil {
		t.Fatal(err)
	}
	ix := openIndex(t)
	mustSync(t, newNode(store, ix, knowledge.Target{Name: "embedded", Index: ix}).syncer)
	inStep(t, store, ix)

	// The index drifts while the server is down.
	if err := ix.Delete(ctx, []string{"a-01"}); err != nil {
		t.Fatal(err)
	}
	history, err := store.History(ctx, "b-01")
	if err != nil || len(history) != 2 || history[1].Version != 1 {
		t.Fatalf("history %+v, %v", history, err)
	}
	if err := ix.Upsert(ctx, []knowledge.Guide{*history[1].Guide, syncGuide("x-01", "幽灵事项")}); err != nil {
		t.Fatal(err)
	}
	if got := found(t, newNode(store, ix).service, "护照签发"); !slices.Equal(got, []string{"b-01 护照签发"}) {
		t.Fatalf("the stale version is not in the index: %q", got)
	}

	restarted := newNode(store, ix, knowledge.Target{Name: "embedded", Index: ix})
	mustSync(t, restarted.syncer)
	inStep(t, store, ix)
	reports, err := restarted.syncer.Verify(ctx)
	if r := reports["embedded"]; err != nil || r.Database != r.Index || r.Repaired+r.Removed != 0 {
		t.Fatalf("after the repair: %+v, %v", r, err)
	}
	for _, tc := range []struct{ query, want, notWant string }{
		{"公积金提取", "a-01 公积金提取", ""},
		{"出入境证件办理", "b-01 出入境证件办理", ""},
		{"护照签发", "", "b-01 护照签发"},
		{"幽灵事项", "", "x-01 幽灵事项"},
	} {
		got := found(t, restarted.service, tc.query)
		if (tc.want != "" && !slices.Contains(got, tc.want)) || (tc.notWant != "" && slices.Contains(got, tc.notWant)) {
			t.Errorf("%s: found %q; want %q, not %q", tc.query, got, tc.want, tc.notWant)
		}
	}
}

func TestSyncer_FollowsChanges(t *testing.T) {
	store := syncStore(t)
	seed(t, store, syncGuide("d-01", "失业保险金申领"))
	ix := openIndex(t)
	n := newNode(store, ix, knowledge.Target{Name: "embedded", Index: ix})
	mustSync(t, n.syncer)
	ctx := context.Background()
	svc := n.service

	for _, g := range []knowledge.Guide{syncGuide("gjj-01", "公积金提取"), syncGuide("hz-01", "护照签发")} {
		g.Version = 0
		if _, err := svc.Create(ctx, admin, g); err != nil {
			t.Fatal(err)
		}
	}
	mustSync(t, n.syncer)
	if got := found(t, svc, "公积金提取"); !slices.Equal(got, []string{"gjj-01 公积金提取"}) {
		t.Fatalf("created guide: found %q", got)
	}

	renamed := syncGuide("gjj-01", "居住证申领")
	renamed.Version = 1
	if _, err := svc.Update(ctx, admin, "gjj-01", renamed); err != nil {
		t.Fatal(err)
	}
	if err := svc.Delete(ctx, admin, "hz-01"); err != nil {
		t.Fatal(err)
	}
	draft := syncGuide("cg-01", "草稿事项测试")
	draft.Status = knowledge.StatusDraft
	if _, err := svc.Create(ctx, admin, draft); err != nil {
		t.Fatal(err)
	}
	mustSync(t, n.syncer)
	inStep(t, store, ix)

	for _, tc := range []struct {
		name     string
		query    string
		statuses []knowledge.Status
		code     string
		want     string // the hit for code as "code name"; "" for none
	}{
		{"NewName", "居住证申领", nil, "gjj-01", "gjj-01 居住证申领"},
		{"OldName", "公积金提取", nil, "gjj-01", ""},
		{"Deleted", "护照签发", nil, "hz-01", ""},
		{"DraftHiddenByDefault", "草稿事项测试", nil, "cg-01", ""},
		{"DraftForAdmin", "草稿事项测试", []knowledge.Status{knowledge.StatusDraft}, "cg-01", "cg-01 草稿事项测试"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := found(t, svc, tc.query, tc.statuses...)
			i := slices.IndexFunc(got, func(h string) bool { return strings.HasPrefix(h, tc.code+" ") })
			if (tc.want == "" && i >= 0) || (tc.want != "" && (i < 0 || got[i] != tc.want)) {
				t.Fatalf("%s: found %q, want %q", tc.query, got, tc.want)
			}
		})
	}
}

func TestSyncer_SynonymsReachOtherNodes(t *testing.T) {
	ctx := context.Background()
	store := syncStore(t)
	seed(t, store, syncGuide("yj-01", "外国人永久居留申请"))
	ixA, ixB := openIndex(t), openIndex(t)
	a := newNode(store, ixA, knowledge.Target{Name: "a", Index: ixA})
	b := newNode(store, ixB, knowledge.Target{Name: "b", Index: ixB})
	mustSync(t, a.syncer)
	mustSync(t, b.syncer)
	if got := found(t, b.service, "绿卡"); len(got) != 0 {
		t.Fatalf("before the synonym: found %q", got)
	}

	syn := knowledge.DefaultSynonyms()
	syn["绿卡"] = []string{"永久居留"}
	if _, err := a.service.SetSynonyms(ctx, admin, syn); err != nil {
		t.Fatal(err)
	}
	mustSync(t, b.syncer)
	if got := found(t, b.service, "绿卡"); !slices.Equal(got, []string{"yj-01 外国人永久居留申请"}) {
		t.Fatalf("the second node with the new synonym: found %q", got)
	}
	if !slices.Equal(b.analyzer.Synonyms()["绿卡"], []string{"永久居留"}) {
		t.Fatalf("the second node's synonyms: %v", b.analyzer.Synonyms())
	}
}

// flakyIndex fails every Upsert while down is set, as an unreachable
// Meilisearch would.
type flakyIndex struct {
	knowledge.Index
	down atomic.Bool
}

func (f *flakyIndex) Upsert(ctx context.Context, guides []knowledge.Guide) error {
	if f.down.Load() {
		return errs.E(errs.Unavailable, "down")
	}
	return f.Index.Upsert(ctx, guides)
}

func TestSyncer_FailingIndexDoesNotHoldBackOthers(t *testing.T) {
	ctx := context.Background()
	store := syncStore(t)
	seed(t, store, syncGuide("a-01", "公积金提取"), syncGuide("b-01", "护照签发"))
	flaky := &flakyIndex{Index: openIndex(t)}
	healthy := openIndex(t)
	n := newNode(store, healthy, knowledge.Target{Name: "flaky", Index: flaky}, knowledge.Target{Name: "healthy", Index: healthy})
	mustSync(t, n.syncer)

	flaky.down.Store(true)
	seed(t, store, syncGuide("c-01", "居住证申领"))
	if err := store.DeleteGuide(ctx, "b-01", 1, "admin", syncTime); err != nil {
		t.Fatal(err)
	}
	err := n.syncer.SyncOnce(ctx)
	if errs.CodeOf(err) != errs.Unavailable || !strings.Contains(err.Error(), "flaky") || strings.Contains(err.Error(), "healthy") {
		t.Fatalf("sync with one index down: got %v, want unavailable for flaky only", err)
	}
	inStep(t, store, healthy)
	if v, err := flaky.Versions(ctx); err != nil || v["c-01"] != 0 || v["b-01"] != 1 {
		t.Fatalf("the failed index changed: %v, %v", v, err)
	}

	// Another change while it is still down, then it comes back.
	seed(t, store, syncGuide("d-01", "失业保险金申领"))
	if err := n.syncer.SyncOnce(ctx); err == nil {
		t.Fatal("sync with one index down succeeded")
	}
	inStep(t, store, healthy)
	flaky.down.Store(false)
	mustSync(t, n.syncer)
	inStep(t, store, flaky)
	inStep(t, store, healthy)
}

func TestSyncer_ReportsEveryFailedIndex(t *testing.T) {
	store := syncStore(t)
	one, two := &flakyIndex{Index: openIndex(t)}, &flakyIndex{Index: openIndex(t)}
	n := newNode(store, nil, knowledge.Target{Name: "one", Index: one}, knowledge.Target{Name: "two", Index: two})
	mustSync(t, n.syncer)
	one.down.Store(true)
	two.down.Store(true)
	seed(t, store, syncGuide("a-01", "公积金提取"))
	err := n.syncer.SyncOnce(context.Background())
	if err == nil || !strings.Contains(err.Error(), "index one") || !strings.Contains(err.Error(), "index two") {
		t.Fatalf("got %v, want the failures of both indexes", err)
	}
}

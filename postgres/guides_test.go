package postgres_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/knowledge"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/postgres/pgtest"
	"github.com/open12345/hotline/ticketing"
)

var guideTime = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// guideFixture is a GuideStore on a fresh database with the departments
// rsj and gaj, and the TicketStore on the same database.
func guideFixture(t *testing.T) (*postgres.GuideStore, *postgres.TicketStore) {
	t.Helper()
	db := pgtest.NewDB(t)
	tickets := postgres.NewTicketStore(db)
	for _, d := range []ticketing.Department{{Code: "rsj", Name: "市人社局"}, {Code: "gaj", Name: "市公安局"}} {
		d.CreatedAt = guideTime
		if err := tickets.SaveDepartment(context.Background(), d); err != nil {
			t.Fatal(err)
		}
	}
	return postgres.NewGuideStore(db), tickets
}

// newGuide returns a published rsj guide at version 1 with every field set.
func newGuide(code, name string) knowledge.Guide {
	return knowledge.Guide{Code: code, Name: name, Department: "rsj", Category: "社会保障",
		Scope: "本市参保人员", Conditions: "1.已参保；2.'; DROP TABLE guides; --",
		Materials: []knowledge.Material{{Name: "居民身份证", Form: "原件", Copies: 1}, {Name: "社会保障卡", Form: "复印件", Copies: 2}},
		Process:   "1.申请；2.受理；3.办结", TimeLimit: "5个工作日", Fee: "不收费", Location: "市民服务中心3楼",
		Hours: "工作日 9:00-17:00", Phone: "12345", LegalBasis: "《社会保险法》", OnlineURL: "https://zwfw.example.gov.cn/x",
		Keywords: []string{"社保", "参保"}, Status: knowledge.StatusPublished, ReviewBy: "2027-06-30",
		Version: 1, UpdatedAt: guideTime, UpdatedBy: "admin"}
}

// mustCreate stores guides, failing the test on any error.
func mustCreate(t *testing.T, s *postgres.GuideStore, guides ...knowledge.Guide) {
	t.Helper()
	for i := range guides {
		if err := s.CreateGuide(context.Background(), &guides[i]); err != nil {
			t.Fatalf("create %s: %v", guides[i].Code, err)
		}
	}
}

// mustGet returns the stored guide with its time in the zone of want's,
// so that whole guides compare with reflect.DeepEqual.
func mustGet(t *testing.T, s *postgres.GuideStore, code string) knowledge.Guide {
	t.Helper()
	g, err := s.Guide(context.Background(), code)
	if err != nil {
		t.Fatalf("guide %s: %v", code, err)
	}
	g.UpdatedAt = g.UpdatedAt.UTC()
	return *g
}

func codesOf(gs []knowledge.Guide) []string {
	out := []string{}
	for _, g := range gs {
		out = append(out, g.Code)
	}
	return out
}

func changeCodes(cs []knowledge.Change) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.Code)
	}
	return out
}

func TestGuideStore_Create(t *testing.T) {
	ctx := context.Background()
	s, _ := guideFixture(t)
	g := newGuide("rsj-001", "失业保险金申领")
	mustCreate(t, s, g)

	t.Run("GuideReturnsEveryField", func(t *testing.T) {
		if got := mustGet(t, s, "rsj-001"); !reflect.DeepEqual(got, g) {
			t.Fatalf("got  %+v\nwant %+v", got, g)
		}
	})
	t.Run("EmptyListsRoundTripEmpty", func(t *testing.T) {
		bare := knowledge.Guide{Code: "rsj-bare", Name: "空白", Department: "rsj", Status: knowledge.StatusDraft,
			Version: 1, UpdatedAt: guideTime}
		mustCreate(t, s, bare)
		got := mustGet(t, s, "rsj-bare")
		if got.Materials == nil || len(got.Materials) != 0 || len(got.Keywords) != 0 || got.ReviewBy != "" {
			t.Fatalf("got materials %#v, keywords %#v, review_by %q", got.Materials, got.Keywords, got.ReviewBy)
		}
	})
	t.Run("SameCodeIsConflict", func(t *testing.T) {
		again := newGuide("rsj-001", "另一个名称")
		if err := s.CreateGuide(ctx, &again); errs.CodeOf(err) != errs.Conflict {
			t.Fatalf("got %v, want conflict", err)
		}
		if got := mustGet(t, s, "rsj-001"); got.Name != g.Name {
			t.Fatalf("a refused create changed the guide: %+v", got)
		}
	})
	t.Run("UnknownDepartmentIsInvalid", func(t *testing.T) {
		bad := newGuide("xyz-001", "未知部门事项")
		bad.Department = "xyz"
		if err := s.CreateGuide(ctx, &bad); errs.CodeOf(err) != errs.Invalid {
			t.Fatalf("got %v, want invalid", err)
		}
	})
	t.Run("MissingCodeIsNotFound", func(t *testing.T) {
		if _, err := s.Guide(ctx, "rsj-404"); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("got %v, want not_found", err)
		}
	})
	t.Run("GuidesByCodeReturnsTheExistingOnes", func(t *testing.T) {
		gs, err := s.GuidesByCode(ctx, []string{"rsj-404", "rsj-bare", "rsj-001"})
		if err != nil || !slices.Equal(codesOf(gs), []string{"rsj-001", "rsj-bare"}) {
			t.Fatalf("got %v, %v", codesOf(gs), err)
		}
	})
}

func TestGuideStore_Update(t *testing.T) {
	ctx := context.Background()
	s, _ := guideFixture(t)
	v1 := newGuide("rsj-001", "失业保险金申领")
	mustCreate(t, s, v1)
	v2 := v1
	v2.Name, v2.Keywords, v2.Version = "失业保险金申领（线上）", []string{"失业金"}, 2
	v2.UpdatedAt, v2.UpdatedBy = guideTime.Add(time.Hour), "editor"

	t.Run("NextVersionIsSavedAndHistoryListsIt", func(t *testing.T) {
		if err := s.UpdateGuide(ctx, &v2, []string{"name", "keywords"}); err != nil {
			t.Fatal(err)
		}
		if got := mustGet(t, s, "rsj-001"); !reflect.DeepEqual(got, v2) {
			t.Fatalf("got  %+v\nwant %+v", got, v2)
		}
		h, err := s.History(ctx, "rsj-001")
		if err != nil || len(h) != 2 {
			t.Fatalf("history %+v, %v", h, err)
		}
		if h[0].Action != "updated" || h[0].Version != 2 || !slices.Equal(h[0].Changed, []string{"name", "keywords"}) ||
			h[0].By != "editor" || !h[0].At.Equal(v2.UpdatedAt) || h[0].Guide == nil || h[0].Guide.Name != v2.Name {
			t.Fatalf("newest entry %+v", h[0])
		}
		if h[1].Action != "created" || h[1].Version != 1 || len(h[1].Changed) != 0 || h[1].By != "admin" ||
			h[1].Guide == nil || h[1].Guide.Name != v1.Name || !slices.Equal(h[1].Guide.Keywords, v1.Keywords) ||
			h[1].Seq >= h[0].Seq {
			t.Fatalf("oldest entry %+v", h[1])
		}
	})
	t.Run("StaleVersionIsConflictAndChangesNothing", func(t *testing.T) {
		last, err := s.LastChange(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, version := range []int{1, 2, 4} {
			stale := v2
			stale.Name, stale.Version = fmt.Sprintf("过期版本 %d", version), version
			if err := s.UpdateGuide(ctx, &stale, []string{"name"}); errs.CodeOf(err) != errs.Conflict {
				t.Fatalf("version %d over stored 2: got %v, want conflict", version, err)
			}
		}
		if got := mustGet(t, s, "rsj-001"); !reflect.DeepEqual(got, v2) {
			t.Fatalf("a refused update changed the guide: %+v", got)
		}
		if now, err := s.LastChange(ctx); err != nil || now != last {
			t.Fatalf("a refused update recorded a change: last %d, was %d (%v)", now, last, err)
		}
	})
	t.Run("MissingGuideIsNotCreated", func(t *testing.T) {
		ghost := newGuide("rsj-ghost", "不存在")
		ghost.Version = 2
		if err := s.UpdateGuide(ctx, &ghost, []string{"name"}); errs.CodeOf(err) != errs.Conflict {
			t.Fatalf("got %v, want conflict", err)
		}
		if _, err := s.Guide(ctx, "rsj-ghost"); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("an update of a missing guide stored it: %v", err)
		}
	})
	t.Run("ConcurrentUpdatesFromOneBaseOneWins", func(t *testing.T) {
		const editors = 8
		var wg sync.WaitGroup
		results := make([]error, editors)
		for i := range editors {
			wg.Add(1)
			go func() {
				defer wg.Done()
				g := v2
				g.Name, g.Version = fmt.Sprintf("并发编辑 %d", i), 3
				results[i] = s.UpdateGuide(ctx, &g, []string{"name"})
			}()
		}
		wg.Wait()
		winner := -1
		for i, err := range results {
			switch {
			case err == nil && winner < 0:
				winner = i
			case err == nil:
				t.Fatalf("editors %d and %d both saved version 3", winner, i)
			case errs.CodeOf(err) != errs.Conflict:
				t.Fatalf("editor %d: got %v, want conflict", i, err)
			}
		}
		if winner < 0 {
			t.Fatal("no editor saved")
		}
		got := mustGet(t, s, "rsj-001")
		if got.Version != 3 || got.Name != fmt.Sprintf("并发编辑 %d", winner) {
			t.Fatalf("stored %q version %d; editor %d won", got.Name, got.Version, winner)
		}
		if h, err := s.History(ctx, "rsj-001"); err != nil || len(h) != 3 {
			t.Fatalf("history has %d entries, want 3 (%v)", len(h), err)
		}
	})
}

func TestGuideStore_Delete(t *testing.T) {
	ctx := context.Background()
	s, _ := guideFixture(t)
	g := newGuide("rsj-001", "失业保险金申领")
	mustCreate(t, s, g)
	g.Version, g.Name = 2, "失业保险金申领（新）"
	if err := s.UpdateGuide(ctx, &g, []string{"name"}); err != nil {
		t.Fatal(err)
	}

	t.Run("WrongVersionIsConflict", func(t *testing.T) {
		for _, version := range []int{1, 3} {
			if err := s.DeleteGuide(ctx, "rsj-001", version, "admin", guideTime); errs.CodeOf(err) != errs.Conflict {
				t.Fatalf("version %d: got %v, want conflict", version, err)
			}
		}
		if got := mustGet(t, s, "rsj-001"); got.Version != 2 {
			t.Fatalf("a refused delete changed the guide: %+v", got)
		}
	})
	t.Run("RightVersionRemovesAndRecordsIt", func(t *testing.T) {
		at := guideTime.Add(2 * time.Hour)
		if err := s.DeleteGuide(ctx, "rsj-001", 2, "remover", at); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Guide(ctx, "rsj-001"); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("after delete: got %v, want not_found", err)
		}
		h, err := s.History(ctx, "rsj-001")
		if err != nil || len(h) != 3 {
			t.Fatalf("history %+v, %v", h, err)
		}
		if h[0].Action != "deleted" || h[0].Version != 2 || h[0].Guide != nil || h[0].By != "remover" || !h[0].At.Equal(at) {
			t.Fatalf("deletion entry %+v", h[0])
		}
		if h[1].Action != "updated" || h[2].Action != "created" {
			t.Fatalf("history %s, %s after the deletion; want updated, created", h[1].Action, h[2].Action)
		}
		cs, err := s.Changes(ctx, 0, 10)
		if err != nil || !slices.Equal(changeCodes(cs), []string{"rsj-001", "rsj-001", "rsj-001"}) {
			t.Fatalf("feed %+v, %v", cs, err)
		}
	})
	t.Run("DeletingAgainIsConflict", func(t *testing.T) {
		if err := s.DeleteGuide(ctx, "rsj-001", 2, "admin", guideTime); errs.CodeOf(err) != errs.Conflict {
			t.Fatalf("got %v, want conflict", err)
		}
	})
	t.Run("AnUpdateFromBeforeTheDeletionDoesNotRevive", func(t *testing.T) {
		late := g
		late.Version = 3
		if err := s.UpdateGuide(ctx, &late, []string{"name"}); errs.CodeOf(err) != errs.Conflict {
			t.Fatalf("got %v, want conflict", err)
		}
		if _, err := s.Guide(ctx, "rsj-001"); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("an update after the deletion revived the guide: %v", err)
		}
	})
	t.Run("TheCodeMayBeCreatedAgain", func(t *testing.T) {
		mustCreate(t, s, newGuide("rsj-001", "失业保险金申领"))
		if h, err := s.History(ctx, "rsj-001"); err != nil || len(h) != 4 || h[0].Action != "created" {
			t.Fatalf("history %+v, %v", h, err)
		}
	})
}

func TestGuideStore_Import(t *testing.T) {
	ctx := context.Background()
	s, _ := guideFixture(t)
	old := newGuide("rsj-001", "失业保险金申领")
	mustCreate(t, s, old)
	replaced := old
	replaced.Name, replaced.Version = "失业保险金申领（导入）", 2
	fresh := newGuide("gaj-001", "居民身份证换领")
	fresh.Department = "gaj"

	t.Run("OneBadGuideStoresNothing", func(t *testing.T) {
		last, err := s.LastChange(ctx)
		if err != nil {
			t.Fatal(err)
		}
		bad := newGuide("xyz-001", "未知部门事项")
		bad.Department = "xyz"
		err = s.ImportGuides(ctx, []knowledge.Guide{fresh, replaced, bad}, "importer", guideTime)
		if errs.CodeOf(err) != errs.Invalid {
			t.Fatalf("got %v, want invalid", err)
		}
		if _, err := s.Guide(ctx, "gaj-001"); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("a failed import stored a new guide: %v", err)
		}
		if got := mustGet(t, s, "rsj-001"); !reflect.DeepEqual(got, old) {
			t.Fatalf("a failed import replaced a guide: %+v", got)
		}
		if now, err := s.LastChange(ctx); err != nil || now != last {
			t.Fatalf("a failed import recorded changes: last %d, was %d (%v)", now, last, err)
		}
	})
	t.Run("GoodBatchCreatesAndReplaces", func(t *testing.T) {
		last, err := s.LastChange(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.ImportGuides(ctx, []knowledge.Guide{fresh, replaced}, "importer", guideTime); err != nil {
			t.Fatal(err)
		}
		if got := mustGet(t, s, "gaj-001"); !reflect.DeepEqual(got, fresh) {
			t.Fatalf("got  %+v\nwant %+v", got, fresh)
		}
		if got := mustGet(t, s, "rsj-001"); !reflect.DeepEqual(got, replaced) {
			t.Fatalf("got  %+v\nwant %+v", got, replaced)
		}
		cs, err := s.Changes(ctx, last, 10)
		if err != nil || !slices.Equal(changeCodes(cs), []string{"gaj-001", "rsj-001"}) {
			t.Fatalf("feed after import %+v, %v", cs, err)
		}
		h, err := s.History(ctx, "rsj-001")
		if err != nil || len(h) != 2 || h[0].Action != "imported" || h[0].Version != 2 || h[0].Guide.Name != replaced.Name {
			t.Fatalf("history %+v, %v", h, err)
		}
	})
}

func TestGuideStore_Changes(t *testing.T) {
	ctx := context.Background()
	s, _ := guideFixture(t)
	if last, err := s.LastChange(ctx); err != nil || last != 0 {
		t.Fatalf("last change of an empty feed: %d, %v", last, err)
	}
	if cs, err := s.Changes(ctx, 0, 10); err != nil || len(cs) != 0 {
		t.Fatalf("empty feed: %+v, %v", cs, err)
	}
	a, b := newGuide("a-1", "事项甲"), newGuide("b-1", "事项乙")
	mustCreate(t, s, a, b)
	a.Version, a.Name = 2, "事项甲（新）"
	if err := s.UpdateGuide(ctx, &a, []string{"name"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSynonyms(ctx, knowledge.Synonyms{"社保": {"社会保险"}}, "admin", guideTime); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteGuide(ctx, "b-1", 1, "admin", guideTime); err != nil {
		t.Fatal(err)
	}
	want := []string{"a-1", "b-1", "a-1", "", "b-1"}

	all, err := s.Changes(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("ListsEveryChangeInSeqOrder", func(t *testing.T) {
		if !slices.Equal(changeCodes(all), want) {
			t.Fatalf("feed %q, want %q", changeCodes(all), want)
		}
		for i := 1; i < len(all); i++ {
			if all[i].Seq <= all[i-1].Seq {
				t.Fatalf("seq out of order: %+v", all)
			}
		}
		if last, err := s.LastChange(ctx); err != nil || last != all[len(all)-1].Seq {
			t.Fatalf("last change %d, %v; want %d", last, err, all[len(all)-1].Seq)
		}
	})
	t.Run("PagesByCursorAndLimit", func(t *testing.T) {
		var paged []knowledge.Change
		var after int64
		for pages := 0; ; pages++ {
			cs, err := s.Changes(ctx, after, 2)
			if err != nil || len(cs) > 2 || pages > 5 {
				t.Fatalf("page %d: %+v, %v", pages, cs, err)
			}
			if len(cs) == 0 {
				break
			}
			paged = append(paged, cs...)
			after = cs[len(cs)-1].Seq
		}
		if !slices.Equal(paged, all) {
			t.Fatalf("paged %+v, want %+v", paged, all)
		}
		if cs, err := s.Changes(ctx, all[1].Seq, 2); err != nil || !slices.Equal(cs, all[2:4]) {
			t.Fatalf("after the second change: %+v, %v", cs, err)
		}
	})
}

// TestGuideStore_ChangesFollowCommitOrder checks that a reader following
// the feed by its last seen seq never skips a change that committed late.
func TestGuideStore_ChangesFollowCommitOrder(t *testing.T) {
	ctx := context.Background()
	s, _ := guideFixture(t)
	const writers, perWriter = 8, 20

	var done atomic.Bool
	seen := map[string]int{}
	readerDone := make(chan error, 1)
	go func() {
		var cursor int64
		for {
			finished := done.Load() // read once more after the writers finished
			cs, err := s.Changes(ctx, cursor, 50)
			if err != nil {
				readerDone <- err
				return
			}
			for _, c := range cs {
				seen[c.Code]++
			}
			if len(cs) > 0 {
				cursor = cs[len(cs)-1].Seq
			} else if finished {
				readerDone <- nil
				return
			}
		}
	}()

	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				g := newGuide(fmt.Sprintf("w%d-%02d", w, i), fmt.Sprintf("事项 %d-%d", w, i))
				if err := s.CreateGuide(ctx, &g); err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	done.Store(true)
	if err := <-readerDone; err != nil {
		t.Fatal(err)
	}
	if len(seen) != writers*perWriter {
		t.Fatalf("the reader saw %d of %d guides", len(seen), writers*perWriter)
	}
	for code, n := range seen {
		if n != 1 {
			t.Errorf("the reader saw %s %d times", code, n)
		}
	}
}

func TestGuideStore_Queries(t *testing.T) {
	ctx := context.Background()
	s, tickets := guideFixture(t)
	guide := func(code, dept, category string, status knowledge.Status, reviewBy string, keywords ...string) knowledge.Guide {
		g := newGuide(code, "事项 "+code)
		g.Department, g.Category, g.Status, g.ReviewBy, g.Keywords = dept, category, status, reviewBy, keywords
		return g
	}
	mustCreate(t, s,
		guide("a1", "rsj", "社会保障", knowledge.StatusPublished, "2027-01-01", "社保", "参保"),
		guide("a2", "rsj", "就业创业", knowledge.StatusDraft, "2026-01-01", "就业"),
		guide("a3", "gaj", "户籍", knowledge.StatusPublished, "2026-06-30", "户口", "社保"),
		guide("a4", "gaj", "社会保障", knowledge.StatusArchived, "2025-01-01"),
		guide("a5", "rsj", "", knowledge.StatusPublished, "2028-01-01"),
		guide("a6", "rsj", "社会保障", knowledge.StatusPublished, ""),
	)

	t.Run("ListGuides", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			filter knowledge.ListFilter
			want   []string
		}{
			{"All", knowledge.ListFilter{}, []string{"a1", "a2", "a3", "a4", "a5", "a6"}},
			{"Department", knowledge.ListFilter{Department: "gaj"}, []string{"a3", "a4"}},
			{"Category", knowledge.ListFilter{Category: "社会保障"}, []string{"a1", "a4", "a6"}},
			{"Status", knowledge.ListFilter{Status: knowledge.StatusDraft}, []string{"a2"}},
			{"DepartmentAndStatus", knowledge.ListFilter{Department: "rsj", Status: knowledge.StatusPublished}, []string{"a1", "a5", "a6"}},
			{"ReviewBeforeOnlyPublished", knowledge.ListFilter{ReviewBefore: "2027-01-01"}, []string{"a1", "a3"}},
			{"ReviewBeforeAndDepartment", knowledge.ListFilter{ReviewBefore: "2027-01-01", Department: "gaj"}, []string{"a3"}},
			{"AfterAndLimit", knowledge.ListFilter{After: "a2", Limit: 2}, []string{"a3", "a4"}},
			{"AfterTheLast", knowledge.ListFilter{After: "a6"}, []string{}},
			{"Limit", knowledge.ListFilter{Limit: 1}, []string{"a1"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				gs, err := s.ListGuides(ctx, tc.filter)
				if err != nil || !slices.Equal(codesOf(gs), tc.want) {
					t.Fatalf("got %v, %v; want %v", codesOf(gs), err, tc.want)
				}
			})
		}
	})
	t.Run("AllVersions", func(t *testing.T) {
		g := mustGet(t, s, "a3")
		g.Version = 2
		if err := s.UpdateGuide(ctx, &g, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteGuide(ctx, "a6", 1, "admin", guideTime); err != nil {
			t.Fatal(err)
		}
		got, err := s.AllVersions(ctx)
		want := map[string]int{"a1": 1, "a2": 1, "a3": 2, "a4": 1, "a5": 1}
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("got %v, %v; want %v", got, err, want)
		}
	})
	t.Run("Vocabulary", func(t *testing.T) {
		got, err := s.Vocabulary(ctx)
		slices.Sort(got)
		want := []string{"参保", "就业", "就业创业", "户口", "户籍", "社会保障", "社保"}
		slices.Sort(want)
		if err != nil || !slices.Equal(got, want) {
			t.Fatalf("got %q, %v; want %q", got, err, want)
		}
	})
	t.Run("UnknownDepartments", func(t *testing.T) {
		got, err := s.UnknownDepartments(ctx, []string{"rsj", "nope", "gaj", "xyz"})
		slices.Sort(got)
		if err != nil || !slices.Equal(got, []string{"nope", "xyz"}) {
			t.Fatalf("got %q, %v", got, err)
		}
		if got, err := s.UnknownDepartments(ctx, []string{"rsj"}); err != nil || len(got) != 0 {
			t.Fatalf("all known: got %q, %v", got, err)
		}
	})
	t.Run("Synonyms", func(t *testing.T) {
		if syn, ok, err := s.Synonyms(ctx); err != nil || ok || syn != nil {
			t.Fatalf("before any were stored: %v, %v, %v", syn, ok, err)
		}
		for _, want := range []knowledge.Synonyms{
			{"社保": {"社会保险"}, "医保": {"医疗保险", "医疗保障"}},
			{"公积金": {"住房公积金"}},
		} {
			if err := s.SetSynonyms(ctx, want, "admin", guideTime); err != nil {
				t.Fatal(err)
			}
			if got, ok, err := s.Synonyms(ctx); err != nil || !ok || !reflect.DeepEqual(got, want) {
				t.Fatalf("got %v, %v, %v; want %v", got, ok, err, want)
			}
		}
	})
	t.Run("GuideExistsOnlyWhenPublished", func(t *testing.T) {
		for code, want := range map[string]bool{"a1": true, "a2": false, "a4": false, "a6": false, "zz": false} {
			if got, err := tickets.GuideExists(ctx, code); err != nil || got != want {
				t.Errorf("%s: got %v, %v; want %v", code, got, err, want)
			}
		}
	})
}

package knowledge_test

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/knowledge"
)

// fakeStore is an in-memory knowledge.Store: a map of guides and a list
// of the changes written.
type fakeStore struct {
	mu          sync.Mutex
	guides      map[string]knowledge.Guide
	changes     []knowledge.Change
	departments []string // the known departments
	synonyms    knowledge.Synonyms
}

var _ knowledge.Store = (*fakeStore)(nil)

func newFakeStore(departments ...string) *fakeStore {
	return &fakeStore{guides: map[string]knowledge.Guide{}, departments: departments}
}

func (s *fakeStore) record(code string) {
	s.changes = append(s.changes, knowledge.Change{Seq: int64(len(s.changes) + 1), Code: code})
}

// snapshot returns the guides and the number of changes, to compare before and after.
func (s *fakeStore) snapshot() (map[string]knowledge.Guide, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.guides), len(s.changes)
}

func (s *fakeStore) Guide(_ context.Context, code string) (*knowledge.Guide, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.guides[code]
	if !ok {
		return nil, errs.E(errs.NotFound, "no guide %s", code)
	}
	return &g, nil
}

func (s *fakeStore) GuidesByCode(_ context.Context, codes []string) ([]knowledge.Guide, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []knowledge.Guide
	for _, c := range codes {
		if g, ok := s.guides[c]; ok {
			out = append(out, g)
		}
	}
	return out, nil
}

func (s *fakeStore) CreateGuide(_ context.Context, g *knowledge.Guide) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.guides[g.Code]; ok {
		return errs.E(errs.Conflict, "guide %s exists", g.Code)
	}
	s.guides[g.Code] = *g
	s.record(g.Code)
	return nil
}

func (s *fakeStore) UpdateGuide(_ context.Context, g *knowledge.Guide, _ []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.guides[g.Code]; !ok || old.Version != g.Version-1 {
		return errs.E(errs.Conflict, "guide %s moved on", g.Code)
	}
	s.guides[g.Code] = *g
	s.record(g.Code)
	return nil
}

func (s *fakeStore) DeleteGuide(_ context.Context, code string, version int, _ string, _ time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.guides[code]; !ok || old.Version != version {
		return errs.E(errs.Conflict, "guide %s moved on", code)
	}
	delete(s.guides, code)
	s.record(code)
	return nil
}

func (s *fakeStore) ImportGuides(_ context.Context, guides []knowledge.Guide, _ string, _ time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range guides {
		s.guides[g.Code] = g
		s.record(g.Code)
	}
	return nil
}

func (s *fakeStore) ListGuides(_ context.Context, f knowledge.ListFilter) ([]knowledge.Guide, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []knowledge.Guide
	for _, code := range slices.Sorted(maps.Keys(s.guides)) {
		g := s.guides[code]
		if code <= f.After || (f.Department != "" && g.Department != f.Department) ||
			(f.Status != "" && g.Status != f.Status) || (f.Category != "" && g.Category != f.Category) ||
			(f.ReviewBefore != "" && (g.ReviewBy == "" || g.ReviewBy > f.ReviewBefore)) {
			continue
		}
		if f.Limit > 0 && len(out) == f.Limit {
			break
		}
		out = append(out, g)
	}
	return out, nil
}

func (s *fakeStore) History(context.Context, string) ([]knowledge.Version, error) { return nil, nil }
func (s *fakeStore) AllVersions(context.Context) (map[string]int, error)          { return nil, nil }
func (s *fakeStore) Vocabulary(context.Context) ([]string, error)                 { return nil, nil }

func (s *fakeStore) Changes(_ context.Context, after int64, limit int) ([]knowledge.Change, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.changes[min(int(after), len(s.changes)):]
	return slices.Clone(out[:min(limit, len(out))]), nil
}

func (s *fakeStore) LastChange(context.Context) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return int64(len(s.changes)), nil
}

func (s *fakeStore) UnknownDepartments(_ context.Context, codes []string) ([]string, error) {
	var out []string
	for _, c := range codes {
		if !slices.Contains(s.departments, c) {
			out = append(out, c)
		}
	}
	return out, nil
}

func (s *fakeStore) Synonyms(context.Context) (knowledge.Synonyms, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.synonyms, s.synonyms != nil, nil
}

func (s *fakeStore) SetSynonyms(_ context.Context, syn knowledge.Synonyms, _ string, _ time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.synonyms = syn
	s.record("")
	return nil
}

// fakeSearcher records the plans it is asked and answers with hits.
type fakeSearcher struct {
	plans []knowledge.Plan
	hits  []knowledge.Hit
}

func (f *fakeSearcher) Search(_ context.Context, p knowledge.Plan) ([]knowledge.Hit, int, error) {
	f.plans = append(f.plans, p)
	return f.hits, len(f.hits), nil
}

var (
	t0         = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	admin      = auth.Actor{Username: "admin1", Role: auth.RoleAdmin}
	supervisor = auth.Actor{Username: "sup1", Role: auth.RoleSupervisor}
	agent      = auth.Actor{Username: "agent1", Role: auth.RoleAgent}
	police     = auth.Actor{Username: "gaj1", Role: auth.RoleDepartment, Department: "gaj"}
	labour     = auth.Actor{Username: "rsj1", Role: auth.RoleDepartment, Department: "rsj"}
)

// env is a Service over a fake store and searcher that counts the
// changed calls and checks that each follows a write.
type env struct {
	svc     *knowledge.Service
	store   *fakeStore
	search  *fakeSearcher
	clock   *clock.Fake
	changed int
	writes  int // changes in the store at the last changed call
}

func newEnv(t *testing.T) *env {
	e := &env{store: newFakeStore("gaj", "rsj", "scjgj"), search: &fakeSearcher{}, clock: clock.NewFake(t0)}
	changed := func() {
		_, n := e.store.snapshot()
		if n <= e.writes {
			t.Errorf("changed called without a new change in the store (%d changes)", n)
		}
		e.changed, e.writes = e.changed+1, n
	}
	e.svc = knowledge.NewService(e.store, e.search, knowledge.NewAnalyzer(knowledge.DefaultSynonyms()), e.clock,
		time.UTC, slog.New(slog.DiscardHandler), changed)
	return e
}

// guide returns a valid guide of department.
func guide(code, department string, status knowledge.Status) knowledge.Guide {
	return knowledge.Guide{Code: code, Name: "事项" + code, Department: department, Status: status,
		Scope: "本市居民申领社会保障卡。", Keywords: []string{"社保卡"}}
}

// seed creates guides as the admin.
func (e *env) seed(t *testing.T, guides ...knowledge.Guide) {
	t.Helper()
	for _, g := range guides {
		if _, err := e.svc.Create(context.Background(), admin, g); err != nil {
			t.Fatalf("seed %s: %v", g.Code, err)
		}
	}
}

func wantCode(t *testing.T, what string, err error, code errs.Code) {
	t.Helper()
	if errs.CodeOf(err) != code {
		t.Errorf("%s: err = %v, want %s", what, err, code)
	}
}

func TestService_Create(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	for _, tc := range []struct {
		actor auth.Actor
		dept  string
		want  errs.Code
	}{
		{admin, "rsj", ""}, {supervisor, "gaj", ""}, {police, "gaj", ""},
		{police, "rsj", errs.Forbidden}, {labour, "gaj", errs.Forbidden}, {agent, "gaj", errs.Forbidden},
	} {
		code := tc.actor.Username + "-" + tc.dept
		g, err := e.svc.Create(ctx, tc.actor, guide(code, tc.dept, ""))
		wantCode(t, tc.actor.Username+" creates for "+tc.dept, err, tc.want)
		if err != nil {
			continue
		}
		if g.Version != 1 || !g.UpdatedAt.Equal(t0) || g.UpdatedBy != tc.actor.Username || g.Status != knowledge.StatusDraft {
			t.Errorf("created %+v; want version 1, now, by %s, draft", g, tc.actor.Username)
		}
	}
	before := e.changed
	_, err := e.svc.Create(ctx, admin, guide("admin1-rsj", "rsj", ""))
	wantCode(t, "a taken code", err, errs.Conflict)
	_, err = e.svc.Create(ctx, admin, knowledge.Guide{Code: "X1", Department: "gaj"})
	wantCode(t, "no name", err, errs.Invalid)
	if e.changed != before {
		t.Errorf("changed called %d times for refused creations", e.changed-before)
	}
	if e.changed != 3 {
		t.Errorf("changed called %d times, want 3", e.changed)
	}
}

func TestService_Update(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.seed(t, guide("G1", "gaj", knowledge.StatusPublished), guide("R1", "rsj", knowledge.StatusPublished))
	edit := func(code, dept, name string, version int) knowledge.Guide {
		g := guide(code, dept, knowledge.StatusPublished)
		g.Name, g.Version = name, version
		return g
	}
	for _, tc := range []struct {
		name  string
		actor auth.Actor
		code  string
		g     knowledge.Guide
		want  errs.Code
	}{
		{"AgentIsForbidden", agent, "G1", edit("G1", "gaj", "新", 0), errs.Forbidden},
		{"OtherDepartmentIsForbidden", labour, "G1", edit("G1", "gaj", "新", 0), errs.Forbidden},
		{"MovingToAnotherDepartmentIsForbidden", police, "G1", edit("G1", "rsj", "新", 0), errs.Forbidden},
		{"TakingAnotherDepartmentsGuideIsForbidden", police, "R1", edit("R1", "gaj", "新", 0), errs.Forbidden},
		{"CodeCannotChange", admin, "G1", edit("G2", "gaj", "新", 0), errs.Invalid},
		{"InvalidGuide", admin, "G1", edit("G1", "gaj", "", 0), errs.Invalid},
		{"Missing", admin, "NOPE", edit("NOPE", "gaj", "新", 0), errs.NotFound},
		{"StaleVersionConflicts", admin, "G1", edit("G1", "gaj", "新", 2), errs.Conflict},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, n := e.store.snapshot()
			_, err := e.svc.Update(ctx, tc.actor, tc.code, tc.g)
			wantCode(t, "Update", err, tc.want)
			if after, m := e.store.snapshot(); m != n || !maps.EqualFunc(before, after, sameGuide) {
				t.Errorf("the store changed")
			}
		})
	}
	e.clock.Advance(time.Hour)
	g, err := e.svc.Update(ctx, police, "G1", edit("", "gaj", "新名称", 1))
	if err != nil || g.Version != 2 || g.Name != "新名称" || g.UpdatedBy != police.Username || !g.UpdatedAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("Update by its department = %+v, %v", g, err)
	}
	_, err = e.svc.Update(ctx, supervisor, "G1", edit("G1", "gaj", "再改", 1))
	wantCode(t, "an edit of version 1 after version 2", err, errs.Conflict)
	g, err = e.svc.Update(ctx, supervisor, "R1", edit("R1", "gaj", "改属公安", 0))
	if err != nil || g.Department != "gaj" || g.Version != 2 {
		t.Errorf("supervisor moves a guide: %+v, %v", g, err)
	}
	if e.changed != 4 {
		t.Errorf("changed called %d times, want 4 (2 creations, 2 updates)", e.changed)
	}
}

func sameGuide(a, b knowledge.Guide) bool {
	return a.Version == b.Version && len(a.Changed(&b)) == 0
}

func TestService_UpdateWithoutChangeWritesNothing(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.seed(t, guide("G1", "gaj", knowledge.StatusDraft))
	_, n := e.store.snapshot()
	e.clock.Advance(time.Hour)
	g := guide("G1", "gaj", knowledge.StatusDraft)
	g.Name = "  " + g.Name + " " // the same once normalised
	got, err := e.svc.Update(ctx, police, "G1", g)
	if err != nil || got.Version != 1 || !got.UpdatedAt.Equal(t0) || got.UpdatedBy != admin.Username {
		t.Errorf("Update = %+v, %v; want the stored version 1 unchanged", got, err)
	}
	if _, m := e.store.snapshot(); m != n || e.changed != 1 {
		t.Errorf("%d writes and %d changed calls for an update without change", m-n, e.changed-1)
	}
}

func TestService_Delete(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.seed(t, guide("G1", "gaj", knowledge.StatusPublished), guide("G2", "gaj", knowledge.StatusDraft),
		guide("R1", "rsj", knowledge.StatusPublished))
	wantCode(t, "agent", e.svc.Delete(ctx, agent, "G1"), errs.Forbidden)
	wantCode(t, "other department's published guide", e.svc.Delete(ctx, labour, "G1"), errs.Forbidden)
	wantCode(t, "other department's draft", e.svc.Delete(ctx, labour, "G2"), errs.NotFound)
	wantCode(t, "missing", e.svc.Delete(ctx, admin, "NOPE"), errs.NotFound)
	wantCode(t, "bad code", e.svc.Delete(ctx, admin, "../x"), errs.NotFound)
	if e.changed != 3 {
		t.Errorf("changed called %d times after refused deletions", e.changed)
	}
	if err := e.svc.Delete(ctx, police, "G2"); err != nil {
		t.Errorf("own department: %v", err)
	}
	if err := e.svc.Delete(ctx, supervisor, "R1"); err != nil {
		t.Errorf("supervisor: %v", err)
	}
	if guides, _ := e.store.snapshot(); len(guides) != 1 || e.changed != 5 {
		t.Errorf("left %d guides, %d changed calls; want 1 and 5", len(guides), e.changed)
	}
}

func TestService_Get(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.seed(t, guide("G1", "gaj", knowledge.StatusDraft), guide("G2", "gaj", knowledge.StatusPublished),
		guide("G3", "gaj", knowledge.StatusArchived))
	for _, tc := range []struct {
		actor auth.Actor
		code  string
		want  errs.Code
	}{
		{labour, "G1", errs.NotFound}, {labour, "G3", errs.NotFound}, {labour, "G2", ""},
		{police, "G1", ""}, {agent, "G1", ""}, {supervisor, "G3", ""},
		{admin, "NOPE", errs.NotFound}, {admin, "", errs.NotFound}, {admin, "a b", errs.NotFound},
	} {
		g, err := e.svc.Get(ctx, tc.actor, tc.code)
		wantCode(t, tc.actor.Username+" reads "+tc.code, err, tc.want)
		if err == nil && g.Code != tc.code {
			t.Errorf("Get(%s) = %s", tc.code, g.Code)
		}
	}
	_, err := e.svc.Update(ctx, labour, "G1", guide("G1", "rsj", knowledge.StatusDraft))
	wantCode(t, "update of a hidden draft", err, errs.NotFound)
}

func TestService_List(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.seed(t, guide("G1", "gaj", knowledge.StatusDraft), guide("G2", "gaj", knowledge.StatusPublished),
		guide("R1", "rsj", knowledge.StatusDraft))
	codes := func(gs []knowledge.Guide) string {
		var out []string
		for _, g := range gs {
			out = append(out, g.Code)
		}
		return strings.Join(out, ",")
	}
	gs, err := e.svc.List(ctx, labour, knowledge.ListFilter{})
	if err != nil || codes(gs) != "R1" {
		t.Errorf("department lists %s, %v; want its own", codes(gs), err)
	}
	gs, err = e.svc.List(ctx, labour, knowledge.ListFilter{Status: knowledge.StatusPublished})
	if err != nil || codes(gs) != "G2" {
		t.Errorf("department lists published %s, %v", codes(gs), err)
	}
	_, err = e.svc.List(ctx, labour, knowledge.ListFilter{Department: "gaj"})
	wantCode(t, "department lists another's drafts", err, errs.Forbidden)
	_, err = e.svc.List(ctx, admin, knowledge.ListFilter{Status: "bogus"})
	wantCode(t, "bad status", err, errs.Invalid)
	if gs, _ := e.svc.List(ctx, agent, knowledge.ListFilter{}); codes(gs) != "G1,G2,R1" {
		t.Errorf("agent lists %s", codes(gs))
	}
}

func TestService_Search(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	hit := guide("G1", "gaj", knowledge.StatusPublished)
	e.search.hits = []knowledge.Hit{{Guide: hit, Score: 1.23456}}
	unpublished := []knowledge.Status{knowledge.StatusDraft, knowledge.StatusArchived}
	for _, tc := range []struct {
		actor    auth.Actor
		statuses []knowledge.Status
		want     errs.Code
	}{
		{agent, nil, ""}, {agent, []knowledge.Status{knowledge.StatusPublished}, ""},
		{agent, unpublished, errs.Forbidden}, {police, []knowledge.Status{knowledge.StatusDraft}, errs.Forbidden},
		{supervisor, unpublished, ""}, {admin, []knowledge.Status{knowledge.StatusArchived}, ""},
		{admin, []knowledge.Status{"bogus"}, errs.Invalid},
	} {
		n := len(e.search.plans)
		res, err := e.svc.Search(ctx, tc.actor, knowledge.Query{Text: "社保卡怎么办", Filter: knowledge.Filter{Statuses: tc.statuses}})
		wantCode(t, fmt.Sprint(tc.actor.Role, " searches ", tc.statuses), err, tc.want)
		if err != nil {
			if len(e.search.plans) != n {
				t.Errorf("a refused search reached the index")
			}
			continue
		}
		p := e.search.plans[len(e.search.plans)-1]
		if !slices.Equal(p.Filter.Statuses, tc.statuses) || p.Text != "社保卡" {
			t.Errorf("plan = %+v", p)
		}
		if len(res.Hits) != 1 || res.Total != 1 || res.Hits[0].Code != "G1" || res.Hits[0].Score != 1.235 ||
			!strings.Contains(res.Hits[0].Snippet, "<em>") {
			t.Errorf("result = %+v", res)
		}
	}
	n := len(e.search.plans)
	res, err := e.svc.Search(ctx, agent, knowledge.Query{Text: "请问？"})
	if err != nil || res.Hits == nil || len(res.Hits) != 0 || len(e.search.plans) != n {
		t.Errorf("a query without content = %+v, %v; want no hits without asking the index", res, err)
	}
	_, err = e.svc.Search(ctx, agent, knowledge.Query{Text: strings.Repeat("长", 300)})
	wantCode(t, "a long query", err, errs.Invalid)
	noIndex := knowledge.NewService(e.store, nil, knowledge.NewAnalyzer(nil), e.clock, time.UTC, slog.New(slog.DiscardHandler), nil)
	_, err = noIndex.Search(ctx, agent, knowledge.Query{Text: "社保"})
	wantCode(t, "no index", err, errs.Unavailable)
}

func TestService_PublicSearchForcesPublished(t *testing.T) {
	e := newEnv(t)
	q := knowledge.Query{Text: "社保", Filter: knowledge.Filter{Department: "rsj", Statuses: []knowledge.Status{knowledge.StatusDraft}}}
	if _, err := e.svc.PublicSearch(context.Background(), q); err != nil {
		t.Fatal(err)
	}
	p := e.search.plans[0]
	if !slices.Equal(p.Filter.Statuses, []knowledge.Status{knowledge.StatusPublished}) || p.Filter.Department != "rsj" {
		t.Errorf("filter = %+v, want published only", p.Filter)
	}
}

func TestService_SetSynonyms(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	syn := knowledge.Synonyms{" 社保 ": {"五险", "五险"}}
	for _, a := range []auth.Actor{agent, police} {
		_, err := e.svc.SetSynonyms(ctx, a, syn)
		wantCode(t, string(a.Role), err, errs.Forbidden)
	}
	for _, bad := range []knowledge.Synonyms{{"社保": {}}, {"社保": {"社会 保险"}}, {"社保": {strings.Repeat("字", 31)}}} {
		_, err := e.svc.SetSynonyms(ctx, admin, bad)
		wantCode(t, "bad table", err, errs.Invalid)
	}
	if e.store.synonyms != nil || e.changed != 0 || len(e.svc.Synonyms()["社保"]) != 1 || e.svc.Synonyms()["社保"][0] != "社会保险" {
		t.Fatalf("a refused table was stored or applied: %q", e.svc.Synonyms())
	}
	got, err := e.svc.SetSynonyms(ctx, supervisor, syn)
	if err != nil || !slices.Equal(got["社保"], []string{"五险"}) || len(got) != 1 {
		t.Fatalf("SetSynonyms = %q, %v", got, err)
	}
	if !slices.Equal(e.store.synonyms["社保"], []string{"五险"}) || e.changed != 1 {
		t.Errorf("stored %q, changed %d times", e.store.synonyms, e.changed)
	}
	if _, err := e.svc.Search(ctx, agent, knowledge.Query{Text: "五险"}); err != nil {
		t.Fatal(err)
	}
	if alts := e.search.plans[0].Terms[0].Alternatives; !slices.Equal(alts, []string{"五险", "社保"}) {
		t.Errorf("the analyzer did not take the table: %q", alts)
	}
}

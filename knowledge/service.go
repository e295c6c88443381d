package knowledge

import (
	"context"
	"log/slog"
	"math"
	"slices"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/errs"
)

// Service is the knowledge base as its users see it: editors keep guides
// (admins and supervisors all of them, department staff their own
// department's), everyone on staff reads and searches, citizens search
// published guides.
type Service struct {
	store    Store
	search   Searcher
	analyzer *Analyzer
	clock    clock.Clock
	loc      *time.Location
	log      *slog.Logger
	changed  func() // wakes this node's Syncer after a commit
	cache    *resultCache
}

// NewService returns a Service. search may be nil for a Service that
// never searches (seeding). changed is called after every committed
// change (nil for none), so that the local index follows at once.
func NewService(store Store, search Searcher, analyzer *Analyzer, clk clock.Clock, loc *time.Location, log *slog.Logger, changed func()) *Service {
	if changed == nil {
		changed = func() {}
	}
	return &Service{store: store, search: search, analyzer: analyzer, clock: clk, loc: loc, log: log, changed: changed}
}

// EnableCache keeps the results of the last entries distinct searches,
// each valid until the index or the vocabulary changes. It does nothing
// over a searcher that does not count its changes (Generational).
// Call it before the service is used.
func (s *Service) EnableCache(entries int) {
	if _, ok := s.search.(Generational); ok && entries > 0 {
		s.cache = newResultCache(entries)
	}
}

// Analyzer returns the query analyzer the service searches with.
func (s *Service) Analyzer() *Analyzer { return s.analyzer }

var editors = []auth.Role{auth.RoleAdmin, auth.RoleSupervisor}

// mayEdit reports whether actor may change guides of department.
func mayEdit(actor auth.Actor, department string) error {
	if actor.Is(editors...) || (actor.Is(auth.RoleDepartment) && actor.Department == department) {
		return nil
	}
	if actor.Is(auth.RoleDepartment) {
		return errs.E(errs.Forbidden, "department staff may edit only their own department's guides")
	}
	return errs.E(errs.Forbidden, "the %s role may not edit guides", actor.Role)
}

// mayRead hides unpublished guides of other departments from department staff.
func mayRead(actor auth.Actor, g *Guide) error {
	if actor.Is(auth.RoleDepartment) && g.Status != StatusPublished && g.Department != actor.Department {
		return errs.E(errs.NotFound, "no guide %s", g.Code)
	}
	return nil
}

// Get returns the guide with code. Errors: not_found.
func (s *Service) Get(ctx context.Context, actor auth.Actor, code string) (*Guide, error) {
	if err := ValidateCode(code); err != nil {
		return nil, errs.E(errs.NotFound, "no guide %s", clip(code, 70))
	}
	g, err := s.store.Guide(ctx, code)
	if err != nil {
		return nil, err
	}
	return g, mayRead(actor, g)
}

// Create stores a new guide. Errors: invalid, forbidden, conflict (the
// code is taken).
func (s *Service) Create(ctx context.Context, actor auth.Actor, g Guide) (*Guide, error) {
	if !actor.Is(editors...) && !actor.Is(auth.RoleDepartment) {
		return nil, mayEdit(actor, "")
	}
	g.Normalize()
	if err := g.Validate(); err != nil {
		return nil, err
	}
	if err := mayEdit(actor, g.Department); err != nil {
		return nil, err
	}
	g.Version, g.UpdatedAt, g.UpdatedBy = 1, s.clock.Now(), actor.Username
	if err := s.store.CreateGuide(ctx, &g); err != nil {
		return nil, err
	}
	s.changed()
	return &g, nil
}

// Update replaces the guide with code by g. When g.Version is set it must
// be the version the editor started from (else conflict: someone else
// saved first). Errors: invalid, forbidden, not_found, conflict.
func (s *Service) Update(ctx context.Context, actor auth.Actor, code string, g Guide) (*Guide, error) {
	old, err := s.Get(ctx, actor, code)
	if err != nil {
		return nil, err
	}
	if g.Code == "" {
		g.Code = code
	}
	if g.Code != code {
		return nil, errs.E(errs.Invalid, "code %s cannot be changed to %s", code, clip(g.Code, 70))
	}
	g.Normalize()
	if err := g.Validate(); err != nil {
		return nil, err
	}
	if err := mayEdit(actor, old.Department); err != nil {
		return nil, err
	}
	if err := mayEdit(actor, g.Department); err != nil {
		return nil, err
	}
	if g.Version != 0 && g.Version != old.Version {
		return nil, errs.E(errs.Conflict, "guide %s was saved by %s (version %d) after the version %d you edited",
			code, old.UpdatedBy, old.Version, g.Version)
	}
	changed := g.Changed(old)
	if len(changed) == 0 {
		return old, nil
	}
	g.Version, g.UpdatedAt, g.UpdatedBy = old.Version+1, s.clock.Now(), actor.Username
	if err := s.store.UpdateGuide(ctx, &g, changed); err != nil {
		return nil, err
	}
	s.changed()
	return &g, nil
}

// Delete removes a guide; its history stays. Errors: forbidden, not_found.
func (s *Service) Delete(ctx context.Context, actor auth.Actor, code string) error {
	old, err := s.Get(ctx, actor, code)
	if err != nil {
		return err
	}
	if err := mayEdit(actor, old.Department); err != nil {
		return err
	}
	if err := s.store.DeleteGuide(ctx, code, old.Version, actor.Username, s.clock.Now()); err != nil {
		return err
	}
	s.changed()
	return nil
}

// List returns guides matching f; department staff see other
// departments' published guides only.
func (s *Service) List(ctx context.Context, actor auth.Actor, f ListFilter) ([]Guide, error) {
	if f.Status != "" && !slices.Contains(Statuses, f.Status) {
		return nil, errs.E(errs.Invalid, "status must be draft, published or archived")
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 500
	}
	if actor.Is(auth.RoleDepartment) && f.Status != StatusPublished && f.Department != actor.Department {
		if f.Status != "" || f.Department != "" {
			return nil, errs.E(errs.Forbidden, "department staff list other departments' published guides only")
		}
		f.Department = actor.Department
	}
	return s.store.ListGuides(ctx, f)
}

// NeedsReview lists published guides whose review date has come, within
// the caller's reach.
func (s *Service) NeedsReview(ctx context.Context, actor auth.Actor, department string) ([]Guide, error) {
	if actor.Is(auth.RoleDepartment) {
		department = actor.Department
	}
	today := s.clock.Now().In(s.loc).Format(time.DateOnly)
	return s.store.ListGuides(ctx, ListFilter{Department: department, Status: StatusPublished, ReviewBefore: today, Limit: 500})
}

// History returns a guide's versions, newest first. Errors: not_found.
func (s *Service) History(ctx context.Context, actor auth.Actor, code string) ([]Version, error) {
	if _, err := s.Get(ctx, actor, code); err != nil && errs.CodeOf(err) != errs.NotFound {
		return nil, err
	}
	vs, err := s.store.History(ctx, code)
	if err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		return nil, errs.E(errs.NotFound, "no guide %s", clip(code, 70))
	}
	if actor.Is(auth.RoleDepartment) {
		// The newest saved state decides, also for a deleted guide.
		for _, v := range vs {
			if v.Guide != nil {
				if err := mayRead(actor, v.Guide); err != nil {
					return nil, err
				}
				break
			}
		}
	}
	return vs, nil
}

// SearchHit is one guide found, as the API returns it.
type SearchHit struct {
	Code       string  `json:"code"`
	Name       string  `json:"name"`
	Department string  `json:"department"`
	Category   string  `json:"category"`
	Status     Status  `json:"status"`
	Snippet    string  `json:"snippet"` // HTML: escaped text with <em> marks
	Score      float64 `json:"score"`
}

// SearchResult is a page of hits.
type SearchResult struct {
	Hits   []SearchHit `json:"hits"`
	Total  int         `json:"total"`
	TookMS float64     `json:"took_ms"`
}

// Search finds guides for staff. Only admins and supervisors may search
// unpublished guides. Errors: invalid (query too long, bad limit),
// forbidden, unavailable.
func (s *Service) Search(ctx context.Context, actor auth.Actor, q Query) (SearchResult, error) {
	for _, st := range q.Filter.Statuses {
		if !slices.Contains(Statuses, st) {
			return SearchResult{}, errs.E(errs.Invalid, "status must be draft, published or archived")
		}
		if st != StatusPublished && !actor.Is(editors...) {
			return SearchResult{}, errs.E(errs.Forbidden, "only admins and supervisors search unpublished guides")
		}
	}
	return s.run(ctx, q)
}

// PublicSearch finds published guides for citizens.
func (s *Service) PublicSearch(ctx context.Context, q Query) (SearchResult, error) {
	q.Filter.Statuses = []Status{StatusPublished}
	return s.run(ctx, q)
}

func (s *Service) run(ctx context.Context, q Query) (SearchResult, error) {
	start := time.Now()
	if s.cache == nil {
		return s.compute(ctx, q, start)
	}
	// The generations are read before searching: a change made meanwhile
	// leaves the entry stale, and the next search misses it.
	key, index, vocab := keyOf(q), s.search.(Generational).Generation(), s.analyzer.Generation()
	if res, ok := s.cache.get(key, index, vocab); ok {
		res.Hits = slices.Clone(res.Hits)
		res.TookMS = round(float64(time.Since(start).Microseconds()) / 1000)
		return res, nil
	}
	res, err := s.compute(ctx, q, start)
	if err == nil {
		s.cache.put(key, index, vocab, SearchResult{Hits: slices.Clone(res.Hits), Total: res.Total})
	}
	return res, err
}

// compute analyses q and searches the index.
func (s *Service) compute(ctx context.Context, q Query, start time.Time) (SearchResult, error) {
	plan, err := s.analyzer.Analyze(q)
	if err != nil {
		return SearchResult{}, err
	}
	res := SearchResult{Hits: []SearchHit{}}
	if len(plan.Terms) > 0 {
		if s.search == nil {
			return SearchResult{}, errs.E(errs.Unavailable, "search is not configured")
		}
		hits, total, err := s.search.Search(ctx, plan)
		if err != nil {
			return SearchResult{}, err
		}
		res.Total = total
		snippets := NewSnippeter(plan)
		for _, h := range hits {
			res.Hits = append(res.Hits, SearchHit{Code: h.Guide.Code, Name: h.Guide.Name, Department: h.Guide.Department,
				Category: h.Guide.Category, Status: h.Guide.Status, Snippet: snippets.Snippet(&h.Guide), Score: round(h.Score)})
		}
	}
	res.TookMS = round(float64(time.Since(start).Microseconds()) / 1000)
	return res, nil
}

func round(f float64) float64 { return math.Round(f*1000) / 1000 }

// Synonyms returns the synonym table in use.
func (s *Service) Synonyms() Synonyms { return s.analyzer.Synonyms() }

// SetSynonyms replaces the synonym table. Errors: invalid, forbidden.
func (s *Service) SetSynonyms(ctx context.Context, actor auth.Actor, syn Synonyms) (Synonyms, error) {
	if !actor.Is(editors...) {
		return nil, errs.E(errs.Forbidden, "only admins and supervisors edit synonyms")
	}
	syn = syn.Normalize()
	if err := syn.Validate(); err != nil {
		return nil, err
	}
	if err := s.store.SetSynonyms(ctx, syn, actor.Username, s.clock.Now()); err != nil {
		return nil, err
	}
	s.analyzer.SetSynonyms(syn)
	s.changed()
	return syn, nil
}

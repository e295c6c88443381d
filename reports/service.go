// Package reports computes the hotline's indicators (docs/indicators.md)
// from daily aggregates of the stored facts: summaries by any grouping, a
// department's scorecard, an agent's own figures, and the rows behind any
// count. Who may read what is decided here.
package reports

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/errs"
)

// DayCounters are one stored day's counters.
type DayCounters struct {
	Day time.Time
	Counters
}

// Behind is the rows behind a count: what they are (tickets, calls,
// chats, callbacks), their ids (one per fact, at most the limit asked)
// and how many there are.
type Behind struct {
	Entity string  `json:"entity"`
	Total  int64   `json:"total"`
	IDs    []int64 `json:"ids"`
}

// Store keeps the daily aggregates (package postgres).
type Store interface {
	// Ensure recounts the days up to to that are not final.
	Ensure(ctx context.Context, to, now time.Time) (int, error)
	Sums(ctx context.Context, dim GroupBy, p Period) (map[string]Counters, error)
	Daily(ctx context.Context, dim GroupBy, key string, p Period) ([]DayCounters, error)
	OverdueAt(ctx context.Context, dim GroupBy, day time.Time) (map[string]int64, error)
	Behind(ctx context.Context, counter string, dim GroupBy, key string, p Period, now time.Time, limit int) (Behind, error)
	OverdueBehind(ctx context.Context, dim GroupBy, key string, p Period, now time.Time, limit int) (Behind, error)
}

// Labeler names grouping keys for people: departments, agents, queues.
type Labeler interface {
	Labels(ctx context.Context, dim GroupBy, keys []string) (map[string]string, error)
}

// Service answers report requests.
type Service struct {
	store  Store
	labels Labeler
	clock  clock.Clock
}

// NewService returns the reports' service; days are local to clock's
// readings' location as set by the caller (the hotline's time zone).
func NewService(store Store, labels Labeler, c clock.Clock) *Service {
	return &Service{store: store, labels: labels, clock: c}
}

// Summary is a report: one row per key, the totals, and the hot
// categories against the previous period of the same length.
type Summary struct {
	From          string     `json:"from"`
	To            string     `json:"to"`
	GroupBy       GroupBy    `json:"group_by"`
	Rows          []Row      `json:"rows"`
	Totals        Row        `json:"totals"`
	TopCategories []HotTopic `json:"top_categories"`
}

// HotTopic is one of the categories with the most tickets created (热点诉求).
type HotTopic struct {
	Category string `json:"category"`
	Label    string `json:"label"`
	Tickets  int64  `json:"tickets"`
	Previous int64  `json:"previous"`
	Change   int64  `json:"change"`
}

// TopCategoriesN is how many hot categories a summary lists.
const TopCategoriesN = 10

var supervisors = []auth.Role{auth.RoleAdmin, auth.RoleSupervisor}

// Now is the service's clock reading, for parsing periods.
func (s *Service) Now() time.Time { return s.clock.Now() }

// Summary reports p grouped by g, for supervisors and admins. Errors:
// forbidden, unavailable.
func (s *Service) Summary(ctx context.Context, actor auth.Actor, p Period, g GroupBy) (Summary, error) {
	if !actor.Is(supervisors...) {
		return Summary{}, errs.E(errs.Forbidden, "reports are for supervisors")
	}
	now := s.clock.Now()
	if _, err := s.store.Ensure(ctx, p.To, now); err != nil {
		return Summary{}, err
	}
	out := Summary{From: Day(p.From), To: Day(p.To), GroupBy: g}
	rows, err := s.rows(ctx, g, "", p)
	if err != nil {
		return Summary{}, err
	}
	out.Rows = rows
	if out.Totals, err = s.total(ctx, ByTotal, "", p); err != nil {
		return Summary{}, err
	}
	out.Totals.Key, out.Totals.Label = "", "合计"
	out.TopCategories, err = s.hotTopics(ctx, p, now)
	return out, err
}

// Summaries are p's summaries by every grouping, in Groupings order: the
// monthly report's workbook. Errors: as Summary.
func (s *Service) Summaries(ctx context.Context, actor auth.Actor, p Period) ([]Summary, error) {
	out := make([]Summary, 0, len(Groupings))
	for _, g := range Groupings {
		sum, err := s.Summary(ctx, actor, p, g)
		if err != nil {
			return nil, err
		}
		out = append(out, sum)
	}
	return out, nil
}

// rows are p's rows by g; for a run of days only key's (within dim).
func (s *Service) rows(ctx context.Context, g GroupBy, key string, p Period) ([]Row, error) {
	if g.Temporal() {
		return s.temporalRows(ctx, g, ByTotal, key, p)
	}
	sums, err := s.store.Sums(ctx, g, p)
	if err != nil {
		return nil, err
	}
	overdue, err := s.store.OverdueAt(ctx, g, p.To)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(sums))
	for k := range sums {
		keys = append(keys, k)
	}
	for k, n := range overdue {
		if _, ok := sums[k]; !ok && n != 0 {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	labels, err := s.label(ctx, g, keys)
	if err != nil {
		return nil, err
	}
	out := make([]Row, 0, len(keys))
	for _, k := range keys {
		out = append(out, NewRow(k, labels[k], sums[k], overdue[k]))
	}
	return out, nil
}

// temporalRows are one key's rows by day, week or month: every period
// of p, with or without facts, and the overdue stock at each one's end.
func (s *Service) temporalRows(ctx context.Context, g, dim GroupBy, key string, p Period) ([]Row, error) {
	days, err := s.store.Daily(ctx, dim, key, p)
	if err != nil {
		return nil, err
	}
	before, err := s.store.OverdueAt(ctx, dim, p.From.AddDate(0, 0, -1))
	if err != nil {
		return nil, err
	}
	stock := before[key]
	var out []Row
	var cur Counters
	next := 0
	for d := p.From; !d.After(p.To); d = d.AddDate(0, 0, 1) {
		if next < len(days) && days[next].Day.Equal(d) {
			cur.Add(days[next].Counters)
			stock += days[next].Overdue()
			next++
		}
		if last := d.Equal(p.To) || g.PeriodKey(d.AddDate(0, 0, 1)) != g.PeriodKey(d); last {
			k := g.PeriodKey(d)
			out = append(out, NewRow(k, k, cur, stock))
			cur = Counters{}
		}
	}
	return out, nil
}

// total is one key's row over the whole of p.
func (s *Service) total(ctx context.Context, dim GroupBy, key string, p Period) (Row, error) {
	sums, err := s.store.Sums(ctx, dim, p)
	if err != nil {
		return Row{}, err
	}
	overdue, err := s.store.OverdueAt(ctx, dim, p.To)
	if err != nil {
		return Row{}, err
	}
	labels, err := s.label(ctx, dim, []string{key})
	if err != nil {
		return Row{}, err
	}
	return NewRow(key, labels[key], sums[key], overdue[key]), nil
}

func (s *Service) hotTopics(ctx context.Context, p Period, now time.Time) ([]HotTopic, error) {
	prev := p.Previous()
	if _, err := s.store.Ensure(ctx, prev.To, now); err != nil {
		return nil, err
	}
	cur, err := s.store.Sums(ctx, ByCategory, p)
	if err != nil {
		return nil, err
	}
	old, err := s.store.Sums(ctx, ByCategory, prev)
	if err != nil {
		return nil, err
	}
	out := []HotTopic{}
	for k, c := range cur {
		if k != "" && c.TicketsCreated > 0 { // uncategorised tickets are no topic
			n := old[k].TicketsCreated
			out = append(out, HotTopic{Category: k, Tickets: c.TicketsCreated, Previous: n, Change: c.TicketsCreated - n})
		}
	}
	slices.SortFunc(out, func(a, b HotTopic) int {
		return cmp.Or(cmp.Compare(b.Tickets, a.Tickets), cmp.Compare(a.Category, b.Category))
	})
	out = out[:min(len(out), TopCategoriesN)]
	keys := make([]string, len(out))
	for i, t := range out {
		keys[i] = t.Category
	}
	labels, err := s.label(ctx, ByCategory, keys)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Label = labels[out[i].Category]
	}
	return out, nil
}

// Unclassified is how a fact without a value for the grouping is shown.
const Unclassified = "未分类"

// label names keys: the labeler's names, the kinds' and channels' Chinese
// names, the key itself otherwise, and 未分类 for "".
func (s *Service) label(ctx context.Context, g GroupBy, keys []string) (map[string]string, error) {
	named, err := s.labels.Labels(ctx, g, keys)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(keys))
	for _, k := range keys {
		switch {
		case k == "":
			out[k] = Unclassified
		case named[k] != "":
			out[k] = named[k]
		case fixedLabels[g][k] != "":
			out[k] = fixedLabels[g][k]
		default:
			out[k] = k
		}
	}
	return out, nil
}

var fixedLabels = map[GroupBy]map[string]string{
	ByKind: {"consultation": "咨询", "help": "求助", "complaint": "投诉", "report": "举报",
		"suggestion": "建议", "praise": "表扬"},
	ByChannel: {"phone": "电话", "webchat": "网上咨询", "web": "网站", "api": "接口"},
}

// Refresh keeps the aggregates current until ctx ends: every interval
// it recounts the days that changed and today, so that a report's read
// rarely waits on a recount. Failures are logged and retried next time.
func (s *Service) Refresh(ctx context.Context, every time.Duration, log *slog.Logger) {
	tick := make(chan struct{}, 1)
	for {
		t := s.clock.AfterFunc(every, func() { tick <- struct{}{} })
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-tick:
		}
		now := s.clock.Now()
		if _, err := s.store.Ensure(ctx, now, now); err != nil && ctx.Err() == nil {
			log.Warn("reports: refresh the aggregates", "err", err)
		}
	}
}

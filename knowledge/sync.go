package knowledge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// Target is an index the Syncer keeps up to date.
type Target struct {
	Name  string
	Index Index
}

// Syncer keeps indexes in step with the database. It follows the store's
// change feed: after each commit on this node it is woken at once, and it
// polls for changes made on other nodes. Every index keeps its own place
// in the feed, so an unreachable Meilisearch never holds back the
// embedded fallback. On start, and whenever an index was unreachable, it
// compares the index with the database (count and checksum of codes and
// versions) and repairs the difference.
type Syncer struct {
	store    Store
	analyzer *Analyzer
	log      *slog.Logger
	poll     time.Duration
	wake     chan struct{}

	mu      sync.Mutex
	targets []*targetState
}

type targetState struct {
	Target
	verified bool
	cursor   int64
	lastErr  error
}

// NewSyncer returns a Syncer for targets that polls every poll.
func NewSyncer(store Store, analyzer *Analyzer, log *slog.Logger, poll time.Duration, targets ...Target) *Syncer {
	s := &Syncer{store: store, analyzer: analyzer, log: log, poll: poll, wake: make(chan struct{}, 1)}
	for _, t := range targets {
		s.targets = append(s.targets, &targetState{Target: t})
	}
	return s
}

// Wake makes the Syncer look for changes now; it never blocks.
func (s *Syncer) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// LoadVocabulary fills the analyzer with the stored synonyms (the
// defaults if none were ever stored) and the guides' keywords.
func (s *Syncer) LoadVocabulary(ctx context.Context) error {
	syn, ok, err := s.store.Synonyms(ctx)
	if err != nil {
		return err
	}
	if !ok {
		syn = DefaultSynonyms()
	}
	words, err := s.store.Vocabulary(ctx)
	if err != nil {
		return err
	}
	s.analyzer.SetSynonyms(syn)
	s.analyzer.AddWords(words...)
	return nil
}

// Run syncs until ctx ends.
func (s *Syncer) Run(ctx context.Context) {
	t := time.NewTicker(s.poll)
	defer t.Stop()
	for {
		s.SyncOnce(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
	}
}

// SyncOnce brings every index up to date: it verifies and repairs any
// index not verified yet, then applies the changes after its cursor.
// Failures are logged and retried on the next call; the returned error
// joins them, for tests and commands.
func (s *Syncer) SyncOnce(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var failed []error
	for _, t := range s.targets {
		err := s.syncTarget(ctx, t)
		if err != nil && ctx.Err() == nil {
			if t.lastErr == nil {
				s.log.WarnContext(ctx, "search index out of step with the database; will retry", "index", t.Name, "err", err)
			}
			failed = append(failed, fmt.Errorf("index %s: %w", t.Name, err))
		} else if err == nil && t.lastErr != nil {
			s.log.InfoContext(ctx, "search index back in step", "index", t.Name)
		}
		t.lastErr = err
	}
	return errors.Join(failed...)
}

func (s *Syncer) syncTarget(ctx context.Context, t *targetState) error {
	if !t.verified {
		r, err := s.verify(ctx, t)
		if err != nil {
			return err
		}
		if r.Repaired+r.Removed > 0 {
			s.log.InfoContext(ctx, "search index repaired", "index", t.Name, "database", r.Database, "index_before", r.Index,
				"repaired", r.Repaired, "removed", r.Removed)
		}
	}
	for {
		changes, err := s.store.Changes(ctx, t.cursor, 1000)
		if err != nil || len(changes) == 0 {
			return err
		}
		if err := s.apply(ctx, t.Index, changes); err != nil {
			t.verified = false // whatever happened, check everything next time
			return err
		}
		t.cursor = changes[len(changes)-1].Seq
	}
}

// apply brings the guides named by changes into idx.
func (s *Syncer) apply(ctx context.Context, idx Index, changes []Change) error {
	var codes []string
	synonyms := false
	for _, c := range changes {
		if c.Code == "" {
			synonyms = true
		} else if !slices.Contains(codes, c.Code) {
			codes = append(codes, c.Code)
		}
	}
	if synonyms {
		if err := s.pushSynonyms(ctx, idx); err != nil {
			return err
		}
	}
	return s.refresh(ctx, idx, codes)
}

func (s *Syncer) pushSynonyms(ctx context.Context, idx Index) error {
	syn, ok, err := s.store.Synonyms(ctx)
	if err != nil {
		return err
	}
	if !ok {
		syn = DefaultSynonyms()
	}
	s.analyzer.SetSynonyms(syn)
	return idx.SetSynonyms(ctx, syn)
}

// refresh upserts the guides among codes that exist and deletes the rest.
func (s *Syncer) refresh(ctx context.Context, idx Index, codes []string) error {
	for len(codes) > 0 {
		batch := codes[:min(len(codes), 500)]
		codes = codes[len(batch):]
		guides, err := s.store.GuidesByCode(ctx, batch)
		if err != nil {
			return err
		}
		var gone []string
		for _, c := range batch {
			if !slices.ContainsFunc(guides, func(g Guide) bool { return g.Code == c }) {
				gone = append(gone, c)
			}
		}
		for _, g := range guides {
			s.analyzer.AddWords(append(g.Keywords, g.Category)...)
		}
		if len(guides) > 0 {
			if err := idx.Upsert(ctx, guides); err != nil {
				return err
			}
		}
		if len(gone) > 0 {
			if err := idx.Delete(ctx, gone); err != nil {
				return err
			}
		}
	}
	return nil
}

// VerifyReport compares an index with the database.
type VerifyReport struct {
	Database Fingerprint `json:"database"`
	Index    Fingerprint `json:"index"`
	Repaired int         `json:"repaired"` // guides (re)written to the index
	Removed  int         `json:"removed"`  // guides deleted from the index
}

// verify compares t with the database and repairs it; afterwards t
// follows the feed from where the comparison started.
func (s *Syncer) verify(ctx context.Context, t *targetState) (VerifyReport, error) {
	seq, err := s.store.LastChange(ctx)
	if err != nil {
		return VerifyReport{}, err
	}
	if err := s.pushSynonyms(ctx, t.Index); err != nil {
		return VerifyReport{}, err
	}
	want, err := s.store.AllVersions(ctx)
	if err != nil {
		return VerifyReport{}, err
	}
	have, err := t.Index.Versions(ctx)
	if err != nil {
		return VerifyReport{}, err
	}
	r := VerifyReport{Database: FingerprintOf(want), Index: FingerprintOf(have)}
	if r.Database != r.Index {
		var stale []string
		for code, v := range want {
			if have[code] != v {
				stale = append(stale, code)
			}
		}
		for code := range have {
			if _, ok := want[code]; !ok {
				stale = append(stale, code)
				r.Removed++
			}
		}
		slices.Sort(stale)
		r.Repaired = len(stale) - r.Removed
		if err := s.refresh(ctx, t.Index, stale); err != nil {
			return r, err
		}
	}
	t.verified, t.cursor = true, seq
	return r, nil
}

// Verify compares every index with the database now, repairing any
// difference, and reports what it found.
func (s *Syncer) Verify(ctx context.Context) (map[string]VerifyReport, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]VerifyReport{}
	for _, t := range s.targets {
		r, err := s.verify(ctx, t)
		if err != nil {
			return out, fmt.Errorf("verify index %s: %w", t.Name, err)
		}
		out[t.Name] = r
	}
	return out, nil
}

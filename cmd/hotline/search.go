package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/open12345/hotline/knowledge"
	"github.com/open12345/hotline/knowledge/embedded"
	"github.com/open12345/hotline/knowledge/meili"
	"github.com/open12345/hotline/postgres"
)

// searchPoll is how often a node looks for guide changes made on other
// nodes; changes made on this node are indexed at once.
const searchPoll = 2 * time.Second

// searchSetup is the knowledge base's search side as configured.
type searchSetup struct {
	targets  []knowledge.Target
	searcher knowledge.Searcher
}

// openSearch opens the configured indexes: the embedded one, or
// Meilisearch with the embedded one as fallback unless that is off.
func (c *Config) openSearch(ctx context.Context, m *Main) (searchSetup, error) {
	var setup searchSetup
	var local *embedded.Index
	if c.Search == "embedded" || c.SearchFallback == "embedded" {
		local = embedded.New()
		setup.targets = append(setup.targets, knowledge.Target{Name: "embedded", Index: local})
		setup.searcher = local
	}
	if c.Search == "meilisearch" {
		mx, err := meili.New(ctx, meili.Config{URL: c.MeiliURL, APIKey: c.MeiliKey}, m.Log)
		if err != nil {
			return setup, errors.Join(fmt.Errorf("HOTLINE_MEILI_URL: %w", err), closeTargets(setup.targets))
		}
		setup.targets = append(setup.targets, knowledge.Target{Name: "meilisearch", Index: mx})
		setup.searcher = mx
		if local != nil {
			setup.searcher = &knowledge.Fallback{Primary: mx, Secondary: local, Log: m.Log}
		}
	}
	return setup, nil
}

func closeTargets(ts []knowledge.Target) error {
	var errs []error
	for _, t := range ts {
		if err := t.Index.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close index %s: %w", t.Name, err))
		}
	}
	return errors.Join(errs...)
}

// startSearch opens the indexes, brings them in step with the database
// (verifying count and checksum and repairing any difference: for the
// embedded index, which lives in memory, building it), and keeps them
// there in the background.
func (m *Main) startSearch(ctx context.Context) error {
	setup, err := m.Config.openSearch(ctx, m)
	if err != nil {
		return err
	}
	m.searchTargets = setup.targets
	store := postgres.NewGuideStore(m.DB)
	analyzer := knowledge.NewAnalyzer(nil)
	m.Syncer = knowledge.NewSyncer(store, analyzer, m.Log, searchPoll, setup.targets...)
	if err := m.Syncer.LoadVocabulary(ctx); err != nil {
		return err
	}
	start := time.Now()
	if err := m.Syncer.SyncOnce(ctx); err != nil {
		m.Log.Warn("search index not in step yet; retrying in the background", "err", err)
	} else {
		m.Log.Info("search indexes in step with the database", "took", time.Since(start).Round(time.Millisecond).String())
	}
	m.Guides = knowledge.NewService(store, setup.searcher, analyzer, m.Clock, m.loc, m.Log, m.Syncer.Wake)
	m.Guides.EnableCache(m.Config.SearchCache)
	syncCtx, cancel := context.WithCancel(context.Background())
	m.stopSync, m.syncDone = cancel, make(chan struct{})
	go func() {
		defer close(m.syncDone)
		m.Syncer.Run(syncCtx)
	}()
	return nil
}

// stopSearch stops the syncer and closes the indexes.
func (m *Main) stopSearch() error {
	if m.stopSync != nil {
		m.stopSync()
		<-m.syncDone
		m.stopSync = nil
	}
	err := closeTargets(m.searchTargets)
	m.searchTargets = nil
	return err
}

// reindex builds the search indexes from the database and reports
// them: the embedded index is built afresh (as every server start does,
// so this checks that every stored guide indexes), and Meilisearch
// documents are compared and repaired.
func (c *command) reindex(ctx context.Context) error {
	db, err := c.openDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	setup, err := c.cfg.openSearch(ctx, &Main{Log: c.log})
	if err != nil {
		return err
	}
	store := postgres.NewGuideStore(db)
	syncer := knowledge.NewSyncer(store, knowledge.NewAnalyzer(nil), c.log, searchPoll, setup.targets...)
	start := time.Now()
	reports, err := syncer.Verify(ctx)
	err = errors.Join(err, closeTargets(setup.targets))
	if err != nil {
		return err
	}
	for name, r := range reports {
		fmt.Fprintf(c.stdout, "%s: %d guides indexed (%d written, %d removed), checksum %s, %s\n",
			name, r.Database.Count, r.Repaired, r.Removed, r.Database.Checksum[:12], time.Since(start).Round(time.Millisecond))
	}
	return nil
}

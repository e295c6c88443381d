package knowledge

import (
	"context"
	"time"
)

// Store keeps guides, their history and the synonym table; PostgreSQL is
// the source of truth. Every change records a Change in one ordered feed
// that the Syncer follows. Errors are coded: not_found, conflict (a
// duplicate code, or a version that moved on), invalid (an unknown
// department), unavailable.
type Store interface {
	// Guide returns the guide with code.
	Guide(ctx context.Context, code string) (*Guide, error)
	// GuidesByCode returns the guides that exist among codes.
	GuidesByCode(ctx context.Context, codes []string) ([]Guide, error)
	// CreateGuide stores a new guide (Version 1) and its first history entry.
	CreateGuide(ctx context.Context, g *Guide) error
	// UpdateGuide stores g, whose Version is one more than the stored
	// version it replaces; conflict if the stored version is another.
	UpdateGuide(ctx context.Context, g *Guide, changed []string) error
	// DeleteGuide removes the guide at version and records the deletion.
	DeleteGuide(ctx context.Context, code string, version int, by string, at time.Time) error
	// ImportGuides creates or replaces every guide in one transaction: all
	// or nothing. Each guide's Version must already be set (1 for new).
	ImportGuides(ctx context.Context, guides []Guide, by string, at time.Time) error
	// ListGuides returns guides in code order.
	ListGuides(ctx context.Context, f ListFilter) ([]Guide, error)
	// History returns a guide's versions, newest first.
	History(ctx context.Context, code string) ([]Version, error)
	// AllVersions returns every guide's version by code.
	AllVersions(ctx context.Context) (map[string]int, error)
	// Changes returns up to limit changes after seq, in order.
	Changes(ctx context.Context, after int64, limit int) ([]Change, error)
	// LastChange returns the newest change's seq, or 0.
	LastChange(ctx context.Context) (int64, error)
	// Vocabulary returns the distinct keywords and categories of all
	// guides, for the analyzer's dictionary.
	Vocabulary(ctx context.Context) ([]string, error)
	// UnknownDepartments returns the codes among codes that name no department.
	UnknownDepartments(ctx context.Context, codes []string) ([]string, error)
	// Synonyms returns the stored synonym table, and false if none was ever stored.
	Synonyms(ctx context.Context) (Synonyms, bool, error)
	// SetSynonyms replaces the synonym table and records a change.
	SetSynonyms(ctx context.Context, s Synonyms, by string, at time.Time) error
}

// ListFilter selects guides for listing and export.
type ListFilter struct {
	Department   string
	Category     string
	Status       Status
	ReviewBefore string // YYYY-MM-DD: published guides due for review on or before
	After        string // code cursor
	Limit        int    // 0: no limit
}

// Change is one entry of the change feed: a guide saved or deleted, or
// the synonym table replaced (Code empty).
type Change struct {
	Seq  int64
	Code string
}

package routing

import (
	"context"
	"fmt"
)

// ConfigService is the one place the routing configuration lives: queues
// and agents' profiles are kept in the Store and applied to the Engine,
// at start (Load), when saved, and when an agent logs in.
type ConfigService struct {
	store  Store
	engine *Engine
}

// NewConfigService returns the configuration of engine, kept in store.
func NewConfigService(store Store, engine *Engine) *ConfigService {
	return &ConfigService{store: store, engine: engine}
}

// Load gives the engine every saved queue and returns how many. Errors:
// those of the store; invalid for a stored queue the engine refuses.
func (s *ConfigService) Load(ctx context.Context) (int, error) {
	queues, err := s.store.Queues(ctx)
	if err != nil {
		return 0, fmt.Errorf("load routing queues: %w", err)
	}
	for _, q := range queues {
		if err := s.engine.SetQueue(q); err != nil {
			return 0, fmt.Errorf("queue %s: %w", q.Name, err)
		}
	}
	return len(queues), nil
}

// SaveQueue stores the queue and applies it at once; it returns the queue
// with its defaults filled. Errors: invalid, and those of the store.
func (s *ConfigService) SaveQueue(ctx context.Context, q QueueConfig) (QueueConfig, error) {
	if err := q.Normalize(); err != nil {
		return q, err
	}
	if err := s.store.SaveQueue(ctx, q); err != nil {
		return q, fmt.Errorf("save queue %s: %w", q.Name, err)
	}
	if err := s.engine.SetQueue(q); err != nil {
		return q, fmt.Errorf("apply queue %s: %w", q.Name, err)
	}
	return q, nil
}

// Profile returns the agent's saved profile, or the default one (every
// queue) when none was saved. Errors: not_found (no such user), and those
// of the store.
func (s *ConfigService) Profile(ctx context.Context, username string) (Profile, error) {
	p, found, err := s.store.Profile(ctx, username)
	if err != nil {
		return Profile{}, fmt.Errorf("routing profile of %s: %w", username, err)
	}
	if !found {
		p = DefaultProfile(p.ID, p.Name, s.engine.Queues())
	}
	return p, nil
}

// SaveProfile stores the agent's skills and chat capacity and applies
// them to the engine (at once for an agent online); it returns the
// profile as stored. Errors: invalid, not_found (no such user), and those
// of the store.
func (s *ConfigService) SaveProfile(ctx context.Context, p Profile) (Profile, error) {
	if err := s.store.SaveProfile(ctx, p); err != nil {
		return p, fmt.Errorf("save routing profile of %s: %w", p.ID, err)
	}
	saved, err := s.Profile(ctx, p.ID)
	if err != nil {
		return p, err
	}
	if _, err := s.engine.SetProfile(saved); err != nil {
		return saved, fmt.Errorf("apply routing profile of %s: %w", p.ID, err)
	}
	return saved, nil
}

// Login puts the agent into the engine with its profile (Profile).
// Errors: those of Profile and of Engine.Login.
func (s *ConfigService) Login(ctx context.Context, username string) (AgentView, error) {
	p, err := s.Profile(ctx, username)
	if err != nil {
		return AgentView{}, err
	}
	v, err := s.engine.Login(p)
	if err != nil {
		return v, fmt.Errorf("log %s into routing: %w", username, err)
	}
	return v, nil
}

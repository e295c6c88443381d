package routing

import "context"

// Store keeps the routing configuration: queues and agents' skills. Live
// state (presence, waiting contacts, statistics) is the engine's alone.
type Store interface {
	// Queues returns every configured queue, by name.
	Queues(ctx context.Context) ([]QueueConfig, error)
	// SaveQueue creates or replaces a queue. Errors: invalid.
	SaveQueue(ctx context.Context, q QueueConfig) error
	// Profile returns an agent's skills and chat capacity by username;
	// false when none was saved. Errors: not_found (no such user).
	Profile(ctx context.Context, username string) (Profile, bool, error)
	// SaveProfile stores an agent's skills and chat capacity. Errors:
	// not_found (no such user).
	SaveProfile(ctx context.Context, p Profile) error
}

// DefaultProfile is the profile of an agent with none saved: every queue
// at level 1, the engine's chat capacity.
func DefaultProfile(id, name string, queues []QueueConfig) Profile {
	p := Profile{ID: id, Name: name, Skills: make(map[string]int, len(queues))}
	for _, q := range queues {
		p.Skills[q.Name] = 1
	}
	return p
}

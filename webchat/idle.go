package webchat

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Idle chats close by themselves: a citizen who walked away holds an
// agent's chat slot for nothing. After Idle.Warn without a word from
// either side the citizen is warned; Idle.Close after the last word the
// chat closes, but never sooner than the warning's lead after the warning,
// so a server that was down does not close a chat without one. Chats
// waiting for an agent are not idle: the wait is the hotline's.

// IdleConfig says when a silent chat is warned and closed; a zero Close
// turns the sweep off.
type IdleConfig struct {
	Warn, Close time.Duration
}

// DefaultIdle warns after 8 minutes of silence and closes after 10.
var DefaultIdle = IdleConfig{Warn: 8 * time.Minute, Close: 10 * time.Minute}

// sweepEvery is how often the idle sweep looks.
const sweepEvery = 30 * time.Second

// SweepIdle warns and closes the chats that have been silent too long,
// once. It goes on past a chat that fails and returns the errors joined.
func (s *Service) SweepIdle(ctx context.Context) error {
	idle := s.cfg.Idle
	if idle.Close <= 0 {
		return nil
	}
	now := s.clock.Now()
	lead := idle.Close - idle.Warn
	chats, err := s.store.IdleChats(ctx, now.Add(-idle.Warn))
	if err != nil {
		return err
	}
	var failed []error
	for _, c := range chats {
		warned := c.IdleWarnedAt != nil && c.IdleWarnedAt.After(c.LastActive)
		switch {
		case warned && !now.Before(c.LastActive.Add(idle.Close)) && !now.Before(c.IdleWarnedAt.Add(lead)):
			err = s.closeIdle(ctx, c.ID)
		case !warned:
			err = s.warnIdle(ctx, c.Chat, now, lead)
		}
		if err != nil {
			failed = append(failed, fmt.Errorf("chat %d: %w", c.ID, err))
		}
	}
	return errors.Join(failed...)
}

func (s *Service) warnIdle(ctx context.Context, c Chat, now time.Time, lead time.Duration) error {
	defer s.lockChat(c.ID)()
	c.IdleWarnedAt = &now
	if err := s.store.UpdateChat(ctx, c); err != nil {
		return err
	}
	_, err := s.post(ctx, Message{ChatID: c.ID, From: FromSystem,
		Text: fmt.Sprintf("您已较长时间没有发言。如无其他问题，本次会话将在 %d 分钟后自动结束。", max(1, int(lead.Round(time.Minute)/time.Minute)))})
	return err
}

func (s *Service) closeIdle(ctx context.Context, chatID int64) error {
	if _, err := s.post(ctx, Message{ChatID: chatID, From: FromSystem, Text: "由于长时间没有发言，本次会话已自动结束。"}); err != nil {
		return err
	}
	return s.Close(ctx, chatID)
}

// RunIdle sweeps idle chats every 30 seconds on the service's clock
// until ctx ends.
func (s *Service) RunIdle(ctx context.Context) {
	if s.cfg.Idle.Close <= 0 {
		return
	}
	tick := make(chan struct{}, 1)
	for {
		t := s.clock.AfterFunc(sweepEvery, func() { tick <- struct{}{} })
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-tick:
		}
		if err := s.SweepIdle(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("webchat: idle sweep", "err", err)
		}
	}
}

package webchat

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/quota"
	"github.com/open12345/hotline/routing"
	"github.com/open12345/hotline/ticketing"
)

// Hours say when agents answer chats (ticketing.Schedule: the service
// hours on the hotline's calendar).
type Hours interface {
	OpenAt(ctx context.Context, t time.Time) (bool, error)
	Describe() string
}

// Tickets is what chats do with tickets (ticketing.Service): file a left
// message, look up a ticket's progress for its citizen.
type Tickets interface {
	CreateOnce(ctx context.Context, actor auth.Actor, n ticketing.NewTicket, key string) (*ticketing.Ticket, bool, error)
	Replayed(ctx context.Context, actor auth.Actor, n ticketing.NewTicket, key string) (*ticketing.Ticket, error)
	Progress(ctx context.Context, number, phone string) (*ticketing.Progress, error)
}

// SMS sends a text message to a phone (ticketing/dispatch.SMS).
type SMS interface {
	Send(ctx context.Context, phone, text string) (string, error)
}

// Limits bound what one address, and one phone, may ask of the bot's
// ticket features, across chats: each is a ticket or an SMS.
type Limits struct {
	MessagesPerAddr  quota.Rule // left messages from one address
	MessagesPerPhone quota.Rule // left messages (and their SMS) for one phone
	LookupsPerAddr   quota.Rule // progress lookups from one address
}

// DefaultLimits suit a city: a family behind one router, not a script.
var DefaultLimits = Limits{
	MessagesPerAddr:  quota.Rule{Max: 5, Window: time.Hour},
	MessagesPerPhone: quota.Rule{Max: 3, Window: 24 * time.Hour},
	LookupsPerAddr:   quota.Rule{Max: 20, Window: time.Hour},
}

// LeaveMessageOffer is the signal that opens the citizen's leave-a-message
// form; its reason is closed (outside the service hours), no_agent (nobody
// is signed in for chats; the chat waits on) or busy (nobody took the
// chat in time).
const LeaveMessageOffer = "leave_message.offer"

// inHours reports whether agents answer chats now.
func (s *Service) inHours(ctx context.Context) (bool, error) {
	if s.cfg.Hours == nil {
		return true, nil
	}
	open, err := s.cfg.Hours.OpenAt(ctx, s.clock.Now())
	if err != nil {
		return false, fmt.Errorf("the chats' service hours: %w", err)
	}
	return open, nil
}

// nobodySignedIn reports whether no agent who takes chats is signed in
// on the router.
func (s *Service) nobodySignedIn() bool {
	s.mu.Lock()
	r := s.router
	s.mu.Unlock()
	return r != nil && !anyChatAgent(r.Agents())
}

// anyChatAgent reports whether an agent who takes chats is signed in.
func anyChatAgent(agents []routing.AgentView) bool {
	for _, a := range agents {
		if a.ChatLimit > 0 && a.State != routing.Offline {
			return true
		}
	}
	return false
}

// offerLeaveMessage tells the citizen why no agent comes and, where
// messages can be left, offers the leave-a-message form.
func (s *Service) offerLeaveMessage(ctx context.Context, chatID int64, reason string) error {
	canLeave := s.cfg.Tickets != nil && s.cfg.Quotas != nil
	var text string
	switch {
	case reason == "closed" && canLeave:
		text = "现在不在人工服务时间内（" + s.hoursText() + "）。您可以留言：" + leaveHow + "也可以拨打 12345 热线。"
	case reason == "closed":
		text = "现在不在人工服务时间内（" + s.hoursText() + "）。请在服务时间内再输入“转人工”，或拨打 12345 热线。"
	case reason == "no_agent" && canLeave:
		text = "人工客服暂时不在线。您可以继续等待，也可以留言：" + leaveHow
	case reason == "no_agent":
		return nil // the chat waits
	case canLeave:
		text = "暂时没有空闲的人工客服。您可以留言：" + leaveHow + "也可以稍后再输入“转人工”，或拨打 12345 热线。"
	default:
		text = "暂时没有空闲的人工客服。您可以稍后再输入“转人工”，或拨打 12345 热线。"
	}
	if _, err := s.post(ctx, Message{ChatID: chatID, From: FromBot, Text: text}); err != nil {
		return err
	}
	if canLeave {
		s.hub.Signal(chatID, LeaveMessageOffer, map[string]string{"reason": reason})
	}
	return nil
}

// leaveHow says what leaving a message does.
const leaveHow = "留下手机号码和您的问题，我们会尽快处理，受理编号将显示在这里并以短信发送给您。"

// hoursText says the service hours, or nothing when they are not set.
func (s *Service) hoursText() string {
	if s.cfg.Hours == nil {
		return ""
	}
	return s.cfg.Hours.Describe()
}

// Leave is the citizen's left message (留言): it becomes a ticket of the
// webchat channel linked to the chat, the citizen gets its number in the
// chat and by SMS, and the chat ends. One per chat: leaving it again
// answers the same ticket. Errors: invalid (phone, text), conflict (an
// agent has the chat), rate_limited, unavailable (no ticket service).
func (s *Service) Leave(ctx context.Context, chatID int64, phone, text string) (*ticketing.Ticket, error) {
	if s.cfg.Tickets == nil || s.cfg.Quotas == nil {
		return nil, errs.E(errs.Unavailable, "messages cannot be left in this chat; call 12345")
	}
	if err := CheckText(text); err != nil {
		return nil, err
	}
	mobile, err := ticketing.NormalizePhone(phone)
	if err != nil || !ticketing.IsMobile(mobile) {
		return nil, errs.E(errs.Invalid, "a mobile number is needed: the ticket number comes by SMS")
	}
	defer s.lockChat(chatID)()
	c, err := s.store.Chat(ctx, chatID)
	if err != nil {
		return nil, err
	}
	key := "webchat-leave:" + strconv.FormatInt(c.ID, 10)
	switch {
	case c.State == StateAgent:
		return nil, errs.E(errs.Conflict, "an agent is serving this chat; tell them")
	case c.State == StateClosed && c.Outcome != OutcomeLeftMessage:
		return nil, errs.E(errs.Conflict, "this chat has ended; start a new one")
	}
	n := ticketing.NewTicket{Kind: ticketing.KindConsultation, Channel: ticketing.ChannelWebchat,
		Title: "网上留言：" + clipRunes(oneLine(text), 30), Content: text,
		Citizen: ticketing.Citizen{Phone: mobile}, ChatID: strconv.FormatInt(c.ID, 10)}
	if err := n.Check(); err != nil {
		return nil, err
	}
	if first, err := s.cfg.Tickets.Replayed(ctx, ticketing.CitizenActor, n, key); err != nil || first != nil {
		return first, err // left already: the same ticket
	}
	if c.State == StateClosed {
		return nil, errs.E(errs.Conflict, "a message was left in this chat already")
	}
	if err := quota.Take(ctx, s.cfg.Quotas, s.clock.Now(), "too many messages left",
		quota.Claim{Key: "chat-leave-addr:" + clip(c.ClientAddr, 64), Rule: s.cfg.Limits.MessagesPerAddr},
		quota.Claim{Key: "chat-leave-phone:" + mobile, Rule: s.cfg.Limits.MessagesPerPhone}); err != nil {
		return nil, err
	}
	t, _, err := s.cfg.Tickets.CreateOnce(ctx, ticketing.CitizenActor, n, key)
	if err != nil {
		return nil, fmt.Errorf("file the message left in chat %d: %w", c.ID, err)
	}
	if r, contact, ok := s.contactOf(c.ID); ok {
		s.forget(c.ID)
		if _, err := r.End(contact); err != nil && errs.CodeOf(err) != errs.NotFound {
			return nil, fmt.Errorf("end the routing contact of chat %d: %w", c.ID, err)
		}
	}
	now := s.clock.Now()
	c.State, c.Outcome, c.EndedAt, c.Phone, c.TicketID = StateClosed, OutcomeLeftMessage, &now, mobile, t.ID
	if err := s.store.UpdateChat(ctx, c); err != nil {
		return nil, err
	}
	if _, err := s.post(ctx, Message{ChatID: c.ID, From: FromSystem,
		Text: "您的留言已受理，受理编号 " + t.Number + "。我们会尽快处理，您可以凭编号和手机号码查询办理进度。本次会话已结束。"}); err != nil {
		return nil, err
	}
	s.hub.Signal(c.ID, "ticket", map[string]string{"number": t.Number})
	s.hub.Signal(c.ID, "closed", map[string]string{"reason": string(OutcomeLeftMessage)})
	if s.cfg.SMS != nil {
		text := "【12345热线】您的网上留言已受理，受理编号" + t.Number + "，可凭编号和本手机号码查询办理进度。"
		if _, err := s.cfg.SMS.Send(ctx, mobile, text); err != nil {
			s.log.WarnContext(ctx, "webchat: the SMS of a left message was not sent", "chat", c.ID, "ticket", t.Number, "err", err)
		}
	}
	return t, nil
}

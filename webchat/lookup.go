package webchat

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/quota"
	"github.com/open12345/hotline/ticketing"
)

// The bot answers a progress query (办件进度查询) the way /progress does:
// the citizen gives a ticket number, then the phone the ticket was
// registered with; only when both match does the bot tell the public
// timeline. A wrong pair is answered alike whether or not the number
// exists, and MaxLookupTries wrong pairs end lookups in this chat.

// MaxLookupTries is how many wrong number-and-phone pairs a chat may try.
const MaxLookupTries = 3

var (
	numberInText = regexp.MustCompile(`20\d{12,18}`)
	lookupWords  = []string{"查询进度", "进度查询", "办理进度", "查进度", "工单进度", "查询工单", "办件进度"}
)

// lookup is the bot's turn when the message is part of a progress query;
// handled is false when it is not one. It saves what it changes in *c.
func (s *Service) lookup(ctx context.Context, c *Chat, text string) (handled bool, err error) {
	if s.cfg.Tickets == nil || s.cfg.Quotas == nil {
		return false, nil
	}
	number := numberInText.FindString(text)
	rest := strings.TrimSpace(strings.Replace(text, number, " ", 1))
	asked := number != "" || containsAny(text, lookupWords)
	awaitingPhone := c.LookupNumber != ""
	if !asked && !awaitingPhone {
		return false, nil
	}
	if c.LookupTries >= MaxLookupTries {
		return true, s.botSays(ctx, c.ID, "多次核验未通过，本次会话不能再查询进度。请到“办件进度”页面查询，或拨打 12345 热线。")
	}
	if number != "" {
		if !ticketing.LooksLikeNumber(number) {
			return true, s.botSays(ctx, c.ID, "受理编号应为 14 位以上数字，请核对后重新输入。")
		}
		c.LookupNumber = number
	}
	phone, phoneErr := ticketing.NormalizePhone(rest)
	switch {
	case phoneErr == nil && c.LookupNumber != "":
		// a number and its phone: look it up
	case c.LookupNumber == "":
		return true, s.botSays(ctx, c.ID, "请输入您的受理编号（受理短信中 14 位以上的数字，例如 20261122000042）。")
	case asked:
		if err := s.store.UpdateChat(ctx, *c); err != nil {
			return true, err
		}
		return true, s.botSays(ctx, c.ID, "请输入受理时登记的手机号码，以核实您的身份。")
	default: // not a phone: the citizen moved on to something else
		c.LookupNumber = ""
		return false, s.store.UpdateChat(ctx, *c)
	}
	if err := quota.Take(ctx, s.cfg.Quotas, s.clock.Now(), "too many progress lookups",
		quota.Claim{Key: "chat-lookup-addr:" + clip(c.ClientAddr, 64), Rule: s.cfg.Limits.LookupsPerAddr}); err != nil {
		return true, err
	}
	p, err := s.cfg.Tickets.Progress(ctx, c.LookupNumber, phone)
	if errs.CodeOf(err) == errs.NotFound {
		c.LookupTries++
		c.LookupNumber = ""
		if err := s.store.UpdateChat(ctx, *c); err != nil {
			return true, err
		}
		if c.LookupTries >= MaxLookupTries {
			return true, s.botSays(ctx, c.ID, "受理编号与手机号码不匹配。多次核验未通过，本次会话不能再查询进度。")
		}
		return true, s.botSays(ctx, c.ID, fmt.Sprintf("受理编号与手机号码不匹配，请核对后重新输入受理编号（还可尝试 %d 次）。", MaxLookupTries-c.LookupTries))
	}
	if err != nil {
		return true, fmt.Errorf("the progress of a ticket asked in chat %d: %w", c.ID, err)
	}
	c.LookupNumber, c.Phone = "", phone // a verified phone: the agent sees the citizen's past tickets
	if err := s.store.UpdateChat(ctx, *c); err != nil {
		return true, err
	}
	return true, s.botSays(ctx, c.ID, progressText(p, s.location()))
}

// botSays stores a plain bot message.
func (s *Service) botSays(ctx context.Context, chatID int64, text string) error {
	_, err := s.post(ctx, Message{ChatID: chatID, From: FromBot, Text: text})
	return err
}

// location is the hotline's time zone, for the times the bot tells.
func (s *Service) location() *time.Location {
	if s.cfg.Location != nil {
		return s.cfg.Location
	}
	return time.Local
}

var statusText = map[ticketing.Status]string{
	ticketing.StatusAccepted: "已受理", ticketing.StatusDispatched: "已派单，等待承办单位签收",
	ticketing.StatusInProgress: "办理中", ticketing.StatusReturned: "正在重新派单",
	ticketing.StatusReplied: "已答复，等待回访", ticketing.StatusClosed: "已办结",
	ticketing.StatusMerged: "已合并办理", ticketing.StatusRejected: "不予受理",
}

// progressText tells a ticket's public progress in a few lines.
func progressText(p *ticketing.Progress, loc *time.Location) string {
	var b strings.Builder
	fmt.Fprintf(&b, "工单 %s：%s\n状态：%s", p.Number, p.Title, or(statusText[p.Status], string(p.Status)))
	if p.Department != "" {
		fmt.Fprintf(&b, "\n承办单位：%s", p.Department)
	}
	if p.DueAt != nil && p.ClosedAt == nil {
		fmt.Fprintf(&b, "\n办理时限：%s", p.DueAt.In(loc).Format("2006-01-02 15:04"))
	}
	b.WriteString("\n办理过程：")
	for _, st := range p.Timeline {
		fmt.Fprintf(&b, "\n%s %s", st.At.In(loc).Format("01-02 15:04"), stepText(st, p))
	}
	if p.Reply != "" {
		fmt.Fprintf(&b, "\n答复：%s", p.Reply)
	}
	return b.String()
}

func stepText(st ticketing.ProgressStep, p *ticketing.Progress) string {
	dept := or(st.Department, "承办单位")
	switch st.Step {
	case "accepted":
		return "12345 热线已受理"
	case "dispatched":
		return "已派发至" + dept
	case "signed":
		return dept + "已签收，正在办理"
	case "extended":
		return "办理时限已延长"
	case "replied":
		return dept + "已答复"
	case "rated":
		return "已回访"
	case "reopened":
		return "重新办理"
	case "closed":
		return "已办结"
	case "rejected":
		if st.Text != "" {
			return "不予受理：" + st.Text
		}
		return "不予受理"
	case "merged":
		if p.MergedInto != "" {
			return "已并入工单 " + p.MergedInto + " 一并办理"
		}
		return "已与相同诉求合并办理"
	}
	return st.Step
}

func or(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

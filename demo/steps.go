package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/open12345/hotline/ticketing"
)

// The steps of a sample ticket's story. Each waits a realistic time after
// the previous one: agents work around the clock; departments handle normal
// tickets in office hours, and utility and urgent ones at once.

func (s *sim) create() step {
	return step{
		when: func(p *play) time.Time { return p.created },
		do: func(ctx context.Context, p *play) error {
			title, content := p.tpl.Fill(p.res)
			t, err := s.svc.Create(ctx, p.agent, ticketing.NewTicket{
				Kind: p.tpl.Kind, Channel: p.channel, Urgency: p.tpl.Urgency, Title: title, Content: content,
				Citizen: p.res.Citizen, Confidential: p.confident, Category: p.tpl.Category, Region: p.res.Region,
			})
			if err != nil {
				return fmt.Errorf("seed ticket %q: create: %w", title, err)
			}
			p.t = t
			s.created++
			return nil
		},
	}
}

// byAgent is a step the recording agent takes between lo and hi after the previous one.
func (s *sim) byAgent(lo, hi time.Duration, a ticketing.Action, req func(p *play) ticketing.Request) step {
	return step{
		when: func(p *play) time.Time { return p.at.Add(s.between(lo, hi)) },
		do: func(ctx context.Context, p *play) error {
			return s.act(ctx, p, p.agent, a, req(p))
		},
	}
}

func (s *sim) closeDirectly() step {
	return s.byAgent(2*time.Minute, 10*time.Minute, ticketing.ActionCloseDirectly,
		func(p *play) ticketing.Request { return ticketing.Request{Reply: p.tpl.Reply} })
}

func (s *sim) reject() step {
	return s.byAgent(5*time.Minute, 90*time.Minute, ticketing.ActionReject,
		func(*play) ticketing.Request { return ticketing.Request{Reason: pick(s.rng, rejectReasons())} })
}

func (s *sim) merge() step {
	return s.byAgent(3*time.Minute, 40*time.Minute, ticketing.ActionMerge,
		func(p *play) ticketing.Request { return ticketing.Request{Into: p.into.t.ID} })
}

func (s *sim) note() step {
	return s.byAgent(20*time.Hour, 40*time.Hour, ticketing.ActionNote,
		func(*play) ticketing.Request {
			return ticketing.Request{Text: "市民再次来电询问办理进度，已告知正在办理中，请承办单位尽快答复。"}
		})
}

func (s *sim) reopen() step {
	return s.byAgent(5*time.Minute, time.Hour, ticketing.ActionReopen,
		func(*play) ticketing.Request {
			return ticketing.Request{Reason: "回访不满意：市民反映问题仍未解决，要求承办单位重新核查处理。"}
		})
}

// dispatch sends the ticket to the department the catalogue suggests
// first; again, after a return, to where the department redirected it.
func (s *sim) dispatch(again bool) step {
	return step{
		when: func(p *play) time.Time {
			switch {
			case again:
				return p.at.Add(s.between(20*time.Minute, 2*time.Hour))
			case p.tpl.Urgency == ticketing.UrgencyUrgent:
				return p.at.Add(s.between(time.Minute, 5*time.Minute))
			case p.tpl.Urgency == ticketing.UrgencyUtility:
				return p.at.Add(s.between(2*time.Minute, 10*time.Minute))
			}
			return p.at.Add(s.between(10*time.Minute, 150*time.Minute))
		},
		do: func(ctx context.Context, p *play) error {
			lead := p.suggest[0]
			if again {
				lead = p.redirect
			}
			req := ticketing.Request{Department: lead, CoDepartments: s.coDepartments(p, lead)}
			return s.act(ctx, p, p.agent, ticketing.ActionDispatch, req)
		},
	}
}

// byLead is a step the lead department takes at the time when returns.
func (s *sim) byLead(when func(p *play) time.Time, a ticketing.Action, req func(p *play) ticketing.Request) step {
	return step{
		when: when,
		do: func(ctx context.Context, p *play) error {
			actor, err := s.deptActor(p)
			if err != nil {
				return err
			}
			return s.act(ctx, p, actor, a, req(p))
		},
	}
}

// returnTicket sends the ticket back within hours of the dispatch, well
// inside the return window, saying where it belongs instead.
func (s *sim) returnTicket() step {
	return s.byLead(func(p *play) time.Time { return s.byDept(p, p.at.Add(s.between(20*time.Minute, 4*time.Hour))) },
		ticketing.ActionReturn, func(p *play) ticketing.Request { return ticketing.Request{Reason: p.returnReason} })
}

// sign: urgent tickets within minutes, utilities within half an hour,
// others mostly the same working day, now and then late.
func (s *sim) sign() step {
	return s.byLead(func(p *play) time.Time {
		switch {
		case p.tpl.Urgency == ticketing.UrgencyUrgent:
			return p.at.Add(s.between(3*time.Minute, 14*time.Minute))
		case p.tpl.Urgency == ticketing.UrgencyUtility:
			return p.at.Add(s.between(5*time.Minute, 28*time.Minute))
		case s.rng.IntN(100) < 6:
			return s.office(p.at.Add(s.between(26*time.Hour, 50*time.Hour)))
		}
		return s.office(p.at.Add(s.between(10*time.Minute, 5*time.Hour)))
	}, ticketing.ActionSign, func(*play) ticketing.Request { return ticketing.Request{} })
}

func (s *sim) urge() step {
	return step{
		when: func(p *play) time.Time { return s.daytime(p.at.Add(s.between(30*time.Minute, 4*time.Hour))) },
		do: func(ctx context.Context, p *play) error {
			return s.act(ctx, p, s.supervisor, ticketing.ActionUrge,
				ticketing.Request{Note: "市民多次来电催办，请承办单位加快办理并于时限内答复市民。"})
		},
	}
}

// requestExtension asks for more time a day or two into the handling, and
// before the deadline; when the deadline has passed already, it asks nothing.
func (s *sim) requestExtension() step {
	st := s.byLead(func(p *play) time.Time {
		t := s.byDept(p, p.at.Add(s.between(20*time.Hour, 60*time.Hour)))
		if p.t.DueAt != nil && !t.Before(*p.t.DueAt) && p.t.DueAt.After(p.at) {
			t = p.at.Add(p.t.DueAt.Sub(p.at) / 2)
		}
		return t
	}, ticketing.ActionRequestExtension, func(p *play) ticketing.Request {
		if p.tpl.Kind == ticketing.KindConsultation {
			return ticketing.Request{Days: 2 + s.rng.IntN(2), Reason: "该事项涉及政策口径，需请示上级主管部门后答复，申请延期。"}
		}
		return ticketing.Request{Days: 5 + s.rng.IntN(11), Reason: pick(s.rng, extensionReasons())}
	})
	request := st.do
	st.do = func(ctx context.Context, p *play) error {
		if p.t.DueAt == nil || !p.at.Before(*p.t.DueAt) {
			return nil
		}
		return request(ctx, p)
	}
	return st
}

// decideExtension: the supervisor approves the request, or denies it.
func (s *sim) decideExtension() step {
	return step{
		when: func(p *play) time.Time { return s.daytime(p.at.Add(s.between(time.Hour, 20*time.Hour))) },
		do: func(ctx context.Context, p *play) error {
			if p.t.Extension == nil {
				return nil
			}
			if p.deny {
				return s.act(ctx, p, s.supervisor, ticketing.ActionDenyExtension,
					ticketing.Request{Reason: "该事项情况较为简单，不符合延期条件，请在原时限内办结。"})
			}
			return s.act(ctx, p, s.supervisor, ticketing.ActionApproveExtension, ticketing.Request{})
		},
	}
}

// reply answers within the deadline, mostly well before it, now and then late.
func (s *sim) reply(again bool) step {
	return s.byLead(func(p *play) time.Time {
		if !officeHours(p) {
			return p.at.Add(s.between(40*time.Minute, 10*time.Hour))
		}
		due := p.at.Add(48 * time.Hour)
		if p.t.DueAt != nil && p.t.DueAt.After(p.at) {
			due = *p.t.DueAt
		}
		if s.rng.IntN(100) < 7 {
			return s.office(due.Add(s.between(2*time.Hour, 48*time.Hour)))
		}
		span := max(due.Sub(p.at), time.Hour)
		return s.office(p.at.Add(time.Duration(float64(span) * (0.08 + 0.45*s.rng.Float64()))))
	}, ticketing.ActionReply, func(p *play) ticketing.Request {
		if again {
			return ticketing.Request{Reply: "经重新核查处理：" + p.tpl.Reply + "已再次与市民沟通说明。"}
		}
		return ticketing.Request{Reply: p.tpl.Reply}
	})
}

// callback calls the citizen back the day after the reply.
func (s *sim) callback(satisfied bool) step {
	return step{
		when: func(p *play) time.Time { return s.daytime(p.at.Add(s.between(16*time.Hour, 30*time.Hour))) },
		do: func(ctx context.Context, p *play) error {
			score, note := 1+s.rng.IntN(2), "市民表示问题仍未解决，对答复不认可。"
			if satisfied {
				score, note = []int{3, 4, 4, 5, 5, 5, 5, 5}[s.rng.IntN(8)], pick(s.rng, satisfiedNotes())
			}
			req := ticketing.Request{Satisfaction: score, Satisfied: &satisfied, Note: note}
			p.caller = pick(s.rng, s.agents)
			return s.act(ctx, p, p.caller, ticketing.ActionCallback, req)
		},
	}
}

// closeTicket: the agent who called the citizen back closes the ticket.
func (s *sim) closeTicket() step {
	return step{
		when: func(p *play) time.Time { return p.at.Add(s.between(time.Minute, 15*time.Minute)) },
		do: func(ctx context.Context, p *play) error {
			return s.act(ctx, p, p.caller, ticketing.ActionClose, ticketing.Request{Note: "回访满意，予以办结。"})
		},
	}
}

func rejectReasons() []string {
	return []string{
		"经核实，来电人反映的事项属于民事纠纷，已告知其通过人民调解或诉讼途径解决，不予受理。",
		"诉求内容不明确，多次回拨来电人均无人接听，无法核实具体情况。",
		"来电人反映的问题已进入司法程序，依规不予受理，已做好解释。",
		"来电人所述地点不在本市行政区域内，已告知其向属地政务服务热线反映。",
	}
}

func extensionReasons() []string {
	return []string{
		"该问题需协调多个部门联合现场核查，无法在办理时限内办结，申请延期。",
		"需进一步调查取证并约谈相关责任方，申请延长办理时限。",
		"需委托第三方机构出具检测或鉴定意见，申请延期办理。",
	}
}

func satisfiedNotes() []string {
	return []string{"市民对办理结果表示满意。", "市民表示问题已解决，感谢相关部门。", "市民基本认可答复内容。"}
}

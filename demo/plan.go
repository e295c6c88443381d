package demo

import (
	"fmt"
	"slices"
	"time"

	"github.com/open12345/hotline/ticketing"
)

// plan prepares n sample tickets created over the 30 days before now, and
// decides how far each one's story goes.
func (s *sim) plan(n int) error {
	residents := NewResidents(residentSeed)
	byKind := map[ticketing.Kind][]Template{}
	for _, t := range Templates() {
		byKind[t.Kind] = append(byKind[t.Kind], t)
	}
	// The mix of a city hotline: about half consultations, in the order of ticketing.Kinds.
	kindWeights := []int{50, 12, 18, 8, 7, 5}
	channelWeights := []int{75, 13, 9, 3}
	for _, at := range s.creationTimes(n) {
		p := &play{created: at, at: at, agent: pick(s.rng, s.agents), res: residents.Next(),
			channel: ticketing.Channels[weighted(s.rng, channelWeights)]}
		p.tpl = pick(s.rng, byKind[ticketing.Kinds[weighted(s.rng, kindWeights)]])
		p.out = s.outcome(p)
		if p.out == outMerged && !s.mergeInto(p) {
			p.out = s.byAge(p)
		}
		s.extras(p)
		suggest, err := s.catalogue.Suggest(p.tpl.Category, p.res.Region, s.deptList)
		if err != nil {
			return fmt.Errorf("seed tickets: template %q: %w", p.tpl.Title, err)
		}
		p.suggest = suggest
		s.redirect(p)
		p.steps = s.steps(p)
		s.plays = append(s.plays, p)
	}
	return nil
}

// creationTimes returns n times before now, oldest first: most over the
// last 30 days in the hotline's daily rhythm (busy in office hours, quiet
// at night), a fifth in the last twelve hours so that today's queues are
// full, and the newest a few minutes ago.
func (s *sim) creationTimes(n int) []time.Time {
	hourWeights := []int{1, 1, 1, 1, 1, 1, 2, 4, 8, 10, 10, 9, 7, 8, 9, 9, 8, 7, 6, 6, 5, 4, 3, 2}
	latest := s.now.Add(-3 * time.Minute)
	out := make([]time.Time, 0, n)
	if n > 0 {
		out = append(out, s.now.Add(-s.between(3*time.Minute, 15*time.Minute)))
	}
	for len(out) < n {
		var t time.Time
		if s.rng.IntN(100) < 20 {
			t = s.now.Add(-s.between(15*time.Minute, 12*time.Hour))
		} else {
			day := ticketing.DateOf(s.now).AddDays(-s.rng.IntN(30))
			t = day.In(s.now.Location()).Add(time.Duration(weighted(s.rng, hourWeights))*time.Hour +
				s.between(0, time.Hour))
		}
		if t.Before(latest) {
			out = append(out, t)
		}
	}
	for i := range out {
		out[i] = out[i].Truncate(time.Second)
	}
	slices.SortFunc(out, time.Time.Compare)
	return out
}

// outcome decides where the ticket's story ends: most consultations are
// answered at once; a few tickets are rejected or duplicates; the rest go
// as far as their age allows.
func (s *sim) outcome(p *play) outcome {
	if p.tpl.Kind == ticketing.KindConsultation && s.rng.IntN(100) < 90 {
		return outDirect
	}
	switch r := s.rng.IntN(100); {
	case r < 5:
		return outRejected
	case r < 10:
		return outMerged
	}
	return s.byAge(p)
}

// share is the weight of an outcome among tickets of some age.
type share struct {
	out    outcome
	weight int
}

// byAge picks the outcome of a dispatched ticket: young tickets are still
// waiting or being handled, old ones mostly closed.
func (s *sim) byAge(p *play) outcome {
	var shares []share
	switch age := s.now.Sub(p.created); {
	case age < 3*time.Hour:
		shares = []share{{outAccepted, 35}, {outDispatched, 35}, {outReturned, 15}, {outSigned, 15}}
	case age < 24*time.Hour:
		shares = []share{{outAccepted, 5}, {outDispatched, 25}, {outReturned, 15}, {outSigned, 25},
			{outExtPending, 5}, {outReplied, 25}}
	case age < 72*time.Hour:
		shares = []share{{outDispatched, 10}, {outReturned, 8}, {outSigned, 25}, {outUrged, 5},
			{outExtPending, 10}, {outReplied, 25}, {outClosed, 17}}
	case age < 10*24*time.Hour:
		shares = []share{{outDispatched, 3}, {outReturned, 3}, {outSigned, 12}, {outUrged, 6},
			{outExtPending, 8}, {outExtApproved, 8}, {outReplied, 18}, {outClosed, 36}, {outReopened, 6}}
	default:
		shares = []share{{outDispatched, 1}, {outReturned, 1}, {outSigned, 4}, {outUrged, 4},
			{outExtPending, 2}, {outExtApproved, 8}, {outReplied, 6}, {outClosed, 66}, {outReopened, 3},
			{outReopenClosed, 5}}
	}
	weights := make([]int, len(shares))
	for i, sh := range shares {
		weights[i] = sh.weight
	}
	return shares[weighted(s.rng, weights)].out
}

// mergeInto makes p a duplicate of a recent ticket about the same matter
// at the same place, reported by another citizen. It reports false when
// there is no earlier ticket to merge into.
func (s *sim) mergeInto(p *play) bool {
	var candidates []*play
	for _, q := range s.plays {
		age := p.created.Sub(q.created)
		if q.tpl.Kind != ticketing.KindConsultation && age > 10*time.Minute && age < 10*24*time.Hour &&
			!slices.Contains([]outcome{outDirect, outRejected, outMerged}, q.out) {
			candidates = append(candidates, q)
		}
	}
	if len(candidates) == 0 {
		return false
	}
	q := pick(s.rng, candidates[max(0, len(candidates)-5):])
	p.into, p.tpl = q, q.tpl
	p.res.Region, p.res.Road, p.res.Place = q.res.Region, q.res.Road, q.res.Place
	return true
}

// extras decides the detours of a ticket on its way: a return and a new
// dispatch, an urge, an extension (now and then denied), confidentiality.
// Utility and urgent tickets are settled within hours and get no
// extension; only a complaint, report or request for help is called back
// unsatisfied or rejected.
func (s *sim) extras(p *play) {
	p.retry = s.rng.IntN(100) < 8
	p.urge = s.rng.IntN(100) < 7
	p.extension = officeHours(p) && s.rng.IntN(100) < 8
	p.deny = p.out != outExtApproved && s.rng.IntN(100) < 30
	r := s.rng.IntN(100)
	p.confident = p.tpl.Confidential || (p.tpl.Kind == ticketing.KindReport && r < 40) ||
		(p.tpl.Kind == ticketing.KindComplaint && r < 8)
	grievance := slices.Contains([]ticketing.Kind{ticketing.KindComplaint, ticketing.KindReport, ticketing.KindHelp}, p.tpl.Kind)
	switch {
	case !officeHours(p) && (p.out == outExtPending || p.out == outExtApproved):
		p.out = outClosed
	case !grievance && (p.out == outReopened || p.out == outReopenClosed):
		p.out = outClosed
	case !grievance && p.tpl.Kind != ticketing.KindConsultation && p.out == outRejected:
		p.out = s.byAge(p)
	}
}

// redirect decides what a department that returns the ticket says, and
// where the ticket goes next: to another department responsible for the
// category, else to the city-level department above the district unit,
// else back to the same department once the address is completed.
func (s *sim) redirect(p *play) {
	first := p.suggest[0]
	p.redirect, p.returnReason = first, "工单缺少具体地址和联系方式，无法现场核实，请补充后重新派单。"
	for _, code := range p.suggest[1:] {
		if s.root(code) != s.root(first) {
			p.redirect = code
			p.returnReason = "经核实，该事项不属于我单位职责范围，建议派" + s.depts[code].Name + "办理。"
			return
		}
	}
	if len(p.suggest) > 1 {
		p.redirect = p.suggest[1]
		p.returnReason = "经核实，该地点位于两区交界处，管辖需由市级主管部门统筹协调，请改派市级部门办理。"
		if p.tpl.Kind == ticketing.KindConsultation {
			p.returnReason = "该事项涉及全市统一政策口径，建议派市级主管部门答复。"
		}
	}
}

// steps lists the actions of the ticket's story, in order.
func (s *sim) steps(p *play) []step {
	steps := []step{s.create()}
	switch p.out {
	case outAccepted:
		return steps
	case outDirect:
		return append(steps, s.closeDirectly())
	case outRejected:
		return append(steps, s.reject())
	case outMerged:
		return append(steps, s.merge())
	}
	steps = append(steps, s.dispatch(false))
	switch {
	case p.out == outDispatched:
		return steps
	case p.out == outReturned:
		return append(steps, s.returnTicket())
	case p.retry:
		steps = append(steps, s.returnTicket(), s.dispatch(true))
	}
	steps = append(steps, s.sign())
	switch {
	case p.out == outSigned:
		return steps
	case p.out == outUrged:
		return append(steps, s.note(), s.urge())
	case p.out == outExtPending:
		return append(steps, s.requestExtension())
	case p.out == outExtApproved:
		return append(steps, s.requestExtension(), s.decideExtension())
	}
	if p.urge {
		steps = append(steps, s.note(), s.urge())
	}
	if p.extension {
		steps = append(steps, s.requestExtension(), s.decideExtension())
	}
	steps = append(steps, s.reply(false))
	switch p.out {
	case outReplied:
		return steps
	case outClosed:
		return append(steps, s.callback(true), s.closeTicket())
	}
	steps = append(steps, s.callback(false), s.reopen())
	if p.out == outReopened {
		return steps
	}
	return append(steps, s.sign(), s.reply(true), s.callback(true), s.closeTicket())
}

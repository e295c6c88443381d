package ticketing

import (
	"time"

	"github.com/open12345/hotline/errs"
)

// Limit is a time limit: either working days (ending at 23:59:59 of the
// last day) or calendar minutes. Exactly one is set.
type Limit struct {
	WorkingDays int `json:"working_days,omitempty"`
	Minutes     int `json:"minutes,omitempty"`
}

// Validate checks that exactly one part is set and within bounds.
func (l Limit) Validate(what string) error {
	switch {
	case l.WorkingDays < 0 || l.Minutes < 0:
		return errs.E(errs.Invalid, "%s must not be negative", what)
	case (l.WorkingDays == 0) == (l.Minutes == 0):
		return errs.E(errs.Invalid, "%s needs exactly one of working_days or minutes", what)
	case l.WorkingDays > 365 || l.Minutes > 60*24*365:
		return errs.E(errs.Invalid, "%s is longer than a year", what)
	}
	return nil
}

// From returns the deadline of the limit counted from t.
func (l Limit) From(cal *Calendar, t time.Time) time.Time {
	if l.Minutes > 0 {
		return t.Add(time.Duration(l.Minutes) * time.Minute).In(cal.Location())
	}
	return cal.EndOfWorkingDays(t, l.WorkingDays)
}

// Policy is the signing and completion limit for one kind and urgency.
type Policy struct {
	Kind    Kind    `json:"kind"`
	Urgency Urgency `json:"urgency"`
	Sign    Limit   `json:"sign"`
	Due     Limit   `json:"due"`
}

// Policies holds one policy for each kind × urgency, and the window in
// which a department may return a ticket.
type Policies struct {
	Rules        []Policy `json:"rules"`
	ReturnWindow Limit    `json:"return_window"`
}

// DefaultPolicies returns the common limits (Guangdong 2022): signing urgent
// 15 minutes, utility 30 minutes, otherwise 1 working day; completion
// consultation 2 working days, help and suggestion 10, complaint and report
// 15, praise 5, and any urgent ticket 24 hours. Returns within 1 working day.
func DefaultPolicies() Policies {
	due := map[Kind]int{KindConsultation: 2, KindHelp: 10, KindSuggestion: 10,
		KindComplaint: 15, KindReport: 15, KindPraise: 5}
	sign := map[Urgency]Limit{UrgencyNormal: {WorkingDays: 1}, UrgencyUtility: {Minutes: 30}, UrgencyUrgent: {Minutes: 15}}
	var p Policies
	for _, k := range Kinds {
		for _, u := range Urgencies {
			d := Limit{WorkingDays: due[k]}
			if u == UrgencyUrgent {
				d = Limit{Minutes: 24 * 60}
			}
			p.Rules = append(p.Rules, Policy{Kind: k, Urgency: u, Sign: sign[u], Due: d})
		}
	}
	p.ReturnWindow = Limit{WorkingDays: 1}
	return p
}

// Validate checks that every kind × urgency has exactly one valid policy.
func (p Policies) Validate() error {
	seen := map[[2]string]bool{}
	for _, r := range p.Rules {
		if _, err := ParseKind(string(r.Kind)); err != nil {
			return err
		}
		if _, err := ParseUrgency(string(r.Urgency)); err != nil {
			return err
		}
		key := [2]string{string(r.Kind), string(r.Urgency)}
		if seen[key] {
			return errs.E(errs.Invalid, "two policies for %s/%s", r.Kind, r.Urgency)
		}
		seen[key] = true
		if err := r.Sign.Validate("sign limit of " + key[0] + "/" + key[1]); err != nil {
			return err
		}
		if err := r.Due.Validate("due limit of " + key[0] + "/" + key[1]); err != nil {
			return err
		}
	}
	if len(seen) != len(Kinds)*len(Urgencies) {
		return errs.E(errs.Invalid, "policies must cover every kind and urgency (%d), got %d", len(Kinds)*len(Urgencies), len(seen))
	}
	return p.ReturnWindow.Validate("return window")
}

// Lookup returns the policy for kind and urgency, falling back to the default.
func (p Policies) Lookup(k Kind, u Urgency) Policy {
	for _, r := range p.Rules {
		if r.Kind == k && r.Urgency == u {
			return r
		}
	}
	for _, r := range DefaultPolicies().Rules {
		if r.Kind == k && r.Urgency == u {
			return r
		}
	}
	return Policy{Kind: k, Urgency: u, Sign: Limit{WorkingDays: 1}, Due: Limit{WorkingDays: 15}}
}

// Deadlines are the signing and completion deadlines of a dispatch.
type Deadlines struct {
	SignDueAt time.Time `json:"sign_due_at"`
	DueAt     time.Time `json:"due_at"`
}

// Compute returns the deadlines of a ticket of kind and urgency dispatched at t.
func (p Policies) Compute(cal *Calendar, t time.Time, k Kind, u Urgency) Deadlines {
	r := p.Lookup(k, u)
	return Deadlines{SignDueAt: r.Sign.From(cal, t), DueAt: r.Due.From(cal, t)}
}

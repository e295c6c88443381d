package ticketing

import (
	"context"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/errs"
)

// calendarAround returns a calendar covering the year before and the two
// years after year, stored years taking the place of the defaults, so that
// deadlines and extensions that cross a new year count correctly.
func (s *Service) calendarAround(ctx context.Context, year int) (*Calendar, error) {
	stored, err := s.store.CalendarYears(ctx, year-1, year+2)
	if err != nil {
		return nil, err
	}
	byYear := map[int]Year{}
	for _, y := range stored {
		byYear[y.Year] = y
	}
	var years []Year
	for y := year - 1; y <= year+2; y++ {
		if st, ok := byYear[y]; ok {
			years = append(years, st)
		} else {
			years = append(years, DefaultYear(y))
		}
	}
	return NewCalendar(s.loc, years...), nil
}

// CalendarYear returns the calendar of a year: the stored one, else the default.
// Errors: invalid.
func (s *Service) CalendarYear(ctx context.Context, year int) (Year, error) {
	if err := (Year{Year: year}).Validate(); err != nil {
		return Year{}, err
	}
	stored, err := s.store.CalendarYears(ctx, year, year)
	if err != nil {
		return Year{}, err
	}
	if len(stored) == 1 {
		return stored[0], nil
	}
	return DefaultYear(year), nil
}

// SetCalendarYear replaces a year's calendar. Admins only.
// Errors: forbidden, invalid.
func (s *Service) SetCalendarYear(ctx context.Context, actor auth.Actor, y Year) error {
	if !actor.Is(auth.RoleAdmin) {
		return errs.E(errs.Forbidden, "only admins edit the calendar")
	}
	if err := y.Validate(); err != nil {
		return err
	}
	return s.store.SaveCalendarYear(ctx, y)
}

// Policies returns the deadline policies in force.
func (s *Service) Policies(ctx context.Context) (Policies, error) {
	p, ok, err := s.store.Policies(ctx)
	if err != nil || !ok {
		return DefaultPolicies(), err
	}
	return p, nil
}

// SetPolicies replaces the deadline policies. Admins only.
// Errors: forbidden, invalid.
func (s *Service) SetPolicies(ctx context.Context, actor auth.Actor, p Policies) error {
	if !actor.Is(auth.RoleAdmin) {
		return errs.E(errs.Forbidden, "only admins edit deadline policies")
	}
	if err := p.Validate(); err != nil {
		return err
	}
	return s.store.SavePolicies(ctx, p)
}

// Deadline computes the deadlines of a ticket of kind and urgency
// dispatched at from, exactly as a dispatch would. Errors: invalid.
func (s *Service) Deadline(ctx context.Context, from time.Time, k Kind, u Urgency) (Deadlines, error) {
	var err error
	if k, err = ParseKind(string(k)); err != nil {
		return Deadlines{}, err
	}
	if u == "" {
		u = UrgencyNormal
	}
	if u, err = ParseUrgency(string(u)); err != nil {
		return Deadlines{}, err
	}
	if from.Year() < 2000 || from.Year() > 2100 {
		return Deadlines{}, errs.E(errs.Invalid, "from is out of range")
	}
	cal, err := s.calendarAround(ctx, from.In(s.loc).Year())
	if err != nil {
		return Deadlines{}, err
	}
	pol, err := s.Policies(ctx)
	if err != nil {
		return Deadlines{}, err
	}
	return pol.Compute(cal, from, k, u), nil
}

// Departments lists every department, without webhook secrets; only
// admins see the webhook URLs.
func (s *Service) Departments(ctx context.Context, actor auth.Actor) ([]Department, error) {
	ds, err := s.store.Departments(ctx)
	for i := range ds {
		ds[i].WebhookSecret = ""
		if !actor.Is(auth.RoleAdmin) {
			ds[i].WebhookURL = "" // where departments' systems live is for admins to know
		}
	}
	return ds, err
}

// SaveDepartment creates or updates a department; with create set, an
// existing code is a conflict. Admins only.
// Errors: forbidden, invalid (including an unknown parent), conflict.
func (s *Service) SaveDepartment(ctx context.Context, actor auth.Actor, d Department, create bool) (Department, error) {
	if !actor.Is(auth.RoleAdmin) {
		return Department{}, errs.E(errs.Forbidden, "only admins manage departments")
	}
	d.CreatedAt = s.now()
	if !create && d.WebhookSecret == "" {
		// The API never returns secrets, so an update without one keeps the stored one.
		old, err := s.store.Department(ctx, d.Code)
		if err != nil && !errs.Is(err, errs.NotFound) {
			return Department{}, err
		}
		d.WebhookSecret = old.WebhookSecret
	}
	d, err := d.Normalize()
	if err != nil {
		return Department{}, err
	}
	save := s.store.SaveDepartment
	if create {
		save = s.store.CreateDepartment
	}
	if err := save(ctx, d); err != nil {
		return Department{}, err
	}
	saved, err := s.store.Department(ctx, d.Code)
	saved.WebhookSecret = ""
	return saved, err
}

// Catalogue returns the dispatch catalogue.
func (s *Service) Catalogue(ctx context.Context) (Catalogue, error) { return s.store.Catalogue(ctx) }

// SetCatalogue replaces the dispatch catalogue. Admins only.
// Errors: forbidden, invalid.
func (s *Service) SetCatalogue(ctx context.Context, actor auth.Actor, c Catalogue) error {
	if !actor.Is(auth.RoleAdmin) {
		return errs.E(errs.Forbidden, "only admins edit the dispatch catalogue")
	}
	depts, err := s.store.Departments(ctx)
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for _, d := range depts {
		known[d.Code] = true
	}
	if err := c.Validate(func(code string) bool { return known[code] }); err != nil {
		return err
	}
	return s.store.SaveCatalogue(ctx, c)
}

// Suggest ranks the departments for a ticket of category in region.
// Errors: invalid (no category), not_found (category unknown).
func (s *Service) Suggest(ctx context.Context, category, region string) ([]string, error) {
	if category == "" {
		return nil, errs.E(errs.Invalid, "category is required")
	}
	c, err := s.store.Catalogue(ctx)
	if err != nil {
		return nil, err
	}
	depts, err := s.store.Departments(ctx)
	if err != nil {
		return nil, err
	}
	return c.Suggest(category, region, depts)
}

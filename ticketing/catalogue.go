package ticketing

import (
	"slices"
	"strings"

	"github.com/open12345/hotline/errs"
)

// Category is one entry of the dispatch catalogue (派单目录): a kind of
// request and the departments responsible for it, in order of
// responsibility. Top-level categories hold subcategories; a subcategory
// without departments inherits its parent's.
type Category struct {
	Code        string     `json:"code"`
	Name        string     `json:"name"`
	Departments []string   `json:"departments"`
	Children    []Category `json:"children,omitempty"`
}

// Catalogue is the two-level dispatch catalogue.
type Catalogue struct {
	Categories []Category `json:"categories"`
}

// Validate checks the shape: two levels at most, unique well-formed codes,
// names present, department codes known. Errors: invalid.
func (c Catalogue) Validate(known func(code string) bool) error {
	seen := map[string]bool{}
	check := func(cat Category, level int) error {
		if !ValidCode(cat.Code) {
			return errs.E(errs.Invalid, "category code %q must be 1-40 characters of a-z, 0-9 or '-'", cat.Code)
		}
		if seen[cat.Code] {
			return errs.E(errs.Invalid, "category code %q appears twice", cat.Code)
		}
		seen[cat.Code] = true
		if strings.TrimSpace(cat.Name) == "" {
			return errs.E(errs.Invalid, "category %q has no name", cat.Code)
		}
		if err := maxRunes("category name", cat.Name, 100); err != nil {
			return err
		}
		if level == 2 && len(cat.Children) > 0 {
			return errs.E(errs.Invalid, "category %q: the catalogue has two levels only", cat.Code)
		}
		for _, d := range cat.Departments {
			if !known(d) {
				return errs.E(errs.Invalid, "category %q names unknown department %q", cat.Code, d)
			}
		}
		return nil
	}
	for _, top := range c.Categories {
		if err := check(top, 1); err != nil {
			return err
		}
		for _, sub := range top.Children {
			if err := check(sub, 2); err != nil {
				return err
			}
		}
	}
	if len(seen) > 5000 {
		return errs.E(errs.Invalid, "the catalogue has more than 5000 categories")
	}
	return nil
}

// Responsible returns the departments responsible for a category, found by
// code or by name; a subcategory without its own inherits its parent's.
func (c Catalogue) Responsible(category string) ([]string, bool) {
	for _, top := range c.Categories {
		if top.Code == category || top.Name == category {
			return top.Departments, true
		}
		for _, sub := range top.Children {
			if sub.Code == category || sub.Name == category {
				if len(sub.Departments) > 0 {
					return sub.Departments, true
				}
				return top.Departments, true
			}
		}
	}
	return nil, false
}

// Suggest ranks the departments to dispatch a ticket of the category to.
// For each responsible department, its unit in the ticket's region (a child
// department with that region) comes first, then the department itself.
// Errors: not_found if the category is not in the catalogue.
func (c Catalogue) Suggest(category, region string, departments []Department) ([]string, error) {
	responsible, ok := c.Responsible(category)
	if !ok {
		return nil, errs.E(errs.NotFound, "category %q is not in the dispatch catalogue", category)
	}
	out := []string{}
	for _, code := range responsible {
		if region != "" {
			for _, d := range departments {
				if d.Parent == code && d.Region == region && !slices.Contains(out, d.Code) {
					out = append(out, d.Code)
				}
			}
		}
		if !slices.Contains(out, code) {
			out = append(out, code)
		}
	}
	return out, nil
}

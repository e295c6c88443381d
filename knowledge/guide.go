// Package knowledge is the hotline's knowledge base of matter guides
// (办事指南): the guides themselves with their versions and review dates,
// the search interface that the embedded and Meilisearch indexes
// implement, and the query handling both share (normalisation, word
// splitting, synonyms, pinyin, snippets).
package knowledge

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/textguard"
)

// Status is where a guide stands in its life: only published guides
// reach citizens.
type Status string

// The statuses of a guide.
const (
	StatusDraft     Status = "draft"
	StatusPublished Status = "published"
	StatusArchived  Status = "archived"
)

// Statuses lists every status.
var Statuses = []Status{StatusDraft, StatusPublished, StatusArchived}

// Material is one document an applicant brings.
type Material struct {
	Name   string `json:"name"`
	Form   string `json:"form"`   // 原件, 复印件, 电子证照 …
	Copies int    `json:"copies"` // at least 1
}

// Guide is a matter guide: how a citizen gets one government service done.
type Guide struct {
	Code       string     `json:"code"` // 事项编码
	Name       string     `json:"name"` // 事项名称
	Department string     `json:"department"`
	Category   string     `json:"category"`
	Scope      string     `json:"scope"`      // 受理范围
	Conditions string     `json:"conditions"` // 受理条件
	Materials  []Material `json:"materials"`
	Process    string     `json:"process"`    // 办理流程
	TimeLimit  string     `json:"time_limit"` // 办理时限
	Fee        string     `json:"fee"`
	Location   string     `json:"location"`
	Hours      string     `json:"hours"`
	Phone      string     `json:"phone"`
	LegalBasis string     `json:"legal_basis"` // 法律依据
	OnlineURL  string     `json:"online_url"`
	Keywords   []string   `json:"keywords"`
	Status     Status     `json:"status"`
	ReviewBy   string     `json:"review_by,omitempty"` // YYYY-MM-DD
	Version    int        `json:"version"`             // 1 on creation, +1 on each save
	UpdatedAt  time.Time  `json:"updated_at"`
	UpdatedBy  string     `json:"updated_by,omitempty"`
}

// Limits on a guide's contents.
const (
	MaxNameRunes     = 200
	MaxTextRunes     = 20000 // each long text field
	MaxShortRunes    = 500   // time limit, fee, hours, phone, location …
	MaxMaterials     = 50
	MaxKeywords      = 30
	MaxKeywordRunes  = 30
	MaxCategoryRunes = 50
)

var codePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// keywordSeparators split a keyword list typed by a person: 社保、医保, 社保,医保 …
const keywordSeparators = ",，、;；|\n"

// ValidateCode reports whether code can name a guide.
func ValidateCode(code string) error {
	if code == "" {
		return errs.E(errs.Invalid, "code is required")
	}
	if !codePattern.MatchString(code) {
		return errs.E(errs.Invalid, "code %q must be 1-64 letters, digits, '.', '_' or '-'", clip(code, 70))
	}
	return nil
}

// Normalize trims the guide's text, turns CRLF line ends into LF (as a
// CSV round trip does) and fills defaults (status draft, one copy of a
// material) before validation.
func (g *Guide) Normalize() {
	for _, p := range []*string{&g.Code, &g.Name, &g.Department, &g.Category, &g.Scope, &g.Conditions,
		&g.Process, &g.TimeLimit, &g.Fee, &g.Location, &g.Hours, &g.Phone, &g.LegalBasis, &g.OnlineURL, &g.ReviewBy} {
		*p = strings.ReplaceAll(strings.TrimSpace(*p), "\r\n", "\n")
	}
	if g.Status == "" {
		g.Status = StatusDraft
	}
	for i := range g.Materials {
		m := &g.Materials[i]
		m.Name, m.Form = strings.TrimSpace(m.Name), strings.TrimSpace(m.Form)
		if m.Copies == 0 {
			m.Copies = 1
		}
	}
	kw := g.Keywords[:0:0]
	for _, k := range g.Keywords {
		if k = strings.TrimSpace(k); k != "" && !slices.Contains(kw, k) {
			kw = append(kw, k)
		}
	}
	g.Keywords = kw
}

// Validate checks the guide's fields and returns an invalid error naming
// the first field at fault.
func (g *Guide) Validate() error {
	if err := ValidateCode(g.Code); err != nil {
		return err
	}
	if g.Name == "" {
		return errs.E(errs.Invalid, "name is required")
	}
	if g.Department == "" {
		return errs.E(errs.Invalid, "department is required")
	}
	if !slices.Contains(Statuses, g.Status) {
		return errs.E(errs.Invalid, "status %q must be draft, published or archived", clip(string(g.Status), 20))
	}
	for _, f := range []struct {
		name  string
		value string
		max   int
	}{
		{"name", g.Name, MaxNameRunes}, {"department", g.Department, 64}, {"category", g.Category, MaxCategoryRunes},
		{"scope", g.Scope, MaxTextRunes}, {"conditions", g.Conditions, MaxTextRunes},
		{"process", g.Process, MaxTextRunes}, {"legal_basis", g.LegalBasis, MaxTextRunes},
		{"time_limit", g.TimeLimit, MaxShortRunes}, {"fee", g.Fee, MaxShortRunes},
		{"location", g.Location, MaxShortRunes}, {"hours", g.Hours, MaxShortRunes},
		{"phone", g.Phone, MaxShortRunes}, {"online_url", g.OnlineURL, 2000},
	} {
		if err := checkText(f.name, f.value, f.max); err != nil {
			return err
		}
	}
	if err := g.validateLists(); err != nil {
		return err
	}
	if g.OnlineURL != "" {
		u, err := url.Parse(g.OnlineURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return errs.E(errs.Invalid, "online_url must be an http or https address")
		}
	}
	if g.ReviewBy != "" {
		if _, err := time.Parse(time.DateOnly, g.ReviewBy); err != nil {
			return errs.E(errs.Invalid, "review_by %q must be a date like 2027-06-30", clip(g.ReviewBy, 20))
		}
	}
	return nil
}

func (g *Guide) validateLists() error {
	if len(g.Materials) > MaxMaterials {
		return errs.E(errs.Invalid, "at most %d materials", MaxMaterials)
	}
	for i, m := range g.Materials {
		if m.Name == "" {
			return errs.E(errs.Invalid, "materials[%d].name is required", i)
		}
		if strings.ContainsAny(m.Name+m.Form, "|\r\n") {
			return errs.E(errs.Invalid, "materials[%d] must not contain '|' or line breaks", i)
		}
		if err := checkText(fmt.Sprintf("materials[%d].name", i), m.Name, MaxNameRunes); err != nil {
			return err
		}
		if err := checkText(fmt.Sprintf("materials[%d].form", i), m.Form, 20); err != nil {
			return err
		}
		if m.Copies < 1 || m.Copies > 99 {
			return errs.E(errs.Invalid, "materials[%d].copies must be 1-99", i)
		}
	}
	if len(g.Keywords) > MaxKeywords {
		return errs.E(errs.Invalid, "at most %d keywords", MaxKeywords)
	}
	for i, k := range g.Keywords {
		if strings.ContainsAny(k, keywordSeparators) {
			return errs.E(errs.Invalid, "keywords[%d] must not contain separators like ',' or '、'", i)
		}
		if err := checkText(fmt.Sprintf("keywords[%d]", i), k, MaxKeywordRunes); err != nil {
			return err
		}
	}
	return nil
}

// checkText bounds a field's length and refuses invalid UTF-8 and the
// characters textguard forbids (controls other than line breaks and tabs,
// bidirectional overrides).
func checkText(field, v string, maxRunes int) error {
	if !utf8.ValidString(v) {
		return errs.E(errs.Invalid, "%s is not valid UTF-8", field)
	}
	if n := utf8.RuneCountInString(v); n > maxRunes {
		return errs.E(errs.Invalid, "%s is %d characters long; at most %d", field, n, maxRunes)
	}
	for _, r := range v {
		if textguard.Forbidden(r) {
			return errs.E(errs.Invalid, "%s contains a control character", field)
		}
	}
	return nil
}

// clip shortens s for an error message.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// Changed lists the fields in which g differs from old, by their JSON
// names, for the version history.
func (g *Guide) Changed(old *Guide) []string {
	var out []string
	add := func(name string, differ bool) {
		if differ {
			out = append(out, name)
		}
	}
	add("name", g.Name != old.Name)
	add("department", g.Department != old.Department)
	add("category", g.Category != old.Category)
	add("scope", g.Scope != old.Scope)
	add("conditions", g.Conditions != old.Conditions)
	add("materials", !slices.Equal(g.Materials, old.Materials))
	add("process", g.Process != old.Process)
	add("time_limit", g.TimeLimit != old.TimeLimit)
	add("fee", g.Fee != old.Fee)
	add("location", g.Location != old.Location)
	add("hours", g.Hours != old.Hours)
	add("phone", g.Phone != old.Phone)
	add("legal_basis", g.LegalBasis != old.LegalBasis)
	add("online_url", g.OnlineURL != old.OnlineURL)
	add("keywords", !slices.Equal(g.Keywords, old.Keywords))
	add("status", g.Status != old.Status)
	add("review_by", g.ReviewBy != old.ReviewBy)
	return out
}

// MaterialsText is the materials as one line each: 居民身份证（原件）×1.
func (g *Guide) MaterialsText() string {
	var b strings.Builder
	for i, m := range g.Materials {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(m.Name)
		if m.Form != "" {
			b.WriteString("（" + m.Form + "）")
		}
		fmt.Fprintf(&b, "×%d", m.Copies)
	}
	return b.String()
}

// Version is one saved state of a guide in its history.
type Version struct {
	Seq     int64     `json:"seq"`
	Code    string    `json:"code"`
	Version int       `json:"version"`
	Action  string    `json:"action"` // created, updated, deleted, imported
	Changed []string  `json:"changed"`
	By      string    `json:"by"`
	At      time.Time `json:"at"`
	Guide   *Guide    `json:"guide,omitempty"` // the state saved; nil when deleted
}

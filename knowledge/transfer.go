package knowledge

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/errs"
)

// Import and export limits.
const (
	MaxImportBytes  = 64 << 20
	MaxImportGuides = 100000
	maxRowErrors    = 10
)

// csvHeader names the CSV columns, in order. Materials are one per line
// as name|form|copies; keywords are separated by 、.
var csvHeader = []string{"code", "name", "department", "category", "scope", "conditions", "materials", "process",
	"time_limit", "fee", "location", "hours", "phone", "legal_basis", "online_url", "keywords", "status", "review_by"}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// ImportResult counts what an import did.
type ImportResult struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
}

// rowError is a problem with one record of an import.
type rowError struct {
	line int
	err  error
}

// Import reads guides in format ("json" or "csv") and stores them all or
// none: every record is checked first, and a single bad one refuses the
// whole file with the line numbers of every problem. Guides whose content
// is unchanged are left alone, so importing an export changes nothing.
// Errors: forbidden, invalid, too_large.
func (s *Service) Import(ctx context.Context, actor auth.Actor, format string, r io.Reader) (ImportResult, error) {
	if !actor.Is(editors...) {
		return ImportResult{}, errs.E(errs.Forbidden, "only admins and supervisors import guides")
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxImportBytes+1))
	if err != nil {
		return ImportResult{}, errs.Wrap(errs.Invalid, err, "could not read the import")
	}
	if len(data) > MaxImportBytes {
		return ImportResult{}, errs.E(errs.TooLarge, "an import is at most %d MiB", MaxImportBytes>>20)
	}
	guides, lines, err := parseImport(format, bytes.TrimPrefix(data, utf8BOM))
	if err != nil {
		return ImportResult{}, err
	}
	return s.load(ctx, actor.Username, guides, lines)
}

// Load stores guides all or nothing, as Import does, on behalf of by
// (seeding and tools; no role check). Problems are reported by the
// guide's position, counting from 1. Errors: invalid.
func (s *Service) Load(ctx context.Context, by string, guides []Guide) (ImportResult, error) {
	lines := make([]int, len(guides))
	for i := range lines {
		lines[i] = i + 1
	}
	return s.load(ctx, by, guides, lines)
}

func (s *Service) load(ctx context.Context, by string, guides []Guide, lines []int) (ImportResult, error) {
	problems := s.checkImport(ctx, guides, lines)
	if len(problems) > 0 {
		return ImportResult{}, importRefused(problems)
	}
	return s.storeImport(ctx, by, guides)
}

func parseImport(format string, data []byte) ([]Guide, []int, error) {
	switch format {
	case "json":
		return parseJSON(data)
	case "csv":
		return parseCSV(data)
	}
	return nil, nil, errs.E(errs.Invalid, "format must be json or csv")
}

// parseJSON decodes a JSON array of guides, noting each one's line.
func parseJSON(data []byte) ([]Guide, []int, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return nil, nil, errs.E(errs.Invalid, "line 1: a JSON import is an array of guides")
	}
	var guides []Guide
	var lines []int
	for dec.More() {
		start := int(dec.InputOffset())
		start += len(data[start:]) - len(bytes.TrimLeft(data[start:], " \t\r\n,"))
		line := 1 + bytes.Count(data[:start], []byte("\n"))
		var g Guide
		if err := dec.Decode(&g); err != nil {
			return nil, nil, errs.E(errs.Invalid, "line %d: malformed guide: %s; nothing was imported", line, jsonReason(err))
		}
		if len(guides) == MaxImportGuides {
			return nil, nil, errs.E(errs.TooLarge, "an import holds at most %d guides", MaxImportGuides)
		}
		guides, lines = append(guides, g), append(lines, line)
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, errs.E(errs.Invalid, "malformed JSON at the end of the array; nothing was imported")
	}
	return guides, lines, nil
}

func jsonReason(err error) string {
	var typ *json.UnmarshalTypeError
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &typ):
		return fmt.Sprintf("field %s has the wrong type", typ.Field)
	case errors.As(err, &syn):
		return "syntax error"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// parseCSV reads a header row (any column order, unknown columns refused)
// and one guide per record.
func parseCSV(data []byte) ([]Guide, []int, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil, nil, errs.E(errs.Invalid, "line 1: the CSV has no header row")
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		if !slices.Contains(csvHeader, h) {
			return nil, nil, errs.E(errs.Invalid, "line 1: unknown column %q (columns: %s)", clip(h, 30), strings.Join(csvHeader, ","))
		}
		col[h] = i
	}
	if _, ok := col["code"]; !ok {
		return nil, nil, errs.E(errs.Invalid, "line 1: the header has no code column")
	}
	var guides []Guide
	var lines []int
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return guides, lines, nil
		}
		if err != nil {
			// Not FieldPos: it panics when the record broke in its first field.
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			return nil, nil, errs.E(errs.Invalid, "line %d: malformed CSV; nothing was imported", line)
		}
		line, _ := r.FieldPos(0)
		if len(rec) != len(header) {
			return nil, nil, errs.E(errs.Invalid, "line %d: %d fields, the header has %d; nothing was imported", line, len(rec), len(header))
		}
		if len(guides) == MaxImportGuides {
			return nil, nil, errs.E(errs.TooLarge, "an import holds at most %d guides", MaxImportGuides)
		}
		g, err := guideFromRecord(rec, col)
		if err != nil {
			return nil, nil, errs.E(errs.Invalid, "line %d: %s; nothing was imported", line, errs.Message(err))
		}
		guides, lines = append(guides, g), append(lines, line)
	}
}

func guideFromRecord(rec []string, col map[string]int) (Guide, error) {
	get := func(name string) string {
		if i, ok := col[name]; ok {
			return restoreFormula(rec[i])
		}
		return ""
	}
	g := Guide{Code: get("code"), Name: get("name"), Department: get("department"), Category: get("category"),
		Scope: get("scope"), Conditions: get("conditions"), Process: get("process"), TimeLimit: get("time_limit"),
		Fee: get("fee"), Location: get("location"), Hours: get("hours"), Phone: get("phone"),
		LegalBasis: get("legal_basis"), OnlineURL: get("online_url"), Status: Status(strings.TrimSpace(get("status"))),
		ReviewBy: get("review_by")}
	g.Keywords = strings.FieldsFunc(get("keywords"), func(r rune) bool { return strings.ContainsRune(keywordSeparators, r) })
	for _, line := range strings.Split(strings.ReplaceAll(get("materials"), "\r\n", "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		parts := strings.Split(line, "|")
		m := Material{Name: parts[0], Copies: 1}
		if len(parts) > 1 {
			m.Form = parts[1]
		}
		if len(parts) > 2 {
			n, err := strconv.Atoi(strings.TrimSpace(parts[2]))
			if err != nil {
				return g, errs.E(errs.Invalid, "materials: copies of %q must be a number", clip(parts[0], 30))
			}
			m.Copies = n
		}
		if len(parts) > 3 {
			return g, errs.E(errs.Invalid, "materials: write each as name|form|copies")
		}
		g.Materials = append(g.Materials, m)
	}
	return g, nil
}

// checkImport validates every guide and returns the problems by line.
func (s *Service) checkImport(ctx context.Context, guides []Guide, lines []int) []rowError {
	var problems []rowError
	seen := map[string]int{}
	var departments []string
	for i := range guides {
		g := &guides[i]
		g.Normalize()
		if err := g.Validate(); err != nil {
			problems = append(problems, rowError{lines[i], err})
			continue
		}
		if first, dup := seen[g.Code]; dup {
			problems = append(problems, rowError{lines[i], errs.E(errs.Invalid, "code %s repeats line %d", g.Code, first)})
		}
		seen[g.Code] = lines[i]
		if !slices.Contains(departments, g.Department) {
			departments = append(departments, g.Department)
		}
	}
	unknown, err := s.store.UnknownDepartments(ctx, departments)
	if err != nil {
		return append(problems, rowError{0, err})
	}
	for i, g := range guides {
		if slices.Contains(unknown, g.Department) {
			problems = append(problems, rowError{lines[i], errs.E(errs.Invalid, "unknown department %q", clip(g.Department, 64))})
		}
	}
	slices.SortStableFunc(problems, func(a, b rowError) int { return a.line - b.line })
	return problems
}

// importRefused reports the problems of a refused import in one error.
func importRefused(problems []rowError) error {
	for _, p := range problems {
		if p.line == 0 {
			return p.err // the store failed, not the file
		}
	}
	var parts []string
	for _, p := range problems[:min(len(problems), maxRowErrors)] {
		parts = append(parts, fmt.Sprintf("line %d: %s", p.line, errs.Message(p.err)))
	}
	if len(problems) > maxRowErrors {
		parts = append(parts, fmt.Sprintf("and %d more", len(problems)-maxRowErrors))
	}
	return errs.E(errs.Invalid, "import refused, nothing was changed: %s", strings.Join(parts, "; "))
}

// storeImport versions the guides against the stored ones and writes the
// changed and new ones in one transaction.
func (s *Service) storeImport(ctx context.Context, by string, guides []Guide) (ImportResult, error) {
	codes := make([]string, len(guides))
	for i, g := range guides {
		codes[i] = g.Code
	}
	existing, err := s.store.GuidesByCode(ctx, codes)
	if err != nil {
		return ImportResult{}, err
	}
	old := make(map[string]*Guide, len(existing))
	for i := range existing {
		old[existing[i].Code] = &existing[i]
	}
	var res ImportResult
	var write []Guide
	now := s.clock.Now()
	for _, g := range guides {
		g.Version = 1
		if o := old[g.Code]; o != nil {
			if len(g.Changed(o)) == 0 {
				res.Unchanged++
				continue
			}
			g.Version = o.Version + 1
			res.Updated++
		} else {
			res.Created++
		}
		g.UpdatedAt, g.UpdatedBy = now, by
		write = append(write, g)
	}
	if len(write) == 0 {
		return res, nil
	}
	if err := s.store.ImportGuides(ctx, write, by, now); err != nil {
		return ImportResult{}, err
	}
	s.changed()
	return res, nil
}

// Export writes every guide in format ("json" or "csv"; CSV starts with
// a byte order mark so that Excel reads it as UTF-8). Errors: forbidden,
// invalid.
func (s *Service) Export(ctx context.Context, actor auth.Actor, format string, w io.Writer) error {
	if !actor.Is(editors...) {
		return errs.E(errs.Forbidden, "only admins and supervisors export guides")
	}
	var enc exporter
	switch format {
	case "json":
		enc = &jsonExporter{w: w}
	case "csv":
		enc = newCSVExporter(w)
	default:
		return errs.E(errs.Invalid, "format must be json or csv")
	}
	if err := enc.begin(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	after := ""
	for {
		page, err := s.store.ListGuides(ctx, ListFilter{After: after, Limit: 1000})
		if err != nil {
			return err
		}
		for i := range page {
			if err := enc.guide(&page[i]); err != nil {
				return fmt.Errorf("export: %w", err)
			}
		}
		if len(page) < 1000 {
			break
		}
		after = page[len(page)-1].Code
	}
	if err := enc.end(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

type exporter interface {
	begin() error
	guide(g *Guide) error
	end() error
}

type jsonExporter struct {
	w io.Writer
	n int
}

func (e *jsonExporter) begin() error { _, err := io.WriteString(e.w, "[\n"); return err }

func (e *jsonExporter) guide(g *Guide) error {
	b, err := json.MarshalIndent(g, "  ", "  ")
	if err != nil {
		return err
	}
	sep := "  "
	if e.n > 0 {
		sep = ",\n  "
	}
	e.n++
	_, err = io.WriteString(e.w, sep+string(b))
	return err
}

func (e *jsonExporter) end() error { _, err := io.WriteString(e.w, "\n]\n"); return err }

type csvExporter struct {
	raw io.Writer
	w   *csv.Writer
}

func newCSVExporter(w io.Writer) *csvExporter { return &csvExporter{raw: w, w: csv.NewWriter(w)} }

func (e *csvExporter) begin() error {
	if _, err := e.raw.Write(utf8BOM); err != nil {
		return err
	}
	return e.w.Write(csvHeader)
}

func (e *csvExporter) guide(g *Guide) error {
	var materials []string
	for _, m := range g.Materials {
		materials = append(materials, fmt.Sprintf("%s|%s|%d", m.Name, m.Form, m.Copies))
	}
	rec := []string{g.Code, g.Name, g.Department, g.Category, g.Scope, g.Conditions,
		strings.Join(materials, "\n"), g.Process, g.TimeLimit, g.Fee, g.Location, g.Hours, g.Phone, g.LegalBasis,
		g.OnlineURL, strings.Join(g.Keywords, "、"), string(g.Status), g.ReviewBy}
	for i := range rec {
		rec[i] = defuseFormula(rec[i])
	}
	return e.w.Write(rec)
}

// formulaStarts are the first characters that make a spreadsheet run a
// cell as a formula (CSV injection).
const formulaStarts = "=+-@\t\r"

// defuseFormula prefixes a cell a spreadsheet would run as a formula (or
// one that would read as such after import) with an apostrophe, which
// Excel shows as text; importing removes it again.
func defuseFormula(cell string) string {
	if startsFormula(strings.TrimLeft(cell, "'")) {
		return "'" + cell
	}
	return cell
}

// restoreFormula undoes defuseFormula.
func restoreFormula(cell string) string {
	if strings.HasPrefix(cell, "'") && startsFormula(strings.TrimLeft(cell, "'")) {
		return cell[1:]
	}
	return cell
}

func startsFormula(s string) bool { return s != "" && strings.ContainsRune(formulaStarts, rune(s[0])) }

func (e *csvExporter) end() error {
	e.w.Flush()
	return e.w.Error()
}

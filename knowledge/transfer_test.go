package knowledge_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/knowledge"
)

// importRefused imports data and checks that it is refused with code,
// with every part in the message, and that the store is unchanged.
func importRefused(t *testing.T, e *env, format, data string, code errs.Code, parts ...string) {
	t.Helper()
	before, n := e.store.snapshot()
	changed := e.changed
	res, err := e.svc.Import(context.Background(), admin, format, strings.NewReader(data))
	if errs.CodeOf(err) != code {
		t.Fatalf("Import = %+v, %v; want %s", res, err, code)
	}
	for _, p := range parts {
		if !strings.Contains(errs.Message(err), p) {
			t.Errorf("message %q does not say %q", errs.Message(err), p)
		}
	}
	if after, m := e.store.snapshot(); m != n || !maps.EqualFunc(before, after, sameGuide) || e.changed != changed {
		t.Errorf("a refused import changed the store")
	}
}

func mustImport(t *testing.T, e *env, actor auth.Actor, format, data string) knowledge.ImportResult {
	t.Helper()
	res, err := e.svc.Import(context.Background(), actor, format, strings.NewReader(data))
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	return res
}

func TestImport_JSON(t *testing.T) {
	e := newEnv(t)
	data := `[
  {"code": "GA-001", "name": "身份证补领", "department": "gaj", "status": "published",
   "materials": [{"name": "户口簿", "form": "原件", "copies": 1}, {"name": "照片"}],
   "keywords": ["身份证", " 补办 ", "身份证"]},
  {"code": "RS-001", "name": "社保卡申领", "department": "rsj"}
]`
	if res := mustImport(t, e, supervisor, "json", data); res != (knowledge.ImportResult{Created: 2}) {
		t.Errorf("result = %+v", res)
	}
	g := e.store.guides["GA-001"]
	if g.Version != 1 || g.UpdatedBy != supervisor.Username || !g.UpdatedAt.Equal(t0) || g.Materials[1].Copies != 1 ||
		!slices.Equal(g.Keywords, []string{"身份证", "补办"}) || e.store.guides["RS-001"].Status != knowledge.StatusDraft {
		t.Errorf("stored %+v", g)
	}
	if e.changed != 1 {
		t.Errorf("changed called %d times, want once for the import", e.changed)
	}
	e.clock.Advance(time.Hour)
	res := mustImport(t, e, admin, "json", `[{"code": "GA-001", "name": "身份证补领（新）", "department": "gaj", "status": "published",
		"materials": [{"name": "户口簿", "form": "原件", "copies": 1}, {"name": "照片"}], "keywords": ["身份证", "补办"]},
		{"code": "RS-001", "name": "社保卡申领", "department": "rsj"}]`)
	if res != (knowledge.ImportResult{Updated: 1, Unchanged: 1}) || e.store.guides["GA-001"].Version != 2 || e.store.guides["RS-001"].Version != 1 {
		t.Errorf("second import = %+v", res)
	}
	if res := mustImport(t, e, admin, "json", " [ ] "); res != (knowledge.ImportResult{}) || e.changed != 2 {
		t.Errorf("empty import = %+v, changed %d", res, e.changed)
	}
}

func TestImport_JSONRefused(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name, data string
		code       errs.Code
		parts      []string
	}{
		{"MissingCodeOnLine4", "[\n  {\"code\": \"A1\", \"name\": \"甲\", \"department\": \"gaj\"},\n\n  {\"name\": \"乙\", \"department\": \"gaj\"}\n]",
			errs.Invalid, []string{"line 4: code is required", "nothing was changed"}},
		{"SameLineElements", `[{"code": "A1", "name": "甲", "department": "gaj"}, {"code": "A2", "department": "gaj"}]`,
			errs.Invalid, []string{"line 1: name is required"}},
		{"WrongType", "[\n{\"code\": \"A1\", \"name\": \"甲\", \"department\": \"gaj\"},\n{\"code\": \"A2\", \"name\": 5}\n]",
			errs.Invalid, []string{"line 3: malformed guide", "name", "wrong type"}},
		{"UnknownField", "[\n{\"code\": \"A1\", \"nmae\": \"甲\"}]", errs.Invalid, []string{"line 2", "unknown field"}},
		{"BrokenElement", "[\n{\"code\": \"A1\",, }]", errs.Invalid, []string{"line 2", "syntax error"}},
		{"MissingComma", "[\n{\"code\": \"A1\"}\n{\"code\": \"A2\"}]", errs.Invalid, []string{"line 3"}},
		{"Unterminated", `[{"code": "A1", "name": "甲", "department": "gaj"}`, errs.Invalid, []string{"malformed JSON"}},
		{"NotAnArray", `{"code": "A1", "name": "甲", "department": "gaj"}`, errs.Invalid, []string{"line 1", "array"}},
		{"Empty", "", errs.Invalid, []string{"array"}},
		{"BadFormat", "[]", errs.Invalid, []string{"json or csv"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			format := "json"
			if tc.name == "BadFormat" {
				format = "xml"
			}
			importRefused(t, e, format, tc.data, tc.code, tc.parts...)
		})
	}
}

const csvData = "code,name,department,materials,keywords,status,review_by\n" +
	"GA-001,身份证补领,gaj,\"户口簿|原件|1\n照片||2\",身份证、补办,published,2027-06-30\n" +
	"RS-001,\"社保卡申领, 补换\",rsj,,\"社保卡,社会保障卡；五险\",,\n"

func TestImport_CSV(t *testing.T) {
	for name, data := range map[string]string{"WithoutBOM": csvData, "WithBOM": "\ufeff" + csvData, "CRLF": strings.ReplaceAll(csvData, "\n", "\r\n")} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			if res := mustImport(t, e, admin, "csv", data); res != (knowledge.ImportResult{Created: 2}) {
				t.Fatalf("result = %+v", res)
			}
			g, r := e.store.guides["GA-001"], e.store.guides["RS-001"]
			want := []knowledge.Material{{Name: "户口簿", Form: "原件", Copies: 1}, {Name: "照片", Copies: 2}}
			if !slices.Equal(g.Materials, want) || !slices.Equal(g.Keywords, []string{"身份证", "补办"}) ||
				g.Status != knowledge.StatusPublished || g.ReviewBy != "2027-06-30" {
				t.Errorf("GA-001 = %+v", g)
			}
			if r.Name != "社保卡申领, 补换" || r.Status != knowledge.StatusDraft || r.Materials != nil ||
				!slices.Equal(r.Keywords, []string{"社保卡", "社会保障卡", "五险"}) {
				t.Errorf("RS-001 = %+v", r)
			}
		})
	}
	e := newEnv(t)
	if res := mustImport(t, e, admin, "csv", "name,code,department\n"); res != (knowledge.ImportResult{}) {
		t.Errorf("header only = %+v", res)
	}
	if res := mustImport(t, e, admin, "csv", "name,code,department\n甲,A1,gaj\n"); res.Created != 1 {
		t.Errorf("columns in another order = %+v", res)
	}
}

func TestImport_CSVRefused(t *testing.T) {
	header := "code,name,department,materials\n"
	good := "A1,甲,gaj,\"户口簿|原件|1\n照片\"\n" // lines 2-3
	for _, tc := range []struct {
		name, data string
		parts      []string
	}{
		{"FieldCount", header + good + "A2,乙,gaj\n", []string{"line 4", "3 fields", "header has 4", "nothing was imported"}},
		{"CopiesNotANumber", header + good + "A2,乙,gaj,照片|原件|两\n", []string{"line 4", "copies of \"照片\" must be a number"}},
		{"CopiesTooMany", header + good + "A2,乙,gaj,照片|原件|100\n", []string{"line 4", "copies must be 1-99"}},
		{"CopiesNegative", header + good + "A2,乙,gaj,照片|原件|-1\n", []string{"line 4", "copies"}},
		{"FourParts", header + good + "A2,乙,gaj,照片|原件|1|x\n", []string{"line 4", "name|form|copies"}},
		{"BareQuoteInFirstField", header + good + "A\"2,乙,gaj,\n", []string{"line 4", "malformed CSV"}},
		{"BareQuote", header + good + "A2,乙\"乙,gaj,\n", []string{"line 4", "malformed CSV"}},
		{"UnclosedQuote", header + good + "A2,\"乙,gaj,\n", []string{"line 4", "malformed CSV"}},
		{"MissingName", header + good + "A2,,gaj,\n", []string{"line 4: name is required"}},
		{"UnknownColumn", "code,name,department,colour\n", []string{"line 1", "unknown column \"colour\""}},
		{"NoCodeColumn", "name,department\n甲,gaj\n", []string{"line 1", "no code column"}},
		{"Empty", "", []string{"line 1", "no header"}},
		{"DuplicateCode", header + good + "A3,丙,gaj,\nA1,丁,gaj,\n", []string{"line 5: code A1 repeats line 2"}},
		{"UnknownDepartment", header + good + "A2,乙,mars,\n", []string{"line 4: unknown department \"mars\""}},
		{"ManyProblems", header + strings.Repeat(",,gaj,\n", 12), []string{"line 2: code is required", "line 11", "and 2 more"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			importRefused(t, newEnv(t), "csv", tc.data, errs.Invalid, tc.parts...)
		})
	}
}

// repeatReader yields b forever.
type repeatReader byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

func TestImport_TooLarge(t *testing.T) {
	e := newEnv(t)
	r := io.MultiReader(strings.NewReader("["), io.LimitReader(repeatReader(' '), knowledge.MaxImportBytes))
	_, err := e.svc.Import(context.Background(), admin, "json", r)
	wantCode(t, "an import over the limit", err, errs.TooLarge)
	if guides, n := e.store.snapshot(); len(guides) != 0 || n != 0 {
		t.Errorf("the store changed")
	}
}

func TestImportExport_Roles(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	for _, a := range []auth.Actor{agent, police} {
		_, err := e.svc.Import(ctx, a, "csv", strings.NewReader(csvData))
		wantCode(t, string(a.Role)+" imports", err, errs.Forbidden)
		wantCode(t, string(a.Role)+" exports", e.svc.Export(ctx, a, "csv", io.Discard), errs.Forbidden)
	}
	if guides, _ := e.store.snapshot(); len(guides) != 0 {
		t.Errorf("a forbidden import stored guides")
	}
	wantCode(t, "export as xml", e.svc.Export(ctx, admin, "xml", io.Discard), errs.Invalid)
}

// seedForExport loads guides with every field that an export carries.
func seedForExport(t *testing.T, e *env, n int) {
	t.Helper()
	var guides []knowledge.Guide
	for i := range n {
		g := guide(string(rune('A'+i%26))+strings.Repeat("x", i/26), []string{"gaj", "rsj"}[i%2], knowledge.StatusPublished)
		g.Category, g.Conditions = "证件", "本人到场，\"带齐\"材料。\n代办须带委托书"
		g.Materials = []knowledge.Material{{Name: "户口簿", Form: "原件", Copies: 1}, {Name: "照片", Copies: 2}, {Name: "委托书, 如代办", Form: "复印件", Copies: 99}}
		g.Process, g.TimeLimit, g.Fee, g.Location, g.Hours, g.Phone = "1. 申请\r\n2. 领取", "20日", "免费", "窗口", "9:00-17:00", "12345"
		g.LegalBasis, g.OnlineURL, g.ReviewBy = "《条例》", "https://zwfw.example.gov.cn/a?b=1&c=2", "2027-06-30"
		g.Keywords = []string{"社保卡", "社会保障卡", "五险"}
		if i%3 == 0 {
			g.Materials, g.Keywords, g.Status = nil, nil, knowledge.StatusDraft
		}
		guides = append(guides, g)
	}
	if _, err := e.svc.Load(context.Background(), "seed", guides); err != nil {
		t.Fatal(err)
	}
}

func TestExport_ImportOfTheExportChangesNothing(t *testing.T) {
	ctx := context.Background()
	for _, format := range []string{"json", "csv"} {
		t.Run(format, func(t *testing.T) {
			e := newEnv(t)
			seedForExport(t, e, 1030) // more than one page of the store
			var buf bytes.Buffer
			if err := e.svc.Export(ctx, supervisor, format, &buf); err != nil {
				t.Fatal(err)
			}
			before, n := e.store.snapshot()
			res, err := e.svc.Import(ctx, admin, format, bytes.NewReader(buf.Bytes()))
			if err != nil || res != (knowledge.ImportResult{Unchanged: 1030}) {
				t.Fatalf("import of the export = %+v, %v", res, err)
			}
			if after, m := e.store.snapshot(); m != n || !maps.EqualFunc(before, after, sameGuide) || e.changed != 1 {
				t.Errorf("the import of an export changed the store")
			}
		})
	}
}

func TestExport_CSV(t *testing.T) {
	e := newEnv(t)
	seedForExport(t, e, 2)
	var buf bytes.Buffer
	if err := e.svc.Export(context.Background(), admin, "csv", &buf); err != nil {
		t.Fatal(err)
	}
	data, ok := bytes.CutPrefix(buf.Bytes(), []byte("\xef\xbb\xbf"))
	if !ok {
		t.Fatalf("the CSV export does not start with a byte order mark: %q", buf.Bytes()[:min(buf.Len(), 10)])
	}
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil || len(rows) != 3 {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	b := rows[2] // B: with materials and keywords
	if got := b[col["materials"]]; got != "户口簿|原件|1\n照片||2\n委托书, 如代办|复印件|99" {
		t.Errorf("materials = %q", got)
	}
	if got := b[col["keywords"]]; got != "社保卡、社会保障卡、五险" {
		t.Errorf("keywords = %q", got)
	}
	if got := rows[1][col["materials"]]; got != "" {
		t.Errorf("materials of a guide without = %q", got)
	}
	if b[col["code"]] != "B" || b[col["status"]] != "published" || b[col["review_by"]] != "2027-06-30" || b[col["department"]] != "rsj" {
		t.Errorf("row = %q", b)
	}
}

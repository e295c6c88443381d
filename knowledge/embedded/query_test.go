package embedded_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/open12345/hotline/knowledge"
)

// hitsOf returns the hits of text, best first.
func hitsOf(t *testing.T, svc *knowledge.Service, text string) []knowledge.SearchHit {
	t.Helper()
	res, err := svc.PublicSearch(context.Background(), knowledge.Query{Text: text, Limit: 10})
	if err != nil {
		t.Fatalf("search %q: %v", text, err)
	}
	return res.Hits
}

func codesOf(hits []knowledge.SearchHit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, h.Code)
	}
	return out
}

// A subject and an action many guides share (补办, 补领): the subject's
// guides come first, and the guides of other subjects that share only the
// action (营业执照遗失补领, 补领结婚证, 普通护照补发) do not come at all.
// Also with a synonym table stored before 社保卡 → 社会保障卡 was a default.
func TestSearch_SubjectOutweighsAction(t *testing.T) {
	older := maps.Clone(knowledge.DefaultSynonyms())
	delete(older, "社保卡")
	otherSubjects := []string{"scjgj-004", "mzj-003", "gaj-crj-003", "zrzyj-005", "wjw-002", "jyj-010"}
	for name, syn := range map[string]knowledge.Synonyms{"DefaultSynonyms": knowledge.DefaultSynonyms(), "OlderTable": older} {
		t.Run(name, func(t *testing.T) {
			svc := demoSearchWith(t, syn)
			for _, tc := range []struct {
				query string
				first []string // in any order
			}{
				{"社保卡补办", []string{"rsj-006", "rsj-007"}},
				{"社保卡补领", []string{"rsj-006", "rsj-007"}},
				{"身份证补办", []string{"gaj-hz-012"}},
				{"残疾证补办", []string{"cl-001", "cl-002"}},
				{"驾照换领", []string{"gaj-jj-002"}},
			} {
				got := codesOf(hitsOf(t, svc, tc.query))
				if len(got) < len(tc.first) || !sameSet(got[:len(tc.first)], tc.first) {
					t.Errorf("search %q = %v, want %v first", tc.query, got, tc.first)
				}
				for _, c := range otherSubjects {
					if i := slices.Index(got, c); i >= 0 && i < len(tc.first)+3 {
						t.Errorf("search %q = %v: %s shares only the action, at %d", tc.query, got, c, i+1)
					}
				}
			}
		})
	}
}

// When no guide has the subject, the action alone still finds guides.
func TestSearch_ActionAloneWhenNoGuideHasTheSubject(t *testing.T) {
	svc := demoSearch(t)
	if got := codesOf(hitsOf(t, svc, "游艇证补办")); !slices.Contains(got, "scjgj-004") || !slices.Contains(got, "gaj-crj-003") {
		t.Errorf("search 游艇证补办 = %v, want the 补领 guides", got)
	}
}

// The snippet marks the whole matched term (社会保障卡), not a piece of
// another alternative inside it (社会 of 社会保险卡).
func TestSearch_SnippetMarksTheWholeSubject(t *testing.T) {
	older := maps.Clone(knowledge.DefaultSynonyms())
	delete(older, "社保卡")
	for name, syn := range map[string]knowledge.Synonyms{"DefaultSynonyms": knowledge.DefaultSynonyms(), "OlderTable": older} {
		t.Run(name, func(t *testing.T) {
			for _, h := range hitsOf(t, demoSearchWith(t, syn), "社保卡补办") {
				if h.Code != "rsj-006" && h.Code != "rsj-007" {
					continue
				}
				if strings.Contains(h.Snippet, "<em>社会</em>") || strings.Contains(h.Snippet, "<em>社会保</em>") {
					t.Errorf("%s snippet %q marks a piece of 社会保障卡", h.Code, h.Snippet)
				}
				if name == "DefaultSynonyms" && !strings.Contains(h.Snippet, "<em>社会保障卡</em>") {
					t.Errorf("%s snippet %q does not mark 社会保障卡", h.Code, h.Snippet)
				}
			}
		})
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

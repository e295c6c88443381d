package meili

import (
	"testing"

	"github.com/open12345/hotline/knowledge"
)

func TestGrams(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"中国农业发展银行", "中国 国农 农业 业发 发展 展银 银行"},
		{"社保", "社保"},
		{"卡", "卡"},
		{"ICP备案，2024年办理", "ICP 备案 2024 年办 办理"},
		{"社保卡（补领）", "社保 保卡 补领"},
		{"Hello world", "Hello world"},
		{"", ""},
	} {
		if got := grams(c.in); got != c.want {
			t.Errorf("grams(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got, want := grams("农业银行", "贷款"), "农业 业银 银行 贷款"; got != want {
		t.Errorf("grams of two texts = %q, want %q", got, want)
	}
}

func TestDocumentID_RoundTrips(t *testing.T) {
	for _, code := range []string{"G-1", "11.0001", "a.b.c", "11_0001", "X", "A-._"} {
		id := documentID(code)
		if !documentIDPattern.MatchString(id) {
			t.Errorf("documentID(%q) = %q, not a Meilisearch id", code, id)
		}
		if err := knowledge.ValidateCode(code); err == nil && guideCode(id) != code {
			t.Errorf("guideCode(documentID(%q)) = %q", code, guideCode(id))
		}
	}
	if documentID("11.0001") == documentID("11_0001") {
		t.Error("documentID collides")
	}
}

func TestSynonymTable_IsSymmetric(t *testing.T) {
	table := synonymTable(knowledge.DefaultSynonyms())
	for a, bs := range table {
		for _, b := range bs {
			found := false
			for _, back := range table[b] {
				found = found || back == a
			}
			if !found {
				t.Errorf("%s → %s but not back", a, b)
			}
		}
	}
}

package textguard

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/open12345/hotline/errs"
)

func TestCheck(t *testing.T) {
	for _, c := range []struct {
		s          string
		singleLine bool
		ok         bool
	}{
		{"普通文字 plain 123", true, true},
		{"第一行\n第二行\t缩进\r\n", false, true},
		{"第一行\n第二行", true, false},
		{"tab\there", true, false},
		{"nul\x00", false, false},
		{"escape \x1b[31m", false, false},
		{"del\x7f", false, false},
		{"c1 \u0085", false, false},
		{"override \u202e", false, false},
		{"embedding \u202a", false, false},
		{"isolate \u2066", false, false},
		{"pop isolate \u2069", false, false},
		{"marks \u200e\u200f are fine", true, true},
		{"bom \ufeff is fine", true, true},
		{"noncharacter \uffff", false, false},
		{"emoji 🚒", true, true},
		{"bad \xff utf-8", false, false},
	} {
		err := Check("field", c.s, c.singleLine)
		if (err == nil) != c.ok {
			t.Errorf("Check(%q, singleLine=%v) = %v, want ok=%v", c.s, c.singleLine, err, c.ok)
		}
		if err != nil && (!errs.Is(err, errs.Invalid) || !strings.Contains(errs.Message(err), "field")) {
			t.Errorf("Check(%q): %v is not an invalid error naming the field", c.s, err)
		}
	}
}

func TestCheckJSON_NamesTheField(t *testing.T) {
	for _, c := range []struct{ doc, want string }{
		{`{"title":"ok","citizen":{"name":"a\u0000b"}}`, "citizen.name"},
		{`{"items":["x",{"note":"\u202e"}]}`, "items[1].note"},
		{`{"k\u0001":1}`, "key"},
		{`"\u0000"`, "body"},
		{`["ok",`, "malformed JSON"},
	} {
		err := CheckJSON([]byte(c.doc))
		if err == nil || !strings.Contains(errs.Message(err), c.want) {
			t.Errorf("CheckJSON(%s) = %v, want an error naming %q", c.doc, err, c.want)
		}
	}
	if err := CheckJSON([]byte(`{"a":[1,true,null,{"b":"第一行\n第二行"}],"c":-1.5e3}`)); err != nil {
		t.Errorf("a clean document: %v", err)
	}
	deep := strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1)
	if err := CheckJSON([]byte(deep)); err == nil {
		t.Error("a document nested too deep passed")
	}
}

// FuzzCheckJSON: no input panics, and a document that passes holds no
// forbidden character in any string once decoded.
func FuzzCheckJSON(f *testing.F) {
	for _, s := range []string{`{"a":"b"}`, `["\u0000"]`, `{"x":{"y":["\u202e",1,null]}}`, `"\ud800"`, `{"a":"\\u0000"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		if CheckJSON(doc) != nil || !json.Valid(doc) {
			return
		}
		var v any
		if err := json.Unmarshal(doc, &v); err != nil {
			return
		}
		var walk func(any)
		walk = func(v any) {
			switch v := v.(type) {
			case string:
				for _, r := range v {
					if Forbidden(r) {
						t.Fatalf("%q passed but decodes to %q", doc, v)
					}
				}
			case []any:
				for _, x := range v {
					walk(x)
				}
			case map[string]any:
				for k, x := range v {
					walk(k)
					walk(x)
				}
			}
		}
		walk(v)
	})
}

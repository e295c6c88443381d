package ticketing

import (
	"regexp"
	"testing"
	"unicode/utf8"
)

func TestMaskText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"请拨打13812341234联系", "请拨打138****1234联系"},
		{"电话 138 1234 5678。", "电话 138 **** 5678。"},
		{"电话138-1234-5678", "电话138-****-5678"},
		{"+86 13812341234", "+86 138****1234"},
		{"8613812341234", "86138****1234"},
		{"008613812341234", "0086138****1234"},
		{"座机020-87654321，或0755 1234567", "座机020-****4321，或0755 ***4567"},
		{"身份证11010519491231002X已核", "身份证1101**********002X已核"},
		{"身份证11010519491231002x", "身份证1101**********002x"},
		{"全角１３８１２３４１２３４", "全角１３８****１２３４"},
		{"两个号码13812341234和13900001111", "两个号码138****1234和139****1111"},
		{"编号 5 13812341234", "编号 5 138****1234"},
		{"请拨打 138 1234 5678 10点以后联系", "请拨打 138 **** 5678 10点以后联系"},
		{"302 138 1234 5678", "302 138 **** 5678"},
		{"共3 138-1234-5678", "共3 138-****-5678"},
		{"138 1234 5678 13912345678", "138 **** 5678 139****5678"},
		{"身份证 440106 19900101 203X", "身份证 4401** ******** 203X"},
		{"440106-19900101-203x", "4401**-********-203x"},
		{"138.1234.5678", "138.****.5678"},
		{"138—1234—5678", "138—****—5678"},
		{"138  1234 5678", "138  **** 5678"},
		{"138 - 1234 - 5678", "138 - **** - 5678"},
		{"(020)87654321", "(020)****4321"},
		{"+86 20 8765 4321", "+86 20 **** 4321"},
		{"电话010-12345678", "电话010-****5678"},
		{"2026-12-01 13812341234", "2026-12-01 138****1234"},
		// Not personal numbers: left alone.
		{"工单20261202000302已办结", "工单20261202000302已办结"},
		{"2026-12-01 10:30 补贴12000元", "2026-12-01 10:30 补贴12000元"},
		{"12345热线", "12345热线"},
		{"213812341234", "213812341234"},
		{"订单号0123456789", "订单号0123456789"},
		{"价格12.50元，面积3.5平方米", "价格12.50元，面积3.5平方米"},
		{"服务器192.168.1.100", "服务器192.168.1.100"},
		{"型号X1 13X", "型号X1 13X"},
		{"", ""},
		{"没有数字", "没有数字"},
	} {
		if got := MaskText(c.in); got != c.want {
			t.Errorf("MaskText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestMaskPayload(t *testing.T) {
	p := map[string]any{"reply": "已电话13812341234联系", "co_departments": []string{"mzj"},
		"nested": map[string]any{"list": []any{"13812341234", 3}}, "days": 5}
	m := MaskPayload(p)
	if m["reply"] != "已电话138****1234联系" || m["days"] != 5 {
		t.Fatalf("masked payload %v", m)
	}
	if l := m["nested"].(map[string]any)["list"].([]any); l[0] != "138****1234" || l[1] != 3 {
		t.Fatalf("nested %v", l)
	}
	if p["reply"] != "已电话13812341234联系" {
		t.Fatal("MaskPayload changed its input")
	}
}

var unmaskedMobile = regexp.MustCompile(`(^|[^0-9])1[3-9][0-9]{9}([^0-9]|$)`)

// FuzzMaskText: masking keeps the text's length, changes only digits,
// is idempotent, and leaves no mobile number standing alone.
func FuzzMaskText(f *testing.F) {
	for _, s := range []string{"13812341234", "a 138 1234 5678 b", "11010519491231002X", "020-87654321", "１３８１２３４１２３４", "86 13812341234"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		m := MaskText(s)
		in, out := []rune(s), []rune(m)
		if len(in) != len(out) {
			t.Fatalf("%q → %q changed the length", s, m)
		}
		for i := range in {
			if in[i] != out[i] && (out[i] != '*' || !isDigit(in[i])) {
				t.Fatalf("%q → %q changed a character that is not a digit", s, m)
			}
		}
		if again := MaskText(m); again != m {
			t.Fatalf("not idempotent: %q → %q → %q", s, m, again)
		}
		if unmaskedMobile.MatchString(m) {
			t.Fatalf("%q → %q still holds a mobile number", s, m)
		}
	})
}

package embedded

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzTokenize checks the tokenizer on any text: positions only grow,
// every token is one or two Chinese characters or a word of letters and
// digits taken from the text, and the count is what it returns.
func FuzzTokenize(f *testing.F) {
	for _, s := range []string{"社会保障卡申领", "ETC卡 12345热线", "社保、保卡", "a", "", "\xff\xfe", "😀社", "ｅｔｃ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		last, n := -1, 0
		check := func(pos int) {
			if pos <= last {
				t.Fatalf("%q: position %d after %d", text, pos, last)
			}
			last, n = pos, n+1
		}
		got := tokenize(text, func(k tokenKey, pos int) {
			check(pos)
			a, b := k.first(), rune(k&(1<<runeBits-1))
			if a == 0 {
				a, b = b, 0
			}
			if !isCJK(a) || (b != 0 && !isCJK(b)) || !strings.ContainsRune(text, a) {
				t.Fatalf("%q: pair %q%q is not Chinese from the text", text, a, b)
			}
		}, func(w string, pos int) {
			check(pos)
			if w == "" || !strings.Contains(text, w) || !utf8.ValidString(w) && utf8.ValidString(text) {
				t.Fatalf("%q: word %q is not from the text", text, w)
			}
		})
		if got != n {
			t.Fatalf("%q: returned %d tokens, emitted %d", text, got, n)
		}
	})
}

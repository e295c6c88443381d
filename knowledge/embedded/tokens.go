package embedded

import (
	"unicode"
	"unicode/utf8"
)

// A token is what the index holds postings for: two adjacent Chinese
// (or Japanese, Korean) characters, a Chinese character standing alone,
// or a word of letters and digits. Chinese is indexed as overlapping
// pairs (CJK bigrams), so any word that occurs verbatim is found, however
// the text would be segmented: 农业 inside 中国农业发展银行.
//
// A token's key packs its characters into a number: for a pair, the
// first character shifted left by runeBits over the second; for a lone
// character, the character alone. Words of letters and digits are keyed
// by their text in a separate table.
type tokenKey uint64

// runeBits holds any Unicode code point.
const runeBits = 21

func pairKey(a, b rune) tokenKey { return tokenKey(a)<<runeBits | tokenKey(b) }

// first returns the first character of a pair's key, or 0 for a lone one.
func (k tokenKey) first() rune { return rune(k >> runeBits) }

// isCJK reports whether r is written without spaces between words: Han,
// kana and Hangul.
func isCJK(r rune) bool {
	switch {
	case r < 0x1100:
		return false // ASCII, Latin, Greek, Cyrillic …
	case 0x4E00 <= r && r <= 0x9FFF:
		return true // the common Han characters
	}
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}

// isWordRune reports whether r belongs to a word of letters and digits.
func isWordRune(r rune) bool { return !isCJK(r) && (unicode.IsLetter(r) || unicode.IsDigit(r)) }

// tokenize calls pair for every Chinese token of folded text in order
// and word for every word of letters and digits, each with its position.
// Positions count tokens, and skip one wherever the text breaks (a
// space, a punctuation mark, a change of script), so that tokens are
// adjacent only when their text is: 社保 and 保卡 in 社保、保卡 do not
// make 社保卡. It returns the number of tokens.
func tokenize(text string, pair func(k tokenKey, pos int), word func(w string, pos int)) int {
	n, pos := 0, 0
	var prev rune // the previous Chinese character of the current run, or 0
	runLen := 0
	endRun := func() {
		if runLen == 1 { // a lone character is a token of its own
			pair(tokenKey(prev), pos)
			n, pos = n+1, pos+1
		}
		if runLen > 0 {
			pos++
		}
		prev, runLen = 0, 0
	}
	wordStart := -1
	endWord := func(end int) {
		if wordStart >= 0 {
			word(text[wordStart:end], pos)
			n, pos = n+1, pos+2
			wordStart = -1
		}
	}
	for i, r := range text {
		if isWordRune(r) {
			endRun()
			if wordStart < 0 {
				wordStart = i
			}
			continue
		}
		endWord(i)
		if !isCJK(r) {
			endRun()
			continue
		}
		if runLen > 0 {
			pair(pairKey(prev, r), pos)
			n, pos = n+1, pos+1
		}
		prev = r
		runLen++
	}
	endWord(len(text))
	endRun()
	return n
}

// isASCII reports whether s is plain ASCII (a pinyin word or a code).
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

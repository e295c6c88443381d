// Package textguard decides which characters text from outside may hold.
// Every edge (HTTP bodies, query strings, websocket messages) checks text
// once with it, so that no NUL byte reaches PostgreSQL, no terminal escape
// reaches a log, and no bidirectional override makes a title read
// differently from what it holds.
package textguard

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/open12345/hotline/errs"
)

// Forbidden reports whether r may not appear in any text: C0 controls
// other than tab, line feed and carriage return, DEL, C1 controls, the
// bidirectional embeddings, overrides and isolates (U+202A–U+202E,
// U+2066–U+2069), and the noncharacters U+FFFE and U+FFFF.
func Forbidden(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return false
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	case r == 0xfffe || r == 0xffff:
		return true
	}
	return false
}

// Check returns an invalid error naming field if s is not valid UTF-8 or
// holds a forbidden character; with singleLine, tabs and line breaks are
// refused too (titles, names, codes).
func Check(field, s string, singleLine bool) error {
	if !utf8.ValidString(s) {
		return errs.E(errs.Invalid, "%s is not valid UTF-8", field)
	}
	for _, r := range s {
		if Forbidden(r) || singleLine && (r == '\t' || r == '\n' || r == '\r') {
			return errs.E(errs.Invalid, "%s contains the control character U+%04X", field, r)
		}
	}
	return nil
}

// CheckJSON checks every string of a JSON document, keys and values, and
// names the field of the first bad one ("citizen.name", "items[2]").
// It does not validate the document's syntax beyond what it reads; a
// syntax error is reported as invalid too.
func CheckJSON(doc []byte) error {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	w := walker{dec: dec}
	return w.value("body")
}

// walker follows a JSON document token by token, keeping the path of the
// value it is in for error messages.
type walker struct {
	dec   *json.Decoder
	depth int
}

// maxDepth bounds nesting, as encoding/json does (10000); documents of
// real requests nest a few levels.
const maxDepth = 1000

func (w *walker) value(path string) error {
	tok, err := w.dec.Token()
	if err != nil {
		return syntaxError(err)
	}
	switch t := tok.(type) {
	case string:
		return Check(path, t, false)
	case json.Delim:
		w.depth++
		if w.depth > maxDepth {
			return errs.E(errs.Invalid, "JSON nests deeper than %d levels", maxDepth)
		}
		defer func() { w.depth-- }()
		if t == '{' {
			return w.object(path)
		}
		return w.array(path)
	}
	return nil
}

func (w *walker) object(path string) error {
	for w.dec.More() {
		tok, err := w.dec.Token()
		if err != nil {
			return syntaxError(err)
		}
		key, _ := tok.(string)
		if err := Check(path+" key", key, true); err != nil {
			return err
		}
		field := key
		if path != "body" {
			field = path + "." + key
		}
		if err := w.value(field); err != nil {
			return err
		}
	}
	_, err := w.dec.Token() // the closing brace
	return syntaxError(err)
}

func (w *walker) array(path string) error {
	for i := 0; w.dec.More(); i++ {
		if err := w.value(fmt.Sprintf("%s[%d]", path, i)); err != nil {
			return err
		}
	}
	_, err := w.dec.Token() // the closing bracket
	return syntaxError(err)
}

func syntaxError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, io.EOF) {
		return errs.E(errs.Invalid, "malformed JSON: unexpected end of input")
	}
	return errs.Wrap(errs.Invalid, err, "malformed JSON")
}

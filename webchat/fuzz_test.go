package webchat

import (
	"encoding/json"
	"testing"

	"github.com/open12345/hotline/errs"
)

// FuzzFrame feeds any bytes to the frame decoder and the decoders of each
// frame's data: every input is a frame or an invalid error, never a
// panic; only a well-formed token hashes, and only a text within the
// limits passes the check.
func FuzzFrame(f *testing.F) {
	for _, s := range []string{`{"type":"hello","data":{"resume_token":"abc","last_seq":3}}`,
		`{"type":"message","data":{"text":"社保卡","client_id":"m1"}}`, `{"type":"rate","data":{"score":5}}`,
		`{"type":""}`, `[]`, `{"type":"message","data":{"text":"\u0000"}}`, `{"type":"x","data":1e999}`, "\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		env, err := parseFrame(data)
		if err != nil {
			if errs.CodeOf(err) != errs.Invalid {
				t.Fatalf("%q: %v, want invalid", data, err)
			}
			return
		}
		if env.Type == "" {
			t.Fatalf("%q: a frame without a type", data)
		}
		var h helloData
		if json.Unmarshal(env.Data, &h) == nil {
			if _, ok := h.ResumeToken.Hash(); ok && len(h.ResumeToken) != 43 {
				t.Fatalf("token %q of length %d hashes", h.ResumeToken, len(h.ResumeToken))
			}
		}
		var m messageData
		if json.Unmarshal(env.Data, &m) == nil && CheckText(m.Text) == nil {
			if n := len([]rune(m.Text)); n == 0 || n > MaxMessageRunes {
				t.Fatalf("a text of %d characters passes the check", n)
			}
		}
	})
}

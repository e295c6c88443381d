// Package apitest is what the tests of the HTTP servers (agent-ui,
// citizenweb) share: sending a request and reading the whole answer, and
// checking an answer's status and decoding it.
package apitest

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

// Response is an answer, read whole.
type Response struct {
	Status int
	Body   []byte
	Header http.Header
}

// Do sends req with c and reads the whole answer; failing to is fatal.
func Do(t testing.TB, c *http.Client, req *http.Request) Response {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return Response{Status: resp.StatusCode, Body: b, Header: resp.Header}
}

// Must checks the status and decodes the body into out (if not nil).
func Must(t testing.TB, r Response, status int, out any) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	if out != nil {
		if err := json.Unmarshal(r.Body, out); err != nil {
			t.Fatalf("decode %s: %v", r.Body, err)
		}
	}
}

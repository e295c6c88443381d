package dispatch_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/open12345/hotline/ticketing/dispatch"
)

func TestSign_KnownVector(t *testing.T) {
	// RFC 4231-style check against the well-known HMAC-SHA256 example.
	got := dispatch.Sign("key", []byte("The quick brown fox jumps over the lazy dog"))
	if want := "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"; got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
	body := []byte(`{"event":"ticket.dispatched"}`)
	sig := dispatch.Sign(secret, body)
	for _, c := range []struct {
		secret, body, sig string
		ok                bool
	}{
		{secret, string(body), sig, true},
		{secret, string(body) + " ", sig, false},
		{"another-secret-value", string(body), sig, false},
		{secret, string(body), strings.TrimPrefix(sig, "sha256="), false},
		{secret, string(body), "", false},
	} {
		if got := dispatch.Verify(c.secret, []byte(c.body), c.sig); got != c.ok {
			t.Errorf("Verify(%q, %q, %q) = %v", c.secret, c.body, c.sig, got)
		}
	}
}

func TestWebhook_Post(t *testing.T) {
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		switch r.URL.Path {
		case "/ok":
			w.WriteHeader(http.StatusNoContent)
		case "/gone":
			http.Error(w, "gone", http.StatusGone)
		case "/moved":
			http.Redirect(w, r, "/ok", http.StatusMovedPermanently)
		}
	}))
	defer srv.Close()
	wh := dispatch.NewWebhook(time.Second)
	ctx := context.Background()
	status, err := wh.Post(ctx, srv.URL+"/ok", secret, "ticket.urged", "d-1", []byte(`{}`))
	if err != nil || status != 204 {
		t.Fatalf("ok: %d %v", status, err)
	}
	if got.Get("X-Hotline-Event") != "ticket.urged" || got.Get("X-Hotline-Delivery") != "d-1" ||
		got.Get("X-Hotline-Signature") != dispatch.Sign(secret, []byte(`{}`)) || got.Get("Content-Type") != "application/json" {
		t.Fatalf("headers %v", got)
	}
	if status, err := wh.Post(ctx, srv.URL+"/gone", secret, "e", "d-2", nil); err == nil || status != 410 {
		t.Fatalf("gone: %d %v", status, err)
	}
	if status, err := wh.Post(ctx, srv.URL+"/moved", secret, "e", "d-3", nil); err == nil || status != 301 || !strings.Contains(err.Error(), "/ok") {
		t.Fatalf("moved: %d %v", status, err)
	}
	if _, err := wh.Post(ctx, "http://[::1", secret, "e", "d-4", nil); err == nil {
		t.Fatal("malformed URL accepted")
	}
}

func TestHTTPSMS(t *testing.T) {
	var body map[string]string
	var auth string
	answer := `{"id":"msg-42"}`
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = r.Header.Get("Authorization")
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Errorf("gateway got %v", err)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(answer))
	}))
	defer srv.Close()
	sms := dispatch.NewHTTPSMS(srv.URL, "gw-key")
	ctx := context.Background()
	id, err := sms.Send(ctx, "13800001234", "【12345】测试")
	if err != nil || id != "msg-42" || auth != "Bearer gw-key" || body["to"] != "13800001234" || body["text"] != "【12345】测试" {
		t.Fatalf("send: %q %v; auth %q body %v", id, err, auth, body)
	}
	status, answer = http.StatusTooManyRequests, "slow down"
	if _, err := sms.Send(ctx, "13800001234", "x"); err == nil || !strings.Contains(err.Error(), "429") {
		t.Fatalf("429: %v", err)
	}
	status, answer = http.StatusOK, "<html>"
	if _, err := sms.Send(ctx, "13800001234", "x"); err == nil {
		t.Fatal("a non-JSON answer was accepted")
	}
}

func TestLogSMS_MasksThePhone(t *testing.T) {
	var buf bytes.Buffer
	sms := &dispatch.LogSMS{Log: slog.New(slog.NewTextHandler(&buf, nil))}
	if _, err := sms.Send(context.Background(), "13800001234", "hello"); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "13800001234") || !strings.Contains(buf.String(), "138****1234") {
		t.Fatalf("log %s", buf.String())
	}
}

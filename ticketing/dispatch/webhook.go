package dispatch

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// maxResponseBody bounds what is read of a webhook's answer: a receiver
// that answers with more is treated as broken.
const maxResponseBody = 64 << 10

// Webhook posts signed deliveries to department systems. Department
// systems live on government intranets, so private addresses are allowed;
// only an admin can set a webhook URL. Redirects are never followed: the
// signature and the ticket are meant for the configured URL alone.
type Webhook struct {
	client  *http.Client
	timeout time.Duration
}

// NewWebhook returns a Webhook whose requests take at most timeout.
func NewWebhook(timeout time.Duration) *Webhook {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 64
	transport.ResponseHeaderTimeout = timeout
	return &Webhook{timeout: timeout, client: &http.Client{
		Transport: transport,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
}

// Sign returns the X-Hotline-Signature of body: sha256=<hex HMAC-SHA256>.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify reports whether signature is body's signature with secret, in
// constant time: what a receiver does.
func Verify(secret string, body []byte, signature string) bool {
	return hmac.Equal([]byte(Sign(secret, body)), []byte(signature))
}

// Post sends body to url with the delivery headers and returns the HTTP
// status (0 if there was no answer). Anything but a 2xx answer with a body
// of at most 64 KiB is an error.
func (w *Webhook) Post(ctx context.Context, url, secret, event, deliveryID string, body []byte) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("webhook request: %w", err)
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "hotline-webhook/1")
	h.Set("X-Hotline-Event", event)
	h.Set("X-Hotline-Delivery", deliveryID)
	h.Set("X-Hotline-Signature", Sign(secret, body))
	resp, err := w.client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return 0, fmt.Errorf("webhook did not answer within %s", w.timeout)
		}
		return 0, fmt.Errorf("webhook: %w", err)
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseBody+1))
	switch {
	case err != nil:
		return resp.StatusCode, fmt.Errorf("webhook answer %d: reading body: %w", resp.StatusCode, err)
	case n > maxResponseBody:
		return resp.StatusCode, fmt.Errorf("webhook answer %d: body larger than %d KiB", resp.StatusCode, maxResponseBody>>10)
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return resp.StatusCode, fmt.Errorf("webhook answer %d: redirect to %q not followed", resp.StatusCode, resp.Header.Get("Location"))
	case resp.StatusCode < 200 || resp.StatusCode >= 300:
		return resp.StatusCode, fmt.Errorf("webhook answer %d", resp.StatusCode)
	}
	return resp.StatusCode, nil
}

package dispatch

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/open12345/hotline/ticketing"
)

// SMS sends text messages to citizens.
type SMS interface {
	// Send sends text to the normalised phone number and returns the
	// provider's message ID.
	Send(ctx context.Context, phone, text string) (string, error)
}

// NotSending is implemented by an SMS sender that only writes messages
// down instead of sending them (LogSMS). A citizen notification through it
// is recorded as not sent, for the reason it gives, never as sent.
type NotSending interface {
	NotSentReason() string
}

// ReasonNoGateway is why nothing is sent without HOTLINE_SMS_URL, as the
// ticket's history shows it.
const ReasonNoGateway = "未配置短信网关"

// LogSMS writes messages to the log instead of sending them: for
// development and for deployments without an SMS contract.
type LogSMS struct {
	Log *slog.Logger
	n   atomic.Int64
}

var _ NotSending = (*LogSMS)(nil)

// Send logs the message with the phone number masked.
func (l *LogSMS) Send(ctx context.Context, phone, text string) (string, error) {
	id := "log-" + strconv.FormatInt(l.n.Add(1), 10)
	l.Log.InfoContext(ctx, "sms (not sent: no gateway configured)", "to", ticketing.MaskPhone(phone), "text", text, "id", id)
	return id, nil
}

// NotSentReason says that no gateway is configured.
func (l *LogSMS) NotSentReason() string { return ReasonNoGateway }

// HTTPSMS sends through an HTTP gateway: POST {to, text} as JSON with a
// bearer key; a 2xx answer {id} means accepted. Most SMS providers and the
// usual government SMS platforms can be put behind such a small adapter.
type HTTPSMS struct {
	URL    string
	Key    string
	Client *http.Client
}

// NewHTTPSMS returns a gateway client with a ten-second timeout.
func NewHTTPSMS(url, key string) *HTTPSMS {
	return &HTTPSMS{URL: url, Key: key, Client: &http.Client{Timeout: 10 * time.Second}}
}

// Send posts the message. Errors: the gateway's status and answer.
func (h *HTTPSMS) Send(ctx context.Context, phone, text string) (string, error) {
	body, err := json.Marshal(map[string]string{"to": phone, "text": text})
	if err != nil {
		return "", fmt.Errorf("encode sms: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("sms request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if h.Key != "" {
		req.Header.Set("Authorization", "Bearer "+h.Key)
	}
	resp, err := h.Client.Do(req)
	if err != nil {
		return "", fmt.Errorf("sms gateway: %w", err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 16<<10))
	if err != nil {
		return "", fmt.Errorf("sms gateway answer %d: %w", resp.StatusCode, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		return "", fmt.Errorf("sms gateway answer %d: %.200s", resp.StatusCode, answer)
	}
	var out struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(answer, &out); err != nil {
		return "", fmt.Errorf("sms gateway answer %d is not {\"id\": …}: %w", resp.StatusCode, err)
	}
	return out.ID, nil
}

// citizenText is the SMS for a template.
func citizenText(template string, t *ticketing.Ticket) string {
	switch template {
	case ticketing.TemplateAccepted:
		return fmt.Sprintf("【12345】您反映的问题已受理，工单编号%s。凭编号和本手机号可查询办理进度。", t.Number)
	case ticketing.TemplateReplied:
		return fmt.Sprintf("【12345】您的工单%s已由承办单位答复：%s", t.Number, clip(t.Reply, 120))
	case ticketing.TemplateCallback:
		return fmt.Sprintf("【12345】您的工单%s已办理答复，我们将回访了解您对办理结果是否满意，请留意来电。", t.Number)
	}
	return fmt.Sprintf("【12345】您的工单%s有新进展。", t.Number)
}

// clip shortens s to n runes, marking the cut.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

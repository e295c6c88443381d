// Package httpx is the HTTP plumbing the staff server (agent-ui) and the
// citizens' side (citizenweb) share: the edge every request passes, the
// error envelope and JSON bodies, the client behind trusted proxies, the
// per-address token buckets, query parameters and file transfers.
package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/textguard"
)

// MaxBodyBytes bounds every JSON request body.
const MaxBodyBytes = 1 << 20

// statusOf maps an error code to its HTTP status, in one place.
func statusOf(code errs.Code) int {
	switch code {
	case errs.Invalid:
		return http.StatusBadRequest
	case errs.TooLarge:
		return http.StatusRequestEntityTooLarge
	case errs.UnsupportedType:
		return http.StatusUnsupportedMediaType
	case errs.NotFound:
		return http.StatusNotFound
	case errs.Conflict:
		return http.StatusConflict
	case errs.Unauthorized:
		return http.StatusUnauthorized
	case errs.Forbidden:
		return http.StatusForbidden
	case errs.RateLimited:
		return http.StatusTooManyRequests
	case errs.Unavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// ErrorBody is the error envelope: {"error":{"code","message"}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is an error's code and its message for people.
type ErrorDetail struct {
	Code    errs.Code `json:"code"`
	Message string    `json:"message"`
}

// WriteError answers with the error envelope. Internal errors are logged
// with their cause and shown only as "internal error".
func WriteError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	code := errs.CodeOf(err)
	status := statusOf(code)
	if wait := errs.RetryAfterOf(err); wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
	}
	if status >= 500 {
		log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "client", ClientAddr(r), "err", err)
	}
	WriteJSON(w, status, ErrorBody{ErrorDetail{Code: code, Message: errs.Message(err)}})
}

// WriteJSON answers v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v) // the client has gone if this fails; nothing more to tell it
}

// Handle wraps a handler that returns its error, written as the envelope.
func Handle(log *slog.Logger, h func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			WriteError(w, r, log, err)
		}
	})
}

// DecodeJSON reads a JSON body of at most MaxBodyBytes into v, refusing
// unknown fields, trailing data and strings with forbidden characters
// (textguard). An empty body is allowed when optional.
func DecodeJSON(w http.ResponseWriter, r *http.Request, v any, optional bool) error {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return errs.E(errs.TooLarge, "request body is larger than %d bytes", MaxBodyBytes)
		}
		return errs.Wrap(errs.Invalid, err, "could not read request body")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if optional {
			return nil
		}
		return errs.E(errs.Invalid, "request body is empty; JSON expected")
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return errs.E(errs.Invalid, "Content-Type must be application/json")
		}
	}
	if !utf8.Valid(body) {
		return errs.E(errs.Invalid, "request body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errs.E(errs.Invalid, "malformed JSON: %s", jsonProblem(err))
	}
	if dec.More() {
		return errs.E(errs.Invalid, "malformed JSON: data after the value")
	}
	return textguard.CheckJSON(body)
}

// jsonProblem describes a decoding error without echoing the input.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("syntax error at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %q must be %s", typ.Field, typ.Type)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "unexpected end of input"
	}
	msg := err.Error()
	if strings.HasPrefix(msg, "json: unknown field") {
		return strings.TrimPrefix(msg, "json: ")
	}
	var coded *errs.Error
	if errors.As(err, &coded) {
		return coded.Message
	}
	return "cannot decode"
}

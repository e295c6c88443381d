package dtmf

import (
	"bytes"
	"fmt"
	"mime"
	"strconv"
	"strings"
	"time"
)

// The SIP INFO content types that carry a key press.
const (
	ContentTypeRelay = "application/dtmf-relay" // "Signal=5\r\nDuration=160"
	ContentTypeDTMF  = "application/dtmf"       // "5"
)

// Bounds on an INFO body: a real one is a few dozen bytes.
const (
	maxInfoBody     = 256
	maxInfoLines    = 8
	maxInfoDuration = 60 * time.Second
)

// Info is the key press a SIP INFO request carries.
type Info struct {
	Digit    rune          // 0-9, *, #, A-D
	Duration time.Duration // 0 when the body does not say
}

// ParseInfo reads the body of a SIP INFO request with the given Content-Type
// header (parameters allowed). It accepts one key; a body that is too
// large, malformed, names another content type or no key, or names a key
// twice is an error.
func ParseInfo(contentType string, body []byte) (Info, error) {
	mediaType, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return Info{}, fmt.Errorf("dtmf: INFO content type %q: %w", contentType, err)
	}
	if len(body) > maxInfoBody {
		return Info{}, fmt.Errorf("dtmf: INFO body of %d bytes, at most %d", len(body), maxInfoBody)
	}
	switch mediaType {
	case ContentTypeRelay:
		return parseRelay(body)
	case ContentTypeDTMF:
		d, err := parseSignal(string(bytes.TrimSpace(body)))
		return Info{Digit: d}, err
	default:
		return Info{}, fmt.Errorf("dtmf: INFO content type %q carries no DTMF", mediaType)
	}
}

// parseRelay reads "key=value" lines; keys are case-insensitive, unknown
// keys are skipped, Signal is required and Duration (milliseconds) optional.
func parseRelay(body []byte) (Info, error) {
	lines := strings.Split(strings.ReplaceAll(string(body), "\r\n", "\n"), "\n")
	if len(lines) > maxInfoLines {
		return Info{}, fmt.Errorf("dtmf: dtmf-relay body of %d lines, at most %d", len(lines), maxInfoLines)
	}
	var info Info
	var haveSignal, haveDuration bool
	for _, line := range lines {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			return Info{}, fmt.Errorf("dtmf: dtmf-relay line %q is not key=value", line)
		}
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		switch {
		case strings.EqualFold(key, "Signal"):
			if haveSignal {
				return Info{}, fmt.Errorf("dtmf: dtmf-relay body names Signal twice")
			}
			d, err := parseSignal(value)
			if err != nil {
				return Info{}, err
			}
			info.Digit, haveSignal = d, true
		case strings.EqualFold(key, "Duration"):
			if haveDuration {
				return Info{}, fmt.Errorf("dtmf: dtmf-relay body names Duration twice")
			}
			ms, err := strconv.ParseUint(value, 10, 32)
			if err != nil || time.Duration(ms)*time.Millisecond > maxInfoDuration {
				return Info{}, fmt.Errorf("dtmf: dtmf-relay Duration %q is not 0-%d milliseconds", value, maxInfoDuration.Milliseconds())
			}
			info.Duration, haveDuration = time.Duration(ms)*time.Millisecond, true
		}
	}
	if !haveSignal {
		return Info{}, fmt.Errorf("dtmf: dtmf-relay body has no Signal")
	}
	return info, nil
}

// parseSignal reads one key: the character itself or, as some phones send
// for * and #, its event code 10 or 11.
func parseSignal(s string) (rune, error) {
	switch s {
	case "10":
		return '*', nil
	case "11":
		return '#', nil
	}
	if len(s) == 1 {
		if code, ok := Code(rune(s[0])); ok {
			d, _ := Digit(code)
			return d, nil
		}
	}
	return 0, fmt.Errorf("dtmf: INFO signal %q is not one of 0-9 * # A-D", s)
}

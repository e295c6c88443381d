// Package errs defines the small set of error codes the hotline uses
// everywhere, so that each edge (HTTP, SIP, queue) translates them once.
//
// Domain code returns errs.E(errs.Conflict, "ticket is closed"); adapters
// wrap library errors with a code; edges call errs.CodeOf and errs.Message.
package errs

import (
	"errors"
	"fmt"
	"time"
)

// Code classifies an error for the caller.
type Code string

// The error codes. Each edge maps them once (see internal/httpx for HTTP).
const (
	Invalid      Code = "invalid"      // the input is malformed or breaks a rule
	TooLarge     Code = "too_large"    // the input is bigger than allowed
	NotFound     Code = "not_found"    // no such thing, or the caller may not know it exists
	Conflict     Code = "conflict"     // the current state does not allow this
	Unauthorized Code = "unauthorized" // no or bad credentials
	Forbidden    Code = "forbidden"    // credentials fine, role not allowed
	RateLimited  Code = "rate_limited" // too many attempts; try again later
	Unavailable  Code = "unavailable"  // a dependency is down
	Internal     Code = "internal"     // a bug or an unexpected failure; never shown in detail
)

// UnsupportedType says that content is not of a type accepted there: an
// upload that is no image of an accepted kind, whatever its name says.
const UnsupportedType Code = "unsupported_type"

// Error is an error with a code and a message meant for the user.
type Error struct {
	Code    Code
	Message string
	Err     error // the cause, if any; logged, never shown
	// RetryAfter, when set on a rate_limited or unavailable error, tells
	// the caller when to try again.
	RetryAfter time.Duration
}

// Error implements error.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// E returns a new coded error with a formatted user-facing message.
func E(code Code, format string, args ...any) error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap attaches a code and a user-facing message to a cause.
func Wrap(code Code, err error, format string, args ...any) error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// CodeOf returns the code of the first coded error in err's chain, or
// Internal for an uncoded error. A nil error has no code.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// Message returns the user-facing message of err. Uncoded errors get a
// generic message so that internals never leak.
func Message(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != Internal {
		return e.Message
	}
	return "internal error"
}

// RetryAfterOf returns the RetryAfter of the first coded error in err's chain.
func RetryAfterOf(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

// Is reports whether err carries the given code.
func Is(err error, code Code) bool { return err != nil && CodeOf(err) == code }

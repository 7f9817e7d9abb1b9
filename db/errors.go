package db

import (
	"errors"
	"fmt"
)

// Error codes. Handlers map each code to one HTTP status in one place; the
// message of an Error with a code other than EINTERNAL is safe to show.
const (
	ECONFLICT     = "conflict"
	EINTERNAL     = "internal"
	EINVALID      = "invalid"
	ENOTFOUND     = "not_found"
	EUNAUTHORIZED = "unauthorized"
	// EFORBIDDEN: the caller is known but may not do this (a role that
	// does not reach a page, a step that must come first).
	EFORBIDDEN = "forbidden"
)

// Error is a domain error: a code for programs and a message for people.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("disclose error: code=%s message=%s", e.Code, e.Message)
}

// Errorf builds a domain error with a message safe to show to users.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of a domain error, EINTERNAL for any other error
// and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err; internal errors get a
// generic text so that no detail leaks.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) && e.Code != EINTERNAL {
		return e.Message
	}
	return "Internal error."
}

package db

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// Error codes. Handlers map each code to one HTTP status in one place
// (handlers/errors.go); the message of an Error with a code other than
// EINTERNAL is safe to show.
const (
	ECONFLICT     = "conflict"
	EINTERNAL     = "internal"
	EINVALID      = "invalid"
	ENOTFOUND     = "not_found"
	EUNAUTHORIZED = "unauthorized"
	// EFORBIDDEN: the caller is known but may not do this (a role that
	// does not reach a page, a step that must come first, an address a
	// webhook may not post to).
	EFORBIDDEN = "forbidden"
	// ELOCKED: too many failed attempts; try again after RetryAfter.
	ELOCKED = "locked"
)

// Error is the one error type of disclose's domain: a code for programs, a
// message for people, and the few details a caller acts on. Any other
// error is internal: its text is logged, never shown.
type Error struct {
	Code    string
	Message string
	// Fields holds one message per bad form field (EINVALID), so that a
	// form shows them all at once beside their fields; Message is the
	// first of them.
	Fields FieldErrors
	// Ref is the reference of the report a form already became, when the
	// same form was sent again (ECONFLICT from CreateReport).
	Ref string
	// RetryAfter is how long a locked sign-in waits (ELOCKED).
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	return fmt.Sprintf("disclose error: code=%s message=%s", e.Code, e.Message)
}

// Errorf builds a domain error with a message safe to show to users.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrors maps a form field name to a message shown next to it.
type FieldErrors map[string]string

// Keyed messages. A few messages name what only views words (a state as
// people read it, a size in KB or MB): db returns such a message as a key
// with its values, made by Keyed, in Message or in a FieldErrors value;
// views/wording.Say turns it into the sentence where it is shown. Every
// other message is its sentence.
const (
	// MsgTransition: a report in state Args[0] cannot move to state Args[1].
	MsgTransition = "transition"
	// MsgFileTooLarge: the file named Args[0] (Go-quoted) has Args[1]
	// bytes; each file may have at most Args[2].
	MsgFileTooLarge = "file-too-large"
	// MsgTooManyFiles: at most Args[0] files may be attached; Args[1] were.
	MsgTooManyFiles = "too-many-files"
)

// keyedMark starts a keyed message and parts its values: no sentence of db
// holds a NUL (user text in messages is %q-quoted, which escapes it).
const keyedMark = "\x00"

// Keyed is the message key with its values (none may hold a NUL).
func Keyed(key string, args ...string) string {
	return keyedMark + strings.Join(append([]string{key}, args...), keyedMark)
}

// ParseKeyed splits a message made by Keyed; ok is false for a sentence.
func ParseKeyed(msg string) (key string, args []string, ok bool) {
	if !strings.HasPrefix(msg, keyedMark) {
		return "", nil, false
	}
	parts := strings.Split(msg[len(keyedMark):], keyedMark)
	return parts[0], parts[1:], true
}

// Invalid is the EINVALID error of a form with bad fields.
func Invalid(fields FieldErrors) *Error {
	return &Error{Code: EINVALID, Message: firstFieldError(fields), Fields: fields}
}

// firstFieldError is the message of the field a reader meets first: the
// report form's order, then the other fields by name.
func firstFieldError(errs FieldErrors) string {
	for _, k := range []string{"title", "description", "asset", "cwe", "steps", "impact", "cvss", "name", "email", "credit", "attachments"} {
		if m, ok := errs[k]; ok {
			return m
		}
	}
	keys := make([]string, 0, len(errs))
	for k := range errs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) > 0 {
		return errs[keys[0]]
	}
	return ""
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

// ErrorFields returns the field messages of an EINVALID error, nil for any
// other error.
func ErrorFields(err error) FieldErrors {
	var e *Error
	if errors.As(err, &e) && e.Code == EINVALID {
		return e.Fields
	}
	return nil
}

// AsError returns the domain error inside err, nil when there is none.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// isUnique says whether err is SQLite refusing a row that repeats the
// value of a UNIQUE column or index (the driver's extended code, never the
// text of the message). The caller knows which constraints its statement
// can meet; where more than one is plausible it looks the row up.
func isUnique(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintUnique
}

// isForeignKey says whether err is SQLite refusing a row that names a
// parent row that does not exist (the driver's extended code).
func isForeignKey(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintForeignKey
}

// isTrigger says whether err is one of our triggers refusing a change
// (RAISE(ABORT), the driver's extended code).
func isTrigger(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintTrigger
}

// isPrimaryKey says whether err is SQLite refusing a row that repeats a
// PRIMARY KEY (of a WITHOUT ROWID table: other tables' keys are rowids).
func isPrimaryKey(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey
}

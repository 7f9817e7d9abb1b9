package handlers

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views/wording"
	"github.com/labstack/echo/v4"
)

// problem is an RFC 9457 problem document, the body of every API error.
// Code is the same code the pages' errors carry (db's codes: not_found,
// conflict, invalid, forbidden, unauthorized, locked, internal) or, for a
// refusal of HTTP itself, one of httpCodes; Errors holds one message per
// bad field of an invalid request.
type problem struct {
	Type   string            `json:"type"`
	Title  string            `json:"title"`
	Status int               `json:"status"`
	Detail string            `json:"detail,omitempty"`
	Code   string            `json:"code"`
	Errors map[string]string `json:"errors,omitempty"`
}

// problemType is the type URI of a problem code: stable, and not a page
// anyone must be able to fetch (RFC 9457 §3.1.1 allows that).
func problemType(code string) string { return "urn:disclose:problem:" + code }

// httpCodes are the codes of refusals that come from HTTP, not from the
// domain (db.Error codes keep theirs).
var httpCodes = map[int]string{
	http.StatusBadRequest:            "bad_request",
	http.StatusUnauthorized:          db.EUNAUTHORIZED,
	http.StatusForbidden:             db.EFORBIDDEN,
	http.StatusNotFound:              db.ENOTFOUND,
	http.StatusMethodNotAllowed:      "method_not_allowed",
	http.StatusRequestTimeout:        "timeout",
	http.StatusConflict:              db.ECONFLICT,
	http.StatusPreconditionFailed:    "precondition_failed",
	http.StatusRequestEntityTooLarge: "too_large",
	http.StatusUnsupportedMediaType:  "unsupported_media_type",
	http.StatusUnprocessableEntity:   db.EINVALID,
	http.StatusPreconditionRequired:  "precondition_required",
	http.StatusTooManyRequests:       "rate_limited",
	http.StatusInternalServerError:   db.EINTERNAL,
	http.StatusServiceUnavailable:    "unavailable",
}

// errPreconditionFailed answers a write whose If-Match names a version the
// report has left.
var errPreconditionFailed = echo.NewHTTPError(http.StatusPreconditionFailed, "The report changed since the version in If-Match: read it again, then repeat the change.")

// errPreconditionRequired answers a write that names no version at all.
var errPreconditionRequired = echo.NewHTTPError(http.StatusPreconditionRequired, "Send the report's ETag in If-Match (or its version in the body), so two changes cannot overwrite each other.")

// apiError writes err as a problem document, with the status the pages
// would answer (codeStatus), internal errors logged and shown generically.
func (s *Server) apiError(err error, c echo.Context) {
	p := problem{Status: http.StatusInternalServerError}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		p.Status = he.Code
		if m, ok := he.Message.(string); ok && p.Status < 500 && m != http.StatusText(p.Status) {
			p.Detail = m
		}
		p.Code = httpCodes[p.Status]
	} else if code := db.ErrorCode(err); code != db.EINTERNAL {
		p.Status, p.Code, p.Detail = codeStatus[code].status, code, wording.Say(db.ErrorMessage(err))
		if errors.Is(err, errForbiddenRole) {
			p.Detail = "This token's rights (your role now, cut to the token's scope and organisation) do not reach this."
		}
		if fields := db.ErrorFields(err); fields != nil {
			p.Errors = map[string]string{}
			for k, v := range fields {
				p.Errors[k] = wording.Say(v)
			}
		}
		setRetryAfter(c, err)
	}
	if p.Status >= 500 && clientGone(c) {
		s.log.Info("client went away", "route", c.Path(), "method", c.Request().Method, "error", err)
		c.Response().Status = statusClientClosed
		return
	}
	if sp, ok := db.StorageProblem(err); ok && p.Status == http.StatusInternalServerError {
		s.cfg.Problems.Set("storage", sp)
		p.Status = http.StatusServiceUnavailable
		p.Code = httpCodes[p.Status]
	} else if p.Status >= 500 {
		s.log.Error("internal error", "route", c.Path(), "error", err)
		p.Detail = ""
	}
	if p.Code == "" {
		p.Code = httpCodes[p.Status]
		if p.Code == "" {
			p.Code = "error"
		}
	}
	if p.Detail == "" {
		if text, ok := statusText[p.Status]; ok && p.Status != http.StatusForbidden && p.Status != http.StatusUnauthorized {
			p.Detail = text[1]
		}
	}
	p.Type, p.Title = problemType(p.Code), http.StatusText(p.Status)
	if c.Request().Method == http.MethodHead {
		c.NoContent(p.Status)
		return
	}
	buf, merr := json.Marshal(p)
	if merr != nil {
		s.log.Error("encode problem", "error", merr)
		return
	}
	c.Response().Header().Set(echo.HeaderContentType, "application/problem+json")
	c.Response().WriteHeader(p.Status)
	if _, werr := c.Response().Write(buf); werr != nil {
		s.log.Info("write problem", "error", werr)
	}
}

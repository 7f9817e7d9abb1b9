package handlers

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views"
	"github.com/disclose/disclose/views/wording"
	"github.com/labstack/echo/v4"
)

// codeStatus is the one map from domain error codes to HTTP statuses, with
// the title of the error page where the status's own (statusText) would
// mislead: a 403 of the CSRF check says the form expired, one of a role
// says so.
var codeStatus = map[string]struct {
	status int
	title  string
}{
	db.ECONFLICT:     {http.StatusConflict, ""},
	db.EFORBIDDEN:    {http.StatusForbidden, "Not allowed"},
	db.EINVALID:      {http.StatusUnprocessableEntity, ""},
	db.ENOTFOUND:     {http.StatusNotFound, ""},
	db.EUNAUTHORIZED: {http.StatusUnauthorized, ""},
	db.ELOCKED:       {http.StatusTooManyRequests, ""},
	db.EINTERNAL:     {http.StatusInternalServerError, ""},
}

// errorStatus is the HTTP status of a domain error from codeStatus, 500 for
// any other error. A handler that answers an error with its own page (a
// form shown again with its field errors) takes the status from here.
func errorStatus(err error) int {
	if st, ok := codeStatus[db.ErrorCode(err)]; ok {
		return st.status
	}
	return http.StatusInternalServerError
}

// setRetryAfter sets the Retry-After header of an error that says when to
// try again (a locked sign-in), in whole seconds rounded up.
func setRetryAfter(c echo.Context, err error) {
	if e := db.AsError(err); e != nil && e.RetryAfter > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(e.RetryAfter.Seconds())+1))
	}
}

// statusText is what people read for HTTP-level refusals.
var statusText = map[int][2]string{
	http.StatusBadRequest:            {"Bad request", "The request could not be understood."},
	http.StatusUnauthorized:          {"Please sign in", "Your session has ended. Sign in again, then repeat what you were doing."},
	http.StatusForbidden:             {"This form has expired", "For your security, forms must be sent from this site with cookies enabled. Go back, reload the page and send it again: what you typed is kept by your browser's back button in most cases."},
	http.StatusNotFound:              {"Page not found", "There is nothing at this address."},
	http.StatusMethodNotAllowed:      {"Not allowed", "This address does not accept that kind of request."},
	http.StatusRequestEntityTooLarge: {"Too large", "What you sent is larger than this portal accepts. Go back and remove or shrink some attachments."},
	http.StatusTooManyRequests:       {"Too many requests", "You have sent too many requests in a short time. Wait a minute and try again."},
	http.StatusInternalServerError:   {"Something went wrong", "Internal error. Nothing you sent was stored half-way; please try again in a moment."},
	http.StatusServiceUnavailable:    {"Unavailable", "The portal cannot serve this request right now. Please try again in a moment."},
}

// statusClientClosed is what the request log and the metrics record for a
// request whose client closed its connection before the answer (nginx's
// 499). Nothing is sent: nobody is there to read it.
const statusClientClosed = 499

// clientGone says whether the client of c closed its connection: the
// server cancels a request's context only then (its base context never
// ends, not even at shutdown).
func clientGone(c echo.Context) bool { return c.Request().Context().Err() != nil }

// logFailure logs a failure of a handler at ERROR, or at INFO as "client
// went away" when it came from the client leaving: an operator must not be
// woken for a closed browser tab.
func (s *Server) logFailure(c echo.Context, msg string, args ...any) {
	if clientGone(c) {
		s.log.Info("client went away", append([]any{"route", c.Path(), "during", msg}, args...)...)
		return
	}
	s.log.Error(msg, args...)
}

// errorHandler renders every error as a page. Internal errors are logged
// with their detail and shown as a generic text.
func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	if isAPI(c) {
		s.apiError(err, c) // RFC 9457 problem documents (api_errors.go)
		return
	}
	status, title, msg := http.StatusInternalServerError, "", ""
	var he *echo.HTTPError
	if errors.As(err, &he) {
		status = he.Code
		if m, ok := he.Message.(string); ok && status == http.StatusBadRequest {
			msg = m
		}
	} else if code := db.ErrorCode(err); code != db.EINTERNAL {
		status, title, msg = codeStatus[code].status, codeStatus[code].title, wording.Say(db.ErrorMessage(err))
		setRetryAfter(c, err)
	}
	if status >= 500 && clientGone(c) {
		// What failed was waiting for a client that left (a cancelled
		// query, an interrupted statement): not an internal error.
		s.log.Info("client went away", "route", c.Path(), "method", c.Request().Method, "error", err)
		c.Response().Status = statusClientClosed
		return
	}
	if problem, ok := db.StorageProblem(err); ok && status == http.StatusInternalServerError {
		// The machine, not the request, is at fault: one line per problem
		// (the registry logs it when it begins) and a banner for admins.
		s.cfg.Problems.Set("storage", problem)
		status = http.StatusServiceUnavailable
	} else if status >= 500 {
		s.log.Error("internal error", "route", c.Path(), "error", err)
	}
	text, ok := statusText[status]
	if !ok {
		text = [2]string{http.StatusText(status), http.StatusText(status) + "."}
	}
	if title == "" {
		title = text[0]
	}
	if msg == "" {
		msg = text[1]
	}
	if c.Request().Method == http.MethodHead {
		c.NoContent(status)
		return
	}
	if rerr := s.render(c, status, views.ErrorView(views.ErrorPage{Page: s.page(c, title), Status: status, Message: msg})); rerr != nil {
		s.log.Error("render error page", "error", rerr)
	}
}

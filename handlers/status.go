package handlers

import (
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views"
	"github.com/labstack/echo/v4"
)

func (s *Server) statusCookieName() string {
	if s.https() {
		return "__Host-disclose_status"
	}
	return "disclose_status"
}

// statusToken is the status session token the browser sent, or "". Only
// the shape the database makes (43 base64url characters) is passed on, so
// a cookie of the old signed kind, or junk, costs no query.
func (s *Server) statusToken(c echo.Context) string {
	ck, err := c.Cookie(s.statusCookieName())
	if err != nil || len(ck.Value) != 43 {
		return ""
	}
	return ck.Value
}

// setStatusCookie hands the browser its session token. The cookie lives as
// long as the session can; the server decides the idle and absolute expiry
// whatever the browser keeps.
func (s *Server) setStatusCookie(c echo.Context, value string, maxAge int) {
	http.SetCookie(c.Response(), &http.Cookie{Name: s.statusCookieName(), Value: value, Path: "/",
		MaxAge: maxAge, HttpOnly: true, Secure: s.https(), SameSite: http.SameSiteStrictMode})
}

// statusReport returns the report this browser opened with a code, or nil
// when its session is missing, ended or expired (the cookie is then cleared).
func (s *Server) statusReport(c echo.Context) (*db.Report, error) {
	if _, err := c.Cookie(s.statusCookieName()); err != nil {
		return nil, nil
	}
	r, err := s.store.ReportByStatusSession(c.Request().Context(), s.statusToken(c))
	if db.ErrorCode(err) == db.EUNAUTHORIZED {
		s.setStatusCookie(c, "", -1)
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	// The status page of a host shows its organisation's reports only.
	if ok, err := s.ofHostOrg(c, r.ProgramID); err != nil {
		return nil, err
	} else if !ok {
		return nil, nil
	}
	return r, nil
}

func (s *Server) statusPage(c echo.Context) error {
	r, err := s.statusReport(c)
	if err != nil {
		return err
	} else if r == nil {
		return s.render(c, http.StatusOK, views.StatusLoginView(views.StatusLogin{Page: s.page(c, "Check a report")}))
	}
	return s.renderStatus(c, http.StatusOK, r, "", nil, c.QueryParam("sent") == "1")
}

func (s *Server) renderStatus(c echo.Context, status int, r *db.Report, body string, errs db.FieldErrors, sent bool) error {
	tl, err := s.store.Timeline(c.Request().Context(), r.ID, true)
	if err != nil {
		return err
	}
	credits, err := s.store.ReportCredits(c.Request().Context(), r.ID)
	if err != nil {
		return err
	}
	return s.render(c, status, views.StatusView(views.Status{Page: s.page(c, r.Ref()), Report: r, Timeline: tl,
		Body: body, Errors: errs, Sent: sent, Limits: s.cfg.Limits, Credits: credits, CreditSaved: c.QueryParam("credit") == "1"}))
}

// statusLogin checks a receipt code. A wrong code learns nothing but that it
// is wrong; the route is rate-limited per client.
func (s *Server) statusLogin(c echo.Context) error {
	token, err := s.store.StartStatusSession(c.Request().Context(), c.Request().PostFormValue("code"), s.statusToken(c))
	if err == nil {
		// A code of another organisation's report is as wrong here as a
		// mistyped one: its session ends at once.
		token, err = s.hostOrgSession(c, token)
	}
	if db.ErrorCode(err) == db.ENOTFOUND {
		s.log.Warn("wrong receipt code", "route", c.Path(), "client", c.RealIP())
		s.cfg.Metrics.SecurityEvent("wrong_receipt")
		return s.render(c, http.StatusUnauthorized, views.StatusLoginView(views.StatusLogin{Page: s.page(c, "Check a report"),
			Error: "That receipt code is not right. Check it and try again."}))
	} else if err != nil {
		return err
	}
	s.setStatusCookie(c, token, int(db.StatusSessionLifetime.Seconds()))
	return c.Redirect(http.StatusSeeOther, "/status")
}

// statusReply adds the reporter's message to the session's report.
func (s *Server) statusReply(c echo.Context) error {
	r, req := reportOf(c), c.Request()
	body := req.PostFormValue("body")
	files, why := s.uploadedFiles(c)
	if why != "" {
		return s.renderStatus(c, http.StatusUnprocessableEntity, r, body, db.FieldErrors{"attachments": why}, false)
	}
	err := s.store.AddReporterMessage(req.Context(), r.ID, body, files, db.SourceWeb, s.cfg.Limits)
	if fields := db.ErrorFields(err); fields != nil {
		return s.renderStatus(c, errorStatus(err), r, body, fields, false)
	} else if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/status?sent=1")
}

// statusForget ends the session on the server, not only in this browser: a
// copy of the cookie taken from a shared computer opens nothing afterwards.
func (s *Server) statusForget(c echo.Context) error {
	if err := s.store.EndStatusSession(c.Request().Context(), s.statusToken(c)); err != nil {
		return err
	}
	s.setStatusCookie(c, "", -1)
	return c.Redirect(http.StatusSeeOther, "/status")
}

// statusAttachment sends a public attachment of the reporter's own report,
// always as a download.
func (s *Server) statusAttachment(c echo.Context) error {
	return s.reportAttachment(c, reportOf(c).ID, true)
}

// reportAttachment sends the attachment named by the :id parameter when it
// belongs to the report (and, with publicOnly, is on the status page); any
// other id is a 404, so ids of other reports are not revealed.
func (s *Server) reportAttachment(c echo.Context, reportID int64, publicOnly bool) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	a, r, err := s.store.AttachmentReader(c.Request().Context(), reportID, id, publicOnly)
	if err != nil {
		return err
	}
	defer r.Close()
	return sendAttachment(c, a, r)
}

// sendAttachment serves bytes a reporter or a mail provided: always as a
// download, as an opaque type, and sandboxed should a browser render it.
// The bytes stream from the database a chunk at a time, so a download of
// any size costs one chunk of memory; Content-Length is the file's size, so
// a download cut short (a stored file that fails its checks at the end, a
// key locked midway) is seen as incomplete by the client.
func sendAttachment(c echo.Context, a *db.Attachment, r io.Reader) error {
	h := c.Response().Header()
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": a.Filename}))
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.FormatInt(a.Size, 10))
	return c.Stream(http.StatusOK, "application/octet-stream", r)
}

// hostOrgSession keeps a status session just started only when its report
// belongs to the host's organisation; otherwise it ends it and answers
// ENOTFOUND, as for a wrong code.
func (s *Server) hostOrgSession(c echo.Context, token string) (string, error) {
	ctx := c.Request().Context()
	r, err := s.store.ReportByStatusSession(ctx, token)
	if err != nil {
		return "", err
	}
	if ok, err := s.ofHostOrg(c, r.ProgramID); err != nil {
		return "", err
	} else if ok {
		return token, nil
	}
	if err := s.store.EndStatusSession(ctx, token); err != nil {
		return "", err
	}
	return "", db.Errorf(db.ENOTFOUND, "Wrong receipt code.")
}

package handlers

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views"
	"github.com/labstack/echo/v4"
)

// statusCookieLifetime bounds how long a browser stays on a report after
// the code was typed; the code itself never leaves the login request.
const statusCookieLifetime = time.Hour

func (s *Server) statusCookieName() string {
	if s.https() {
		return "__Host-disclose_status"
	}
	return "disclose_status"
}

// statusCookie is report id and expiry, signed with HMAC-SHA256 under a key
// kept in the database.
func (s *Server) statusCookie(reportID int64, expires time.Time) string {
	buf := make([]byte, 16, 48)
	binary.BigEndian.PutUint64(buf[:8], uint64(reportID))
	binary.BigEndian.PutUint64(buf[8:], uint64(expires.Unix()))
	mac := hmac.New(sha256.New, s.statusKey)
	mac.Write(buf)
	return base64.RawURLEncoding.EncodeToString(mac.Sum(buf))
}

func (s *Server) statusReportID(c echo.Context) (int64, bool) {
	ck, err := c.Cookie(s.statusCookieName())
	if err != nil {
		return 0, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil || len(raw) != 48 {
		return 0, false
	}
	mac := hmac.New(sha256.New, s.statusKey)
	mac.Write(raw[:16])
	if !hmac.Equal(mac.Sum(nil), raw[16:]) {
		return 0, false
	}
	if time.Now().Unix() > int64(binary.BigEndian.Uint64(raw[8:16])) {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(raw[:8])), true
}

func (s *Server) setStatusCookie(c echo.Context, value string, maxAge int) {
	http.SetCookie(c.Response(), &http.Cookie{Name: s.statusCookieName(), Value: value, Path: "/",
		MaxAge: maxAge, HttpOnly: true, Secure: s.https(), SameSite: http.SameSiteStrictMode})
}

// statusReport returns the report this browser opened with a code, or nil.
func (s *Server) statusReport(c echo.Context) (*db.Report, error) {
	id, ok := s.statusReportID(c)
	if !ok {
		return nil, nil
	}
	r, err := s.store.ReportByID(c.Request().Context(), id)
	if db.ErrorCode(err) == db.ENOTFOUND {
		s.setStatusCookie(c, "", -1)
		return nil, nil
	}
	return r, err
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
	return s.render(c, status, views.StatusView(views.Status{Page: s.page(c, r.Ref()), Report: r, Timeline: tl,
		Body: body, Errors: errs, Sent: sent, Limits: s.cfg.Limits}))
}

// statusLogin checks a receipt code. A wrong code learns nothing but that it
// is wrong; the route is rate-limited per client.
func (s *Server) statusLogin(c echo.Context) error {
	r, err := s.store.ReportByReceipt(c.Request().Context(), c.Request().PostFormValue("code"))
	if db.ErrorCode(err) == db.ENOTFOUND {
		s.log.Warn("wrong receipt code", "route", c.Path(), "client", c.RealIP())
		s.cfg.Metrics.SecurityEvent("wrong_receipt")
		return s.render(c, http.StatusUnauthorized, views.StatusLoginView(views.StatusLogin{Page: s.page(c, "Check a report"),
			Error: "That receipt code is not right. Check it and try again."}))
	} else if err != nil {
		return err
	}
	s.setStatusCookie(c, s.statusCookie(r.ID, time.Now().Add(statusCookieLifetime)), int(statusCookieLifetime.Seconds()))
	return c.Redirect(http.StatusSeeOther, "/status")
}

func (s *Server) statusReply(c echo.Context) error {
	r, err := s.statusReport(c)
	if err != nil {
		return err
	} else if r == nil {
		return s.render(c, http.StatusUnauthorized, views.StatusLoginView(views.StatusLogin{Page: s.page(c, "Check a report"),
			Error: "Your session on this report ended. Enter your receipt code again; then send your message."}))
	}
	req := c.Request()
	body := req.PostFormValue("body")
	var files []db.NewAttachment
	if req.MultipartForm != nil {
		fhs := req.MultipartForm.File["attachments"]
		if len(fhs) > s.cfg.Limits.MaxFiles {
			return s.renderStatus(c, http.StatusUnprocessableEntity, r, body,
				db.FieldErrors{"attachments": fmt.Sprintf("Attach at most %d files (you chose %d).", s.cfg.Limits.MaxFiles, len(fhs))}, false)
		}
		if files, err = s.readFiles(fhs); err != nil {
			return s.renderStatus(c, http.StatusUnprocessableEntity, r, body, db.FieldErrors{"attachments": err.Error()}, false)
		}
	}
	err = s.store.AddReporterMessage(req.Context(), r.ID, body, files, db.SourceWeb, s.cfg.Limits)
	var verr *db.ValidationError
	if errors.As(err, &verr) {
		return s.renderStatus(c, http.StatusUnprocessableEntity, r, body, verr.Fields, false)
	} else if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/status?sent=1")
}

func (s *Server) statusForget(c echo.Context) error {
	s.setStatusCookie(c, "", -1)
	return c.Redirect(http.StatusSeeOther, "/status")
}

// statusAttachment sends a public attachment of the reporter's own report,
// always as a download.
func (s *Server) statusAttachment(c echo.Context) error {
	r, err := s.statusReport(c)
	if err != nil {
		return err
	} else if r == nil {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	return s.reportAttachment(c, r.ID, true)
}

// reportAttachment sends the attachment named by the :id parameter when it
// belongs to the report (and, with publicOnly, is on the status page); any
// other id is a 404, so ids of other reports are not revealed.
func (s *Server) reportAttachment(c echo.Context, reportID int64, publicOnly bool) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	a, data, err := s.store.AttachmentOf(c.Request().Context(), reportID, id, publicOnly)
	if err != nil {
		return err
	}
	return sendAttachment(c, a, data)
}

// sendAttachment serves bytes a reporter or a mail provided: always as a
// download, as an opaque type, and sandboxed should a browser render it.
func sendAttachment(c echo.Context, a *db.Attachment, data []byte) error {
	h := c.Response().Header()
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": a.Filename}))
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "application/octet-stream", data)
}

package handlers

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views"
	"github.com/labstack/echo/v4"
)

// retentionFields are the day counts of a rule, as the form names them.
var retentionFields = []string{"attachments_days", "anonymise_days", "spam_days"}

func (s *Server) renderRetention(c echo.Context, status int, m views.AdminRetention) error {
	ctx := c.Request().Context()
	var err error
	if m.Rules, err = s.store.RetentionRules(ctx); err != nil {
		return err
	}
	if m.Due, err = s.store.RetentionDue(ctx); err != nil {
		return err
	}
	if m.Holds, err = s.store.LegalHolds(ctx); err != nil {
		return err
	}
	m.StaffPage = s.staffPage(c, "Retention", "admin")
	if m.Values == nil {
		m.Values = map[string]string{}
	}
	if m.Errors == nil {
		m.Errors = db.FieldErrors{}
	}
	return s.render(c, status, views.AdminRetentionView(m))
}

func (s *Server) adminRetention(c echo.Context) error {
	notice := map[string]string{"saved": "Saved.", "held": "The report is on legal hold.", "released": "The legal hold was released."}[c.QueryParam("done")]
	return s.renderRetention(c, http.StatusOK, views.AdminRetention{Notice: notice})
}

// saveRetention reads one program's rule field by field; a bad number is
// shown next to its field with what was typed kept.
func (s *Server) saveRetention(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	r := c.Request()
	rule := &db.RetentionRule{ProgramID: id}
	dst := map[string]*int{"attachments_days": &rule.AttachmentsDays, "anonymise_days": &rule.AnonymiseDays, "spam_days": &rule.SpamDeleteDays}
	values, errs := map[string]string{}, db.FieldErrors{}
	for _, f := range retentionFields {
		key := views.RetentionField(f, id)
		values[key] = strings.TrimSpace(r.PostFormValue(f))
		n, err := strconv.Atoi(values[key])
		if values[key] == "" {
			n, err = 0, nil
		}
		if err != nil || n < 0 || n > 36500 {
			errs[key] = "Enter a whole number of days from 0 (keep forever) to 36500."
			continue
		}
		*dst[f] = n
	}
	if len(errs) == 0 {
		err = s.store.SetRetentionRule(r.Context(), rule, actor(c))
		if db.ErrorCode(err) == db.EINVALID {
			errs[views.RetentionField("attachments_days", id)] = db.ErrorMessage(err)
		} else if err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		return s.renderRetention(c, http.StatusUnprocessableEntity, views.AdminRetention{Values: values, Errors: errs})
	}
	return c.Redirect(http.StatusSeeOther, "/admin/retention?done=saved")
}

// legalHold puts a report named by its reference on hold, or releases it.
func (s *Server) legalHold(on bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		ref, reason := strings.TrimSpace(r.PostFormValue("ref")), strings.TrimSpace(r.PostFormValue("reason"))
		values := map[string]string{"ref": ref, "reason": reason}
		rep, err := s.store.ReportByRef(r.Context(), ref)
		if db.ErrorCode(err) == db.ENOTFOUND {
			return s.renderRetention(c, http.StatusUnprocessableEntity, views.AdminRetention{Values: values,
				Errors: db.FieldErrors{"ref": "No report has this reference; write it like SEC-12."}})
		} else if err != nil {
			return err
		}
		if on && reason == "" {
			return s.renderRetention(c, http.StatusUnprocessableEntity, views.AdminRetention{Values: values,
				Errors: db.FieldErrors{"reason": "Say why (a case number, a request): it goes to the audit log."}})
		}
		if err := s.store.SetLegalHold(r.Context(), rep.ID, on, actor(c), reason); err != nil {
			return err
		}
		done := "held"
		if !on {
			done = "released"
		}
		return c.Redirect(http.StatusSeeOther, "/admin/retention?done="+done)
	}
}

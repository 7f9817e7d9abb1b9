package handlers

import (
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin/pgp"
	"github.com/disclose/disclose/views"
	"github.com/labstack/echo/v4"
)

// reportFields are the text fields of the form, read one by one.
var reportFields = []string{"program", "title", "asset", "asset_other", "cwe", "description", "steps", "impact",
	"cvss", "name", "email", "pgp_key", "credit", "already_public", "exploited"}

func (s *Server) reportForm(c echo.Context) error {
	f, err := s.newForm(c, map[string]string{"program": c.QueryParam("program")})
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, views.ReportFormView(f))
}

// newForm builds the form model for the chosen program (the default one
// when none or an unknown one is named).
func (s *Server) newForm(c echo.Context, values map[string]string) (*views.ReportForm, error) {
	_, ps, err := s.hostPrograms(c) // only the host's organisation's programs
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, errNoPrograms
	}
	f := &views.ReportForm{Page: s.page(c, "Report a vulnerability"), Programs: ps, Program: ps[0], Values: values,
		Limits: s.cfg.Limits, MaxBody: s.cfg.MaxBody, Errors: db.FieldErrors{}}
	for _, p := range ps {
		if p.Slug == values["program"] {
			f.Program = p
		}
	}
	f.Values["program"] = f.Program.Slug
	f.PolicyURL = "/policy/" + f.Program.Slug
	if f.Key = values["key"]; f.Key == "" {
		if f.Key, err = db.NewSubmissionKey(time.Now()); err != nil {
			return nil, err
		}
	}
	return f, nil
}

func (s *Server) submitReport(c echo.Context) error {
	ctx := c.Request().Context()
	r := c.Request()
	values := map[string]string{"key": r.PostFormValue("key")}
	for _, k := range reportFields {
		values[k] = r.PostFormValue(k)
	}
	asked := values["program"]
	f, err := s.newForm(c, values)
	if err != nil {
		return err
	}
	if asked != "" && f.Program.Slug != asked {
		f.Errors["program"] = "Choose a program from the list."
	}
	in := &db.NewReport{
		ProgramID:     f.Program.ID,
		Source:        db.SourceWeb,
		Title:         values["title"],
		Asset:         values["asset"],
		CWE:           values["cwe"],
		Description:   values["description"],
		Steps:         values["steps"],
		Impact:        values["impact"],
		CVSSVector:    values["cvss"],
		AlreadyPublic: values["already_public"] != "",
		Exploited:     values["exploited"] != "",
		Reporter:      db.Reporter{Name: values["name"], Email: values["email"], Credit: db.Credit(values["credit"])},
		SubmissionKey: validKey(values["key"]),
	}
	if in.Asset == "other" {
		in.Asset = values["asset_other"]
	}
	if key := strings.TrimSpace(values["pgp_key"]); key != "" {
		pk, err := pgp.ParsePublicKey(key, time.Now())
		if errors.Is(err, pgp.ErrBadKey) {
			f.Errors["pgp_key"] = err.Error()
		} else if err != nil {
			return err
		} else {
			in.Reporter.PGPKey, in.Reporter.PGPFingerprint = pk.Armored, pk.Fingerprint
		}
	}
	var why string
	if in.Attachments, why = s.uploadedFiles(c); why != "" {
		f.Errors["attachments"] = why
	}
	for k, v := range in.Validate(s.cfg.Limits) {
		f.Errors[k] = v
	}
	if values["website"] = r.PostFormValue("website"); values["website"] != "" {
		f.Errors["form"] = "This report looks automated and was not sent. If you are a person, clear the field labelled “Leave this field empty” and send it again."
		s.log.Warn("honeypot field filled", "route", c.Path())
	}
	if len(f.Errors) > 0 {
		f.FilesDropped = filesChosen(c)
		return s.render(c, http.StatusUnprocessableEntity, views.ReportFormView(f))
	}
	rc, err := s.store.CreateReport(ctx, in)
	if e := db.AsError(err); e != nil && e.Ref != "" {
		// The same form sent again (ECONFLICT): the researcher is shown the
		// report it became, as a receipt without its code.
		return s.render(c, http.StatusOK, views.ReceiptView(views.Receipt{Page: s.page(c, "Report already received"), Ref: e.Ref, Already: true}))
	} else if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, views.ReceiptView(views.Receipt{Page: s.page(c, "Report received"), Ref: rc.Ref, Code: rc.Code, Email: in.Reporter.Email != ""}))
}

// validKey accepts the form's one-time key only in the shape the form made,
// so a client cannot use it to probe other submissions.
func validKey(k string) string {
	if len(k) != 32 {
		return ""
	}
	if _, err := hex.DecodeString(k); err != nil {
		return ""
	}
	return k
}

package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views"
	"github.com/labstack/echo/v4"
)

// advisoryOrgs lists the organisations whose advisories the user reads.
func (s *Server) advisoryOrgs(c echo.Context) error {
	u := staffUser(c)
	all, err := s.store.Orgs(c.Request().Context())
	if err != nil {
		return err
	}
	m := views.AdvisoryOrgs{StaffPage: s.staffPage(c, "Advisories", "queue")}
	for _, o := range all {
		if u.OrgRole(o) != "" {
			m.Orgs = append(m.Orgs, o)
		}
	}
	return s.render(c, http.StatusOK, views.AdvisoryOrgsView(m))
}

func mayWriteOrg(u *db.User, o *db.Organisation) bool {
	r := u.OrgRole(o)
	return r == db.RoleAdmin || r == db.RoleTriager
}

func (s *Server) orgAdvisories(c echo.Context) error {
	o := orgOf(c)
	list, err := s.store.OrgAdvisories(c.Request().Context(), o.ID)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, views.AdvisoriesView(views.Advisories{StaffPage: s.staffPage(c, "Advisories of "+o.Name, "queue"),
		Org: o, Advisories: list, CanWrite: mayWriteOrg(staffUser(c), o)}))
}

// newAdvisory is the form of a new draft; ?report=REF fills in the report
// and takes its title, weakness, CVSS vector, CVE and disclosure date.
func (s *Server) newAdvisory(c echo.Context) error {
	m := s.advisoryModel(c, nil)
	if ref := c.QueryParam("report"); ref != "" {
		ctx := c.Request().Context()
		if r, err := s.store.ReportByRef(ctx, ref); err == nil && canSeeProgram(staffUser(c), r.ProgramID) && !r.Locked {
			m.Values["reports"], m.Values["title"], m.Values["cwe"], m.Values["cves"] = r.Ref(), r.Title, r.CWE, r.CVEID
			m.Values["cvss3"] = r.CVSSVector
			if strings.HasPrefix(r.CVSSVector, "CVSS:4.0/") {
				m.Values["cvss3"], m.Values["cvss4"] = "", r.CVSSVector
			}
			if d, err := s.store.Details(ctx, r.ID); err == nil && !d.DisclosureAt.IsZero() {
				m.Values["publish_at"] = d.DisclosureAt.UTC().Format(time.RFC3339)
			}
		}
	}
	return s.render(c, http.StatusOK, views.AdvisoryView(m))
}

func (s *Server) advisoryModel(c echo.Context, a *db.Advisory) views.AdvisoryPage {
	o, u := orgOf(c), staffUser(c)
	title := "Draft an advisory"
	m := views.AdvisoryPage{Org: o, Advisory: a, Values: map[string]string{}, Errors: db.FieldErrors{}, CanWrite: mayWriteOrg(u, o)}
	if a != nil {
		title = a.Ident
		m.Values = views.AdvisoryValues(a)
		m.CanApprove = m.CanWrite && a.AuthorID != u.ID && a.EditorID != u.ID
		if a.State.Public() {
			m.PublicURL = s.orgURL(o, "/advisories/"+a.Ident)
		}
		for _, cve := range a.CVEs {
			m.CVEExports = append(m.CVEExports, views.FormatLink{Name: cve, URL: cveStaffURL(o, a, cve)})
		}
	}
	m.StaffPage = s.staffPage(c, title, "queue")
	return m
}

// advisoryInput reads the advisory form.
func advisoryInput(r *http.Request) (*db.AdvisoryInput, db.FieldErrors) {
	f := r.PostFormValue
	in := &db.AdvisoryInput{Title: f("title"), Summary: f("summary"), Details: f("details"), Workarounds: f("workarounds"),
		CVSS3: f("cvss3"), CVSS4: f("cvss4"), CWE: f("cwe"), CVEs: []string{f("cves")}, References: []string{f("references")}}
	errs := db.FieldErrors{}
	for _, line := range strings.Split(f("products"), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		parts := strings.SplitN(line, "|", 4)
		p := db.AffectedProduct{Product: parts[0]}
		if len(parts) > 1 {
			p.Affected = parts[1]
		}
		if len(parts) > 2 {
			p.Fixed = parts[2]
		}
		if len(parts) > 3 {
			p.Ecosystem, p.Package, _ = strings.Cut(strings.TrimSpace(parts[3]), ":")
			if p.Package == "" && p.Ecosystem != "" {
				errs["products"] = "Name a package as ecosystem:name, like npm:acme-portal."
			}
		}
		in.Products = append(in.Products, p)
	}
	for _, line := range strings.Split(f("credits"), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		name, typ, _ := strings.Cut(line, "|")
		in.Credits = append(in.Credits, db.AdvisoryCredit{Name: name, Type: db.CreditType(strings.ToLower(strings.TrimSpace(typ)))})
	}
	if at := strings.TrimSpace(f("publish_at")); at != "" {
		t, err := time.Parse(time.RFC3339, at)
		if err != nil {
			errs["publish_at"] = "Give a moment like 2026-06-01T09:00:00Z, or leave it empty."
		}
		in.PublishAt = t
	}
	return in, errs
}

// formValues keeps what was typed, for the form shown again.
func formValues(r *http.Request, keys ...string) map[string]string {
	v := map[string]string{}
	for _, k := range keys {
		v[k] = r.PostFormValue(k)
	}
	return v
}

var advisoryKeys = []string{"reports", "title", "summary", "details", "workarounds", "products", "cvss3", "cvss4", "cwe", "cves",
	"references", "credits", "publish_at", "change", "version"}

// createAdvisory drafts an advisory from reports the user sees, of the
// route's organisation (db refuses the others).
func (s *Server) createAdvisory(c echo.Context) error {
	r, o, u := c.Request(), orgOf(c), staffUser(c)
	in, errs := advisoryInput(r)
	var ids []int64
	for _, ref := range strings.Fields(r.PostFormValue("reports")) {
		rep, err := s.store.ReportByRef(r.Context(), ref)
		if err != nil || !canSeeProgram(u, rep.ProgramID) {
			errs["reports"] = "No report of this organisation has the reference " + strconv.Quote(ref) + "."
			continue
		}
		ids = append(ids, rep.ID)
	}
	var a *db.Advisory
	var err error = db.Invalid(errs)
	if len(errs) == 0 {
		a, err = s.store.CreateAdvisory(r.Context(), o, ids, in, actor(c))
	} else if fe := in.Validate(); len(fe) > 0 {
		for k, v := range fe {
			errs[k] = v
		}
	}
	if fields := db.ErrorFields(err); fields != nil {
		m := s.advisoryModel(c, nil)
		m.Values, m.Errors = formValues(r, advisoryKeys...), fields
		return s.render(c, errorStatus(err), views.AdvisoryView(m))
	} else if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/orgs/"+url.PathEscape(o.Slug)+"/advisories/"+a.Ident+"?done=saved")
}

// advisoryOf is the route's advisory: :id of the route's organisation,
// else 404 as for one that does not exist.
func (s *Server) advisoryOf(c echo.Context) (*db.Advisory, error) {
	a, err := s.store.AdvisoryByIdent(c.Request().Context(), orgOf(c).ID, c.Param("id"))
	if db.ErrorCode(err) == db.ENOTFOUND {
		return nil, echo.NewHTTPError(http.StatusNotFound)
	}
	return a, err
}

var advisoryNotices = map[string]string{"saved": "Saved.", "submit": "Sent for review: a second person approves it.",
	"return": "Back to draft.", "approve": "Approved.", "withdraw": "Withdrawn.", "revised": "The revision is published."}

func (s *Server) advisoryPage(c echo.Context) error {
	a, err := s.advisoryOf(c)
	if err != nil {
		return err
	}
	m := s.advisoryModel(c, a)
	m.Notice = advisoryNotices[c.QueryParam("done")]
	return s.render(c, http.StatusOK, views.AdvisoryView(m))
}

// saveAdvisory edits a draft, or publishes a revision of a public one.
func (s *Server) saveAdvisory(c echo.Context) error {
	a, err := s.advisoryOf(c)
	if err != nil {
		return err
	}
	r := c.Request()
	in, errs := advisoryInput(r)
	version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if version == 0 {
		version = -1 // a form without one is stale, never "any version"
	}
	done := "saved"
	switch {
	case len(errs) > 0:
		for k, v := range in.Validate() {
			errs[k] = v
		}
		err = db.Invalid(errs)
	case a.State.Public():
		err, done = s.store.ReviseAdvisory(r.Context(), a.ID, version, in, r.PostFormValue("change"), actor(c)), "revised"
	default:
		err = s.store.UpdateAdvisory(r.Context(), a.ID, version, in, actor(c))
	}
	if fields := db.ErrorFields(err); fields != nil {
		m := s.advisoryModel(c, a)
		m.Values, m.Errors = formValues(r, advisoryKeys...), fields
		return s.render(c, errorStatus(err), views.AdvisoryView(m))
	} else if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, advisoryURL(orgOf(c), a)+"?done="+done)
}

func advisoryURL(o *db.Organisation, a *db.Advisory) string {
	return "/orgs/" + url.PathEscape(o.Slug) + "/advisories/" + a.Ident
}

// advisoryStep moves an advisory on: submit for review, back to draft,
// approve (db refuses the author), withdraw.
func (s *Server) advisoryStep(step string) echo.HandlerFunc {
	return func(c echo.Context) error {
		a, err := s.advisoryOf(c)
		if err != nil {
			return err
		}
		r := c.Request()
		version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
		if version == 0 {
			version = -1 // a form without one is stale, never "any version"
		}
		ctx, who := r.Context(), actor(c)
		switch step {
		case "submit":
			err = s.store.SubmitAdvisory(ctx, a.ID, version, who)
		case "return":
			err = s.store.ReturnAdvisory(ctx, a.ID, version, who)
		case "approve":
			_, err = s.store.ApproveAdvisory(ctx, a.ID, version, who)
			if err == nil {
				s.wakePublisher()
			}
		case "withdraw":
			err = s.store.WithdrawAdvisory(ctx, a.ID, version, r.PostFormValue("reason"), who)
		}
		if fields := db.ErrorFields(err); fields != nil {
			m := s.advisoryModel(c, a)
			m.Errors = fields
			return s.render(c, errorStatus(err), views.AdvisoryView(m))
		} else if err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, advisoryURL(orgOf(c), a)+"?done="+step)
	}
}

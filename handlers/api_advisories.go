package handlers

import (
	"net/http"
	"net/url"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/db/publish"
	"github.com/labstack/echo/v4"
)

// The advisories of the JSON API: read-only, every state, to the token
// whose rights have a role in the advisory's organisation (or its parent),
// as the organisation's advisory pages (OrgReader) are to staff.

type apiAdvisoryRow struct {
	ID           string     `json:"id"`
	Organisation string     `json:"organisation"`
	State        string     `json:"state"`
	Title        string     `json:"title"`
	Severity     *string    `json:"severity"`
	CVEs         []string   `json:"cves"`
	Revision     int        `json:"revision"`
	PublishAt    *time.Time `json:"publish_at"`
	PublishedAt  *time.Time `json:"published_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

// apiAdvisories lists the advisories of every organisation the token's
// rights have a role in, newest first per organisation, in any state.
func (s *Server) apiAdvisories(c echo.Context) error {
	errs := db.FieldErrors{}
	for k := range c.QueryParams() {
		errs[k] = "This parameter is not known; see the OpenAPI document."
	}
	if len(errs) > 0 {
		return db.Invalid(errs)
	}
	ctx := c.Request().Context()
	u := staffUser(c)
	orgs, err := s.store.Orgs(ctx)
	if err != nil {
		return err
	}
	out := struct {
		Advisories []apiAdvisoryRow `json:"advisories"`
	}{Advisories: []apiAdvisoryRow{}}
	for _, o := range orgs {
		if u.OrgRole(o) == "" {
			continue
		}
		list, err := s.store.OrgAdvisories(ctx, o.ID)
		if err != nil {
			return err
		}
		for _, a := range list {
			out.Advisories = append(out.Advisories, apiAdvisoryRow{ID: a.Ident, Organisation: o.Slug, State: string(a.State), Title: a.Title,
				Severity: optional(string(a.Severity)), CVEs: nonNil(a.CVEs), Revision: a.Revision, PublishAt: utcTime(a.PublishAt),
				PublishedAt: utcTime(a.PublishedAt), UpdatedAt: a.UpdatedAt.UTC()})
		}
	}
	return c.JSON(http.StatusOK, out)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

type apiProduct struct {
	Product   string  `json:"product"`
	Affected  string  `json:"affected"`
	Fixed     *string `json:"fixed"`
	Ecosystem *string `json:"ecosystem"`
	Package   *string `json:"package"`
}

type apiCredit struct {
	Name         *string `json:"name"`
	Type         string  `json:"type"`
	Declined     bool    `json:"declined"`
	FromReporter bool    `json:"from_reporter"`
}

type apiRevision struct {
	Number  int       `json:"number"`
	At      time.Time `json:"at"`
	Summary string    `json:"summary"`
}

type apiAdvisoryLinks struct {
	Page string `json:"page"`
	CSAF string `json:"csaf"`
	OSV  string `json:"osv"`
}

type apiAdvisory struct {
	ID           string            `json:"id"`
	Version      int64             `json:"version"`
	Organisation string            `json:"organisation"`
	State        string            `json:"state"`
	Title        string            `json:"title"`
	Summary      string            `json:"summary"`
	Details      string            `json:"details"`
	Workarounds  string            `json:"workarounds"`
	Severity     *string           `json:"severity"`
	CVSS3        *string           `json:"cvss3"`
	CVSS3Score   *float64          `json:"cvss3_score"`
	CVSS4        *string           `json:"cvss4"`
	CVSS4Score   *float64          `json:"cvss4_score"`
	CWE          *string           `json:"cwe"`
	CVEs         []string          `json:"cves"`
	References   []string          `json:"references"`
	Author       *string           `json:"author"`
	Approver     *string           `json:"approver"`
	Revision     int               `json:"revision"`
	PublishAt    *time.Time        `json:"publish_at"`
	PublishedAt  *time.Time        `json:"published_at"`
	WithdrawnAt  *time.Time        `json:"withdrawn_at"`
	CreatedAt    time.Time         `json:"created_at"`
	UpdatedAt    time.Time         `json:"updated_at"`
	Reports      []string          `json:"reports"`
	Products     []apiProduct      `json:"products"`
	Credits      []apiCredit       `json:"credits"`
	Revisions    []apiRevision     `json:"revisions"`
	Links        *apiAdvisoryLinks `json:"links"`
}

// apiAdvisory answers the advisory of the request (APIAdvisoryReader) as
// its staff page shows it: every field, the credits with declined ones
// anonymous, the revision history, and the public files once published.
func (s *Server) apiAdvisory(c echo.Context) error {
	a, o := advisoryKeyOf(c), orgOf(c)
	out := apiAdvisory{ID: a.Ident, Version: a.Version, Organisation: o.Slug, State: string(a.State), Title: a.Title, Summary: a.Summary,
		Details: a.Details, Workarounds: a.Workarounds, Severity: optional(string(a.Severity)), CVSS3: optional(a.CVSS3),
		CVSS4: optional(a.CVSS4), CWE: optional(a.CWE), CVEs: nonNil(a.CVEs), References: nonNil(a.References),
		Author: optional(a.Author), Approver: optional(a.Approver), Revision: a.Revision, PublishAt: utcTime(a.PublishAt),
		PublishedAt: utcTime(a.PublishedAt), WithdrawnAt: utcTime(a.WithdrawnAt), CreatedAt: a.CreatedAt.UTC(), UpdatedAt: a.UpdatedAt.UTC(),
		Reports: []string{}, Products: []apiProduct{}, Credits: []apiCredit{}, Revisions: []apiRevision{}}
	if a.CVSS3 != "" {
		v := a.CVSS3Score
		out.CVSS3Score = &v
	}
	if a.CVSS4 != "" {
		v := a.CVSS4Score
		out.CVSS4Score = &v
	}
	for _, r := range a.Reports {
		out.Reports = append(out.Reports, r.Ref)
	}
	for _, p := range a.Products {
		out.Products = append(out.Products, apiProduct{Product: p.Product, Affected: p.Affected, Fixed: optional(p.Fixed),
			Ecosystem: optional(p.Ecosystem), Package: optional(p.Package)})
	}
	for _, cr := range a.Credits {
		k := apiCredit{Type: string(cr.Type), Declined: cr.Declined, FromReporter: cr.ReportID != 0}
		if !cr.Declined {
			k.Name = optional(cr.Name)
		}
		out.Credits = append(out.Credits, k)
	}
	for _, r := range a.Revisions {
		out.Revisions = append(out.Revisions, apiRevision{Number: r.Number, At: r.At.UTC(), Summary: r.Summary})
	}
	if a.State.Public() {
		out.Links = &apiAdvisoryLinks{Page: s.orgURL(o, "/advisories/"+url.PathEscape(a.Ident)), CSAF: s.orgURL(o, publish.CSAFPath(a)),
			OSV: s.orgURL(o, "/advisories/"+url.PathEscape(a.Ident)+"/osv.json")}
	}
	return c.JSON(http.StatusOK, out)
}

const advisoryKey = "advisory"

// advisoryKeyOf is the advisory of a request behind APIAdvisoryReader.
func advisoryKeyOf(c echo.Context) *db.Advisory {
	a, _ := c.Get(advisoryKey).(*db.Advisory)
	return a
}

// requireAdvisory loads the advisory named by :id (its identifier, unique
// across the portal) and applies the OrgReader decision to its
// organisation: 404 without a role there, as for one that does not exist.
func (s *Server) requireAdvisory(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		a, err := s.store.FindAdvisory(ctx, c.Param("id"))
		if db.ErrorCode(err) == db.ENOTFOUND {
			return echo.NewHTTPError(http.StatusNotFound)
		} else if err != nil {
			return err
		}
		o, err := s.store.OrgByID(ctx, a.OrgID)
		if err != nil {
			return err
		}
		if err := s.checkOrgRole(c, o, false); err != nil {
			return err
		}
		c.Set(advisoryKey, a)
		return next(c)
	}
}

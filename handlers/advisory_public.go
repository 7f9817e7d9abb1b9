package handlers

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/db/publish"
	"github.com/disclose/disclose/views"
	"github.com/labstack/echo/v4"
)

func (s *Server) wakePublisher() {
	if s.cfg.WakePublisher != nil {
		s.cfg.WakePublisher()
	}
}

// publicAdvisories lists the host organisation's published advisories,
// newest first.
func (s *Server) publicAdvisories(c echo.Context) error {
	o, err := s.hostOrg(c)
	if err != nil {
		return err
	}
	list, err := s.store.PublicAdvisories(c.Request().Context(), o.ID, 0)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, views.PublicAdvisoriesView(views.PublicAdvisories{Page: s.page(c, "Security advisories"), Org: o, Advisories: list}))
}

// publicAdvisory is one published advisory of the host organisation; a
// draft, a scheduled one and another organisation's are 404 alike.
func (s *Server) publicAdvisory(c echo.Context) error {
	o, err := s.hostOrg(c)
	if err != nil {
		return err
	}
	a, err := s.store.PublicAdvisory(c.Request().Context(), o.ID, c.Param("id"))
	if db.ErrorCode(err) == db.ENOTFOUND {
		return echo.NewHTTPError(http.StatusNotFound)
	} else if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, views.PublicAdvisoryView(views.PublicAdvisory{Page: s.page(c, a.Ident+": "+a.Title), Org: o, Advisory: a,
		Formats: advisoryFormats(a)}))
}

// acknowledgements is the host organisation's hall of fame: the credits of
// its published advisories, none a reporter declined.
func (s *Server) acknowledgements(c echo.Context) error {
	o, err := s.hostOrg(c)
	if err != nil {
		return err
	}
	list, err := s.store.Acknowledgements(c.Request().Context(), o.ID)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, views.AcknowledgementsView(views.Acknowledgements{Page: s.page(c, "Acknowledgements"), Org: o, Entries: list}))
}

// atomFeed is RFC 4287's feed, as much of it as the advisories fill.
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Author  atomAuthor  `xml:"author"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
}

type atomAuthor struct {
	Name string `xml:"name"`
}

type atomEntry struct {
	ID        string     `xml:"id"`
	Title     string     `xml:"title"`
	Updated   string     `xml:"updated"`
	Published string     `xml:"published"`
	Links     []atomLink `xml:"link"`
	Summary   string     `xml:"summary"`
}

// advisoryFeed is the Atom feed of the host organisation's advisories.
func (s *Server) advisoryFeed(c echo.Context) error {
	o, err := s.hostOrg(c)
	if err != nil {
		return err
	}
	list, err := s.store.PublicAdvisories(c.Request().Context(), o.ID, 50)
	if err != nil {
		return err
	}
	feed := atomFeed{ID: s.orgURL(o, "/advisories"), Title: "Security advisories of " + o.Name, Author: atomAuthor{Name: o.Name},
		Updated: o.CreatedAt.UTC().Format(time.RFC3339),
		Links:   []atomLink{{Href: s.orgURL(o, "/advisories.atom"), Rel: "self", Type: "application/atom+xml"}, {Href: s.orgURL(o, "/advisories"), Rel: "alternate", Type: "text/html"}}}
	var newest time.Time
	for _, a := range list {
		changed := a.LastChange()
		if changed.After(newest) {
			newest = changed
		}
		title := a.Ident + ": " + a.Title
		if a.State == db.AdvisoryWithdrawn {
			title += " (withdrawn)"
		}
		feed.Entries = append(feed.Entries, atomEntry{ID: s.orgURL(o, "/advisories/"+a.Ident), Title: title,
			Updated: changed.UTC().Format(time.RFC3339), Published: a.PublishedAt.UTC().Format(time.RFC3339),
			Links: []atomLink{{Href: s.orgURL(o, "/advisories/"+a.Ident), Rel: "alternate", Type: "text/html"}}, Summary: a.Summary})
	}
	if !newest.IsZero() {
		feed.Updated = newest.UTC().Format(time.RFC3339)
	}
	out, err := xml.MarshalIndent(feed, "", "  ")
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return c.Blob(http.StatusOK, "application/atom+xml; charset=utf-8", append([]byte(xml.Header), out...))
}

// statusCredit is the reporter's answer to a credit proposed for the
// session's report: a name, or declined. A credit of another report is 404.
func (s *Server) statusCredit(c echo.Context) error {
	r, req := reportOf(c), c.Request()
	id, _ := strconv.ParseInt(req.PostFormValue("credit"), 10, 64)
	err := s.store.SetReporterCredit(req.Context(), r.ID, id, req.PostFormValue("name"), req.PostFormValue("decline") != "")
	if db.ErrorCode(err) == db.ENOTFOUND {
		return echo.NewHTTPError(http.StatusNotFound)
	} else if fields := db.ErrorFields(err); fields != nil {
		return s.renderStatus(c, errorStatus(err), r, "", fields, false)
	} else if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/status?credit=1")
}

// advisoryFormats are the machine-readable documents of a public advisory.
func advisoryFormats(a *db.Advisory) []views.FormatLink {
	out := []views.FormatLink{{Name: "CSAF", URL: publish.CSAFPath(a)}}
	if publish.HasOSV(a) {
		out = append(out, views.FormatLink{Name: "OSV", URL: "/advisories/" + a.Ident + "/osv.json"})
	}
	for _, cve := range a.CVEs {
		out = append(out, views.FormatLink{Name: "CVE JSON (" + cve + ")", URL: cvePublicURL(a, cve)})
	}
	return out
}

// publicOSV is the OSV record of a published advisory that names a
// package of an OSV ecosystem; 404 otherwise, as for any unpublished one.
func (s *Server) publicOSV(c echo.Context) error {
	o, err := s.hostOrg(c)
	if err != nil {
		return err
	}
	a, err := s.store.PublicAdvisory(c.Request().Context(), o.ID, c.Param("id"))
	if db.ErrorCode(err) == db.ENOTFOUND || (err == nil && !publish.HasOSV(a)) {
		return echo.NewHTTPError(http.StatusNotFound)
	} else if err != nil {
		return err
	}
	doc, err := publish.OSV(a, s.site(o))
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return c.Blob(http.StatusOK, "application/json", doc)
}

package handlers

import (
	"github.com/disclose/disclose/db"
	"github.com/labstack/echo/v4"
)

// hostOrgKey is where hostOrg keeps the request's organisation.
const hostOrgKey = "host_org"

// errNoPrograms answers the form of an organisation that has no program yet.
var errNoPrograms = db.Errorf(db.ENOTFOUND, "This organisation does not take reports here yet.")

// hostOrg is the organisation whose public pages the request's Host header
// asks for: the one the host name maps to, else the default organisation.
// The Host header is the client's to choose; that is harmless because it
// only picks which organisation's public pages answer (a spoofed one shows
// what a browser at that host name would see), and everything a public
// page reads or writes is then limited to that organisation: its programs,
// its reports for the status page, its security.txt.
func (s *Server) hostOrg(c echo.Context) (*db.Organisation, error) {
	if o, ok := c.Get(hostOrgKey).(*db.Organisation); ok {
		return o, nil
	}
	o, err := s.store.OrgForHost(c.Request().Context(), c.Request().Host)
	if err != nil {
		return nil, err
	}
	c.Set(hostOrgKey, o)
	return o, nil
}

// hostPrograms are the active programs of the request's organisation, its
// default one first.
func (s *Server) hostPrograms(c echo.Context) (*db.Organisation, []*db.Program, error) {
	o, err := s.hostOrg(c)
	if err != nil {
		return nil, nil, err
	}
	ps, err := s.store.OrgPrograms(c.Request().Context(), o.ID)
	return o, ps, err
}

// ofHostOrg says whether a program belongs to the request's organisation.
func (s *Server) ofHostOrg(c echo.Context, programID int64) (bool, error) {
	o, err := s.hostOrg(c)
	if err != nil {
		return false, err
	}
	p, err := s.store.ProgramByID(c.Request().Context(), programID)
	if err != nil {
		return false, err
	}
	return p.OrgID == o.ID, nil
}

// orgURL makes an absolute URL of the organisation's public pages: under
// its first host name when it has one (the scheme of the base URL), under
// the base URL for the default organisation and any without a host.
func (s *Server) orgURL(o *db.Organisation, path string) string {
	if o.ID == db.DefaultOrgID || len(o.Hosts) == 0 {
		return s.absURL(path)
	}
	return s.cfg.BaseURL.Scheme + "://" + o.Hosts[0] + path
}

// orgContact is the security address of an organisation's public pages: its
// own, or for the default organisation the portal's.
func (s *Server) orgContact(o *db.Organisation) string {
	if o.ContactEmail != "" || o.ID != db.DefaultOrgID {
		return o.ContactEmail
	}
	return s.cfg.SecurityEmail
}

// orgLanguages is an organisation's security.txt Preferred-Languages.
func (s *Server) orgLanguages(o *db.Organisation) string {
	if o.PreferredLanguages != "" || o.ID != db.DefaultOrgID {
		return o.PreferredLanguages
	}
	return s.cfg.PreferredLanguages
}

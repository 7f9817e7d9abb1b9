package handlers

import (
	"net/http"

	"github.com/disclose/disclose/views"
	"github.com/labstack/echo/v4"
)

// staffPage fills the dashboard layout for the signed-in user.
func (s *Server) staffPage(c echo.Context, title, section string) views.StaffPage {
	p := views.StaffPage{Page: s.page(c, title), User: staffUser(c), Section: section}
	if p.IsAdmin() {
		p.Problems = s.cfg.Problems.List()
	}
	return p
}

func (s *Server) adminHome(c echo.Context) error {
	return s.render(c, http.StatusOK, views.AdminHomeView(s.staffPage(c, "Admin", "admin")))
}

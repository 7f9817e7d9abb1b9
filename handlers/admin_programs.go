package handlers

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views"
	"github.com/labstack/echo/v4"
)

func (s *Server) adminPrograms(c echo.Context) error {
	ps, err := s.store.Programs(c.Request().Context())
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, views.AdminProgramsView(views.AdminPrograms{StaffPage: s.staffPage(c, "Programs", "admin"), Programs: ps}))
}

func (s *Server) renderProgram(c echo.Context, status int, p *db.Program, members []int64, errs db.FieldErrors, notice string) error {
	users, err := s.store.Users(c.Request().Context())
	if err != nil {
		return err
	}
	title := p.Name
	if p.ID == 0 {
		title = "New program"
	}
	return s.render(c, status, views.AdminProgramView(views.AdminProgram{StaffPage: s.staffPage(c, title, "admin"), Program: p,
		Users: users, Members: members, Errors: errs, Notice: notice}))
}

func (s *Server) newProgram(c echo.Context) error {
	return s.renderProgram(c, http.StatusOK, db.NewProgramDefaults(), nil, nil, "")
}

func (s *Server) editProgram(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	p, err := s.store.ProgramByID(c.Request().Context(), id)
	if err != nil {
		return err
	}
	members, err := s.store.ProgramMembers(c.Request().Context(), id)
	if err != nil {
		return err
	}
	notice := ""
	if c.QueryParam("saved") == "1" {
		notice = "Saved."
	}
	return s.renderProgram(c, http.StatusOK, p, members, nil, notice)
}

// saveProgram reads the program form field by field; a number that does not
// parse is reported next to its field.
func (s *Server) saveProgram(c echo.Context) error {
	r := c.Request()
	p := db.NewProgramDefaults()
	if c.Param("id") != "" {
		id, err := pathID(c)
		if err != nil {
			return err
		}
		if p, err = s.store.ProgramByID(r.Context(), id); err != nil {
			return err
		}
	}
	p.Name, p.Slug, p.Prefix = r.PostFormValue("name"), r.PostFormValue("slug"), r.PostFormValue("prefix")
	p.Email, p.Policy = r.PostFormValue("email"), strings.ReplaceAll(r.PostFormValue("policy"), "\r\n", "\n")
	p.Scope = strings.ReplaceAll(r.PostFormValue("scope"), "\r\n", "\n")
	errs := db.FieldErrors{}
	for _, d := range p.DeadlineFields() {
		n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue(d.Name)))
		if err != nil {
			errs[d.Name] = "Enter a whole number of days."
			continue
		}
		*d.Days = n
	}
	members := formIDs(c, "member")
	if len(errs) > 0 {
		for k, v := range p.Validate() {
			if errs[k] == "" {
				errs[k] = v
			}
		}
		return s.renderProgram(c, http.StatusUnprocessableEntity, p, members, errs, "")
	}
	created := p.ID == 0
	saved, err := s.store.SaveProgram(r.Context(), p, members, actor(c))
	if ferrs, ok := formErrors(err); ok {
		return s.renderProgram(c, errorStatus(err), p, members, ferrs, "")
	} else if err != nil {
		return err
	}
	if created {
		return c.Redirect(http.StatusSeeOther, "/admin/programs/"+strconv.FormatInt(saved.ID, 10)+"?saved=1")
	}
	return s.renderProgram(c, http.StatusOK, saved, members, nil, "Saved.")
}

package handlers

import (
	"net/http"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views"
	"github.com/labstack/echo/v4"
)

// notificationsForm shows the signed-in user's mail preferences.
func (s *Server) notificationsForm(c echo.Context) error {
	u := staffUser(c)
	p, err := s.store.NotifyPrefsOf(c.Request().Context(), u.ID)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, views.NotificationsView(views.Notifications{StaffPage: s.staffPage(c, "Notifications", ""),
		Prefs: p, Saved: c.QueryParam("saved") == "1"}))
}

// saveNotifications stores the user's own choice; nobody sets another's.
func (s *Server) saveNotifications(c echo.Context) error {
	u := staffUser(c)
	r := c.Request()
	p := &db.NotifyPrefs{UserID: u.ID, Mode: db.NotifyMode(r.PostFormValue("mode")), IncludeTitle: r.PostFormValue("title") == "on"}
	if !p.Mode.Valid() {
		return s.render(c, http.StatusUnprocessableEntity, views.NotificationsView(views.Notifications{StaffPage: s.staffPage(c, "Notifications", ""),
			Prefs: &db.NotifyPrefs{UserID: u.ID, Mode: db.NotifyEvery, IncludeTitle: p.IncludeTitle}, Error: "Choose every event, a daily digest or none."}))
	}
	if err := s.store.SetNotifyPrefs(r.Context(), p, actor(c)); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/account/notifications?saved=1")
}

package handlers

import (
	"fmt"
	"net/http"
	"time"

	"github.com/disclose/disclose/views"
	"github.com/labstack/echo/v4"
)

// adminReview is the account review: every account with its instance
// role, its role in each organisation (and pending invitations), programs,
// second factor, last sign-in and status, inactive ones flagged.
func (s *Server) adminReview(c echo.Context) error {
	ctx := c.Request().Context()
	users, err := s.store.ReviewAccounts(ctx)
	if err != nil {
		return err
	}
	ps, err := s.store.Programs(ctx)
	if err != nil {
		return err
	}
	invites, err := s.store.PendingInvites(ctx)
	if err != nil {
		return err
	}
	m := views.AdminReview{StaffPage: s.staffPage(c, "Account review", "admin"), Users: users, Programs: ps, Invites: invites,
		InactiveAfter: days(s.store.Auth.InactiveAfter), AutoDisable: s.cfg.InactiveDisable}
	for _, u := range users {
		if u.Inactive {
			m.Flagged++
		}
	}
	switch c.QueryParam("done") {
	case "":
	case "0":
		m.Notice = "No account was disabled."
	default:
		m.Notice = "Disabled " + c.QueryParam("done") + " inactive account(s); their sessions ended."
	}
	return s.render(c, http.StatusOK, views.AdminReviewView(m))
}

// disableInactive disables the accounts the review flags now.
func (s *Server) disableInactive(c echo.Context) error {
	res, err := s.store.DisableInactive(c.Request().Context(), actor(c))
	if err != nil {
		return err
	}
	s.log.Info("inactive accounts disabled", "count", len(res.Disabled), "kept", len(res.Kept), "by", staffUser(c).ID)
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/review?done=%d", len(res.Disabled)))
}

// days says a duration in whole days when it is one ("90 days").
func days(d time.Duration) string {
	if d > 0 && d%(24*time.Hour) == 0 {
		if n := d / (24 * time.Hour); n != 1 {
			return fmt.Sprintf("%d days", n)
		}
		return "1 day"
	}
	return d.String()
}

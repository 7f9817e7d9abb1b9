package handlers

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views"
	"github.com/labstack/echo/v4"
)

// deliveriesShown is how many recent deliveries each webhook lists.
const deliveriesShown = 20

func (s *Server) webhooksModel(c echo.Context, programID int64) (*views.AdminWebhooks, error) {
	ctx := c.Request().Context()
	p, err := s.store.ProgramByID(ctx, programID)
	if err != nil {
		return nil, err
	}
	hooks, err := s.store.Webhooks(ctx, programID)
	if err != nil {
		return nil, err
	}
	m := &views.AdminWebhooks{StaffPage: s.staffPage(c, "Webhooks of "+p.Name, "admin"), Program: p, Org: orgOf(c),
		SiteAdmin: staffUser(c).IsSiteAdmin(), Errors: db.FieldErrors{},
		Values: map[string]string{"format": string(db.WebhookGeneric)}, Deliveries: map[int64][]*db.Delivery{}}
	for _, h := range hooks {
		ds, err := s.store.Deliveries(ctx, h.ID, deliveriesShown)
		if err != nil {
			return nil, err
		}
		m.Webhooks = append(m.Webhooks, h)
		m.Deliveries[h.ID] = ds
	}
	return m, nil
}

func (s *Server) adminWebhooks(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	m, err := s.webhooksModel(c, id)
	if err != nil {
		return err
	}
	switch c.QueryParam("done") {
	case "saved":
		m.Notice = "Saved."
	case "deleted":
		m.Notice = "Webhook deleted."
	case "retried":
		m.Notice = "The delivery will be sent again."
	}
	return s.render(c, http.StatusOK, views.AdminWebhooksView(*m))
}

// webhookForm reads the webhook fields one by one; a URL naming an address
// outside the operator's webhook reach gets a field error. Incident clocks
// are the organisation's: only an admin of the program's organisation may
// turn them on (the route's rule already asks that; checked here again so
// that a looser rule on a future route cannot open them).
func (s *Server) webhookForm(c echo.Context, programID int64) *db.NewWebhook {
	r := c.Request()
	o := orgOf(c)
	return &db.NewWebhook{ProgramID: programID, URL: r.PostFormValue("url"), Format: db.WebhookFormat(r.PostFormValue("format")),
		IncludeContent: r.PostFormValue("content") == "on", Enabled: r.PostFormValue("enabled") == "on",
		IncidentClocks: r.PostFormValue("clocks") == "on" && o != nil && o.ID != 0 && staffUser(c).Manages(o), Reach: s.cfg.WebhookReach}
}

// createWebhook adds a webhook and shows its secret once on the page that
// follows (it stays readable to admins on the webhook list, since receivers
// need it to check signatures).
func (s *Server) createWebhook(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	in := s.webhookForm(c, id)
	_, err = s.store.CreateWebhook(c.Request().Context(), in, actor(c))
	if fields := db.ErrorFields(err); fields != nil {
		m, merr := s.webhooksModel(c, id)
		if merr != nil {
			return merr
		}
		m.Errors = fields
		m.Values = map[string]string{"url": in.URL, "format": string(in.Format)}
		m.ValueContent, m.ValueEnabled, m.ValueClocks = in.IncludeContent, in.Enabled, in.IncidentClocks
		return s.render(c, errorStatus(err), views.AdminWebhooksView(*m))
	} else if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/programs/%d/webhooks?done=saved", id))
}

// webhookOf loads the webhook named in the path.
func (s *Server) webhookOf(c echo.Context) (*db.Webhook, error) {
	id, err := pathID(c)
	if err != nil {
		return nil, err
	}
	return s.store.WebhookByID(c.Request().Context(), id)
}

func (s *Server) updateWebhook(c echo.Context) error {
	h, err := s.webhookOf(c)
	if err != nil {
		return err
	}
	in := s.webhookForm(c, h.ProgramID)
	err = s.store.UpdateWebhook(c.Request().Context(), h.ID, in, actor(c))
	if fields := db.ErrorFields(err); fields != nil {
		m, merr := s.webhooksModel(c, h.ProgramID)
		if merr != nil {
			return merr
		}
		m.EditID, m.EditErrors = h.ID, fields
		return s.render(c, errorStatus(err), views.AdminWebhooksView(*m))
	} else if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/programs/%d/webhooks?done=saved", h.ProgramID))
}

func (s *Server) deleteWebhook(c echo.Context) error {
	h, err := s.webhookOf(c)
	if err != nil {
		return err
	}
	if err := s.store.DeleteWebhook(c.Request().Context(), h.ID, actor(c)); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/programs/%d/webhooks?done=deleted", h.ProgramID))
}

// retryDelivery puts a failed delivery of the webhook in the path back in
// the queue; a delivery of another webhook is not found.
func (s *Server) retryDelivery(c echo.Context) error {
	h, err := s.webhookOf(c)
	if err != nil {
		return err
	}
	did, err := strconv.ParseInt(c.Param("delivery"), 10, 64)
	if err != nil || did <= 0 {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	ds, err := s.store.Deliveries(c.Request().Context(), h.ID, deliveriesShown)
	if err != nil {
		return err
	}
	found := false
	for _, d := range ds {
		found = found || d.ID == did
	}
	if !found {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	if err := s.store.RetryDelivery(c.Request().Context(), did, actor(c)); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/programs/%d/webhooks?done=retried", h.ProgramID))
}

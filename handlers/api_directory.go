package handlers

import (
	"net/http"
	"strconv"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/labstack/echo/v4"
)

type apiOrg struct {
	Slug   string   `json:"slug"`
	Name   string   `json:"name"`
	Parent *string  `json:"parent"`
	Hosts  []string `json:"hosts"`
}

type apiProgram struct {
	Slug         string `json:"slug"`
	Name         string `json:"name"`
	Prefix       string `json:"prefix"`
	Organisation string `json:"organisation"`
	Default      bool   `json:"default"`
}

// apiPrograms lists the programs the token's rights see (the queue's
// program list, visibleProgramList).
func (s *Server) apiPrograms(c echo.Context) error {
	programs, err := s.visibleProgramList(c)
	if err != nil {
		return err
	}
	orgs, err := s.store.Orgs(c.Request().Context())
	if err != nil {
		return err
	}
	slugs := map[int64]string{}
	for _, o := range orgs {
		slugs[o.ID] = o.Slug
	}
	out := struct {
		Programs []apiProgram `json:"programs"`
	}{Programs: []apiProgram{}}
	for _, p := range programs {
		out.Programs = append(out.Programs, apiProgram{Slug: p.Slug, Name: p.Name, Prefix: p.Prefix, Organisation: slugs[p.OrgID], Default: p.IsDefault})
	}
	return c.JSON(http.StatusOK, out)
}

// apiOrgs lists the organisations whose programs the token's rights see
// (site admins: all), with the parent of each.
func (s *Server) apiOrgs(c echo.Context) error {
	u := staffUser(c)
	programs, err := s.visibleProgramList(c)
	if err != nil {
		return err
	}
	orgs, err := s.store.Orgs(c.Request().Context())
	if err != nil {
		return err
	}
	seen := map[int64]bool{}
	for _, p := range programs {
		seen[p.OrgID] = true
	}
	slugs := map[int64]string{}
	for _, o := range orgs {
		slugs[o.ID] = o.Slug
	}
	out := struct {
		Organisations []apiOrg `json:"organisations"`
	}{Organisations: []apiOrg{}}
	for _, o := range orgs {
		if !u.IsSiteAdmin() && !seen[o.ID] {
			continue
		}
		a := apiOrg{Slug: o.Slug, Name: o.Name, Hosts: append([]string{}, o.Hosts...)}
		if o.ParentID != 0 {
			a.Parent = optional(slugs[o.ParentID])
		}
		out.Organisations = append(out.Organisations, a)
	}
	return c.JSON(http.StatusOK, out)
}

type apiAuditEntry struct {
	ID         int64   `json:"id"`
	At         string  `json:"at"`
	ActorID    *int64  `json:"actor_id"`
	Actor      string  `json:"actor"`
	ClientAddr *string `json:"client_addr"`
	Action     string  `json:"action"`
	Target     string  `json:"target"`
	Detail     string  `json:"detail"`
	PrevHash   string  `json:"prev_hash"`
	Hash       string  `json:"hash"`
}

var apiAuditParams = map[string]bool{"actor": true, "action": true, "target": true, "from": true, "to": true, "cursor": true, "limit": true}

// apiAudit is the audit log, newest first, with the filters of the admin
// page; the cursor is the id below which the next page starts.
func (s *Server) apiAudit(c echo.Context) error {
	q := c.QueryParams()
	errs := db.FieldErrors{}
	for k := range q {
		if !apiAuditParams[k] {
			errs[k] = "This parameter is not known; see the OpenAPI document."
		}
	}
	f := db.AuditFilter{Actor: q.Get("actor"), Action: q.Get("action"), Target: q.Get("target"), Limit: 100}
	for _, d := range []struct {
		name string
		to   *time.Time
		add  int
	}{{"from", &f.From, 0}, {"to", &f.To, 1}} {
		if v := q.Get(d.name); v != "" {
			t, err := time.Parse("2006-01-02", v)
			if err != nil {
				errs[d.name] = "Dates are YYYY-MM-DD."
			}
			*d.to = t.AddDate(0, 0, d.add)
		}
	}
	if v := q.Get("cursor"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			errs["cursor"] = "This cursor is not one the audit log gave."
		}
		f.Before = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			errs["limit"] = "Ask for 1 to 500 entries."
		}
		f.Limit = n
	}
	if len(errs) > 0 {
		return db.Invalid(errs)
	}
	page, err := s.store.ListAudit(c.Request().Context(), f)
	if err != nil {
		return err
	}
	out := struct {
		Entries    []apiAuditEntry `json:"entries"`
		NextCursor *string         `json:"next_cursor"`
	}{Entries: []apiAuditEntry{}}
	for _, e := range page.Entries {
		a := apiAuditEntry{ID: e.ID, At: e.At, Actor: e.Actor, ClientAddr: optional(e.ClientAddr), Action: e.Action, Target: e.Target,
			Detail: e.Detail, PrevHash: e.PrevHash, Hash: e.Hash}
		if e.ActorID != 0 {
			id := e.ActorID
			a.ActorID = &id
		}
		out.Entries = append(out.Entries, a)
	}
	if page.Next != 0 {
		out.NextCursor = optional(strconv.FormatInt(page.Next, 10))
	}
	return c.JSON(http.StatusOK, out)
}

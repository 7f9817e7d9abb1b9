package handlers

import (
	"net/http"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views"
	"github.com/labstack/echo/v4"
)

// triageQueue shows one page of the queue. The filter lives in the URL, so
// a view can be bookmarked and shared; a bad field is shown next to it and
// the rest of the filter still applies.
func (s *Server) triageQueue(c echo.Context) error {
	ctx := c.Request().Context()
	u := staffUser(c)
	params := db.QueueParamsFrom(c.QueryParams())
	m := views.TriageQueue{StaffPage: s.staffPage(c, "Queue", "queue"), Params: params, CanWrite: mayWrite(u),
		Now: time.Now().UTC(), Errors: db.FieldErrors{}}
	f, err := s.store.ParseQueueParams(ctx, params, u.ID)
	status := http.StatusOK
	if fields := db.ErrorFields(err); fields != nil {
		m.Errors, status = fields, errorStatus(err)
	} else if err != nil {
		return err
	}
	if !s.scopeQueue(u, &f) {
		// A program the user is not in reads as unknown, like a wrong slug.
		m.Errors["program"], status = "Choose a program from the list.", http.StatusUnprocessableEntity
	}
	m.Incidents = f.Incidents.Any()
	if m.Queue, err = s.store.Queue(ctx, f); err != nil {
		return err
	}
	if st, ok := s.sealedIndex(); ok && u.IsSiteAdmin() && (st.State == db.SealedIndexBuilding || st.State == db.SealedIndexFailed) {
		m.SealedIndex = &st // the numbers count every program's reports: admins only
	}
	if m.Programs, err = s.visibleProgramList(c); err != nil {
		return err
	}
	users, err := s.store.Users(ctx)
	if err != nil {
		return err
	}
	for _, su := range users {
		if !su.Disabled && s.mayAssignTo(u, su) {
			m.Staff = append(m.Staff, su)
		}
	}
	return s.render(c, status, views.TriageQueueView(m))
}

// visiblePrograms is the queue's program scope of u: nil (every program)
// for site admins, the programs u's memberships reach otherwise.
func visiblePrograms(u *db.User) []int64 {
	if u.IsSiteAdmin() {
		return nil
	}
	return append([]int64{}, u.ProgramIDs...)
}

// scopeQueue restricts a queue filter (queue page, exports) to what u may
// see. It reports false when the filter names a program u is not in; the
// caller answers as for an unknown program.
func (s *Server) scopeQueue(u *db.User, f *db.QueueFilter) bool {
	f.Visible = visiblePrograms(u)
	f.Incidents = incidentScope(u) // incident_queue.go
	if f.ProgramID != 0 && !canSeeProgram(u, f.ProgramID) {
		f.ProgramID = 0
		return false
	}
	return true
}

// mayAssignTo says whether the assignee filter may name other to u: a
// site admin sees every colleague who may work some report, others only
// site admins and those who may work a program u sees, so the staff of one
// program or organisation (a team, a client) are not listed to another's.
func (s *Server) mayAssignTo(u, other *db.User) bool {
	if other.IsSiteAdmin() {
		return true
	}
	for _, p := range other.ProgramIDs {
		if other.MayWrite(p) && canSeeProgram(u, p) {
			return true
		}
	}
	return false
}

// visibleProgramList is the programs the signed-in user can see.
func (s *Server) visibleProgramList(c echo.Context) ([]*db.Program, error) {
	all, err := s.store.Programs(c.Request().Context())
	if err != nil {
		return nil, err
	}
	u := staffUser(c)
	var out []*db.Program
	for _, p := range all {
		if canSeeProgram(u, p.ID) {
			out = append(out, p)
		}
	}
	return out, nil
}

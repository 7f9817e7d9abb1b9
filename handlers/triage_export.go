package handlers

import (
	"bufio"
	"fmt"
	"net/http"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/db/export"
	"github.com/labstack/echo/v4"
)

// triageExport streams the reports of the queue's current filter (every
// page) as CSV or JSON download: every field, the timeline with internal
// notes, attachment metadata. Exports are audited.
func (s *Server) triageExport(format string) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		u := staffUser(c)
		params := db.QueueParamsFrom(c.QueryParams())
		params.Page = ""
		f, err := s.store.ParseQueueParams(ctx, params, u.ID)
		if fields := db.ErrorFields(err); fields != nil {
			return echo.NewHTTPError(http.StatusBadRequest, "The export filter is not valid: "+firstError(fields))
		} else if err != nil {
			return err
		}
		if !s.scopeQueue(u, &f) {
			return echo.NewHTTPError(http.StatusNotFound)
		}
		// Exports are a writer's: only the programs u may change.
		if f.Visible = u.WritablePrograms(); f.ProgramID != 0 && !u.MayWrite(f.ProgramID) {
			return echo.NewHTTPError(http.StatusNotFound)
		}
		if f.Sort == db.SortRelevance {
			f.Sort = db.SortNewest
		}
		name := fmt.Sprintf("disclose-reports-%s.%s", time.Now().UTC().Format("20060102-150405"), format)
		h := c.Response().Header()
		h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
		h.Set("Cache-Control", "no-store")
		if format == "csv" {
			h.Set("Content-Type", "text/csv; charset=utf-8")
		} else {
			h.Set("Content-Type", "application/json; charset=utf-8")
		}
		// The audit row comes first: an export that fails half-way has
		// still carried reports out.
		if err := s.store.AuditExport(ctx, actor(c), format, -1, params.String()); err != nil {
			return err
		}
		c.Response().WriteHeader(http.StatusOK)
		w := bufio.NewWriterSize(c.Response(), 64<<10)
		var n int
		if format == "csv" {
			x, err := export.NewCSV(w)
			if err == nil {
				if n, err = s.store.ExportReports(ctx, f, x.Write); err == nil {
					err = x.Close()
				}
			}
			if err != nil {
				s.logFailure(c, "export failed", "format", format, "error", err)
				return nil // the status is sent; the truncated file shows it
			}
		} else {
			x := export.NewJSON(w)
			if n, err = s.store.ExportReports(ctx, f, x.Write); err == nil {
				err = x.Close()
			}
			if err != nil {
				s.logFailure(c, "export failed", "format", format, "error", err)
				return nil
			}
		}
		s.log.Info("export", "format", format, "reports", n, "user_id", u.ID)
		return w.Flush()
	}
}

func firstError(errs db.FieldErrors) string {
	for _, e := range []string{"state", "program", "severity", "assignee", "source", "deadline", "sort", "page"} {
		if m, ok := errs[e]; ok {
			return m
		}
	}
	return "check the filter."
}

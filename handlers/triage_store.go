package handlers

import (
	"context"
	"time"

	"github.com/disclose/disclose/db"
)

// TriageStore is what the queue, the report page and its actions need from
// the database.
type TriageStore interface {
	Queue(ctx context.Context, f db.QueueFilter) (*db.Queue, error)
	ParseQueueParams(ctx context.Context, p db.QueueParams, me int64) (db.QueueFilter, error)
	ReportByRef(ctx context.Context, ref string) (*db.Report, error)
	Details(ctx context.Context, reportID int64) (*db.ReportDetails, error)
	Deadlines(ctx context.Context, reportID int64) ([]db.Deadline, error)
	SimilarReports(ctx context.Context, r *db.Report, limit int) ([]*db.SimilarReport, error)
	Assignees(ctx context.Context, programID int64) ([]*db.User, error)

	Reply(ctx context.Context, reportID, version int64, actor db.Actor, body string, files []db.NewAttachment, lim db.Limits) error
	AddNote(ctx context.Context, reportID, version int64, actor db.Actor, body string, files []db.NewAttachment, lim db.Limits) error
	ChangeState(ctx context.Context, reportID, version int64, actor db.Actor, ch db.StateChange) error
	Assign(ctx context.Context, reportID, version int64, actor db.Actor, assigneeID int64) error
	EditFields(ctx context.Context, reportID, version int64, actor db.Actor, in db.FieldEdit) error

	ExportReports(ctx context.Context, f db.QueueFilter, fn func(*db.ExportedReport) error) (int, error)
	AuditExport(ctx context.Context, actor db.Actor, format string, n int, filter string) error
	Metrics(ctx context.Context, from, to time.Time, visible []int64) (*db.Metrics, error)
}

package db

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// EvidenceSink receives the files of an evidence bundle, one after the
// other: a zip stream for the browser, a directory for the CLI. Names are
// relative slash paths made here from ids and cleaned file names.
type EvidenceSink interface {
	Create(name string) (io.WriteCloser, error)
}

// EvidenceIncident is incident.json of a bundle.
type EvidenceIncident struct {
	Incident    *Incident
	Reports     []LinkedReport
	Obligations []*Obligation
	Timeline    []IncidentEvent
}

// EvidenceReport is reports/REF/report.json of a bundle.
type EvidenceReport struct {
	Report   *Report
	Details  *ReportDetails
	Timeline []*Message
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// cleanName is a file name safe in any archive and shell: no separators,
// no leading dots, bounded.
func cleanName(s string) string {
	s = strings.TrimLeft(unsafeName.ReplaceAllString(s, "_"), "._")
	if len(s) > 100 {
		s = s[:100]
	}
	if s == "" {
		s = "file"
	}
	return s
}

// WriteEvidence writes the evidence bundle of an incident into sink: the
// incident as JSON, each linked report as JSON with its whole timeline,
// its attachments and the raw mail it came in, and returns the manifest
// (SHA-256 of every file, as sha256sum -c reads it). The caller adds the
// manifest and its signature to the bundle, then calls EvidenceExported.
// With sealed data it needs the unlocked key: a bundle of "[sealed]"
// placeholders would be no evidence.
func (db *DB) WriteEvidence(ctx context.Context, incidentID int64, sink EvidenceSink) ([]byte, error) {
	i, err := db.IncidentByID(ctx, incidentID)
	if err != nil {
		return nil, err
	}
	ev := &EvidenceIncident{Incident: i}
	if ev.Reports, err = db.IncidentReports(ctx, i.ID); err != nil {
		return nil, err
	}
	locked := i.Locked
	for _, r := range ev.Reports {
		locked = locked || r.Locked
	}
	if locked || (db.sealOn && !db.Unlocked()) {
		return nil, Errorf(ECONFLICT, "The team key is locked: unlock it to export evidence (sealed reports cannot be read without it).")
	}
	if ev.Obligations, err = db.Obligations(ctx, i.ID); err != nil {
		return nil, err
	}
	if ev.Timeline, err = db.IncidentTimeline(ctx, i.ID); err != nil {
		return nil, err
	}
	var manifest strings.Builder
	put := func(name string, write func(io.Writer) error) error {
		w, err := sink.Create(name)
		if err != nil {
			return fmt.Errorf("db: evidence %s: %w", name, err)
		}
		h := sha256.New()
		if err := write(io.MultiWriter(w, h)); err != nil {
			w.Close()
			return fmt.Errorf("db: evidence %s: %w", name, err)
		}
		if err := w.Close(); err != nil {
			return fmt.Errorf("db: evidence %s: %w", name, err)
		}
		fmt.Fprintf(&manifest, "%s  %s\n", hex.EncodeToString(h.Sum(nil)), name)
		return nil
	}
	putJSON := func(name string, v any) error {
		return put(name, func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(v)
		})
	}
	if err := putJSON("incident.json", ev); err != nil {
		return nil, err
	}
	for _, lr := range ev.Reports {
		if err := db.writeReportEvidence(ctx, lr, put, putJSON); err != nil {
			return nil, err
		}
	}
	return []byte(manifest.String()), nil
}

func (db *DB) writeReportEvidence(ctx context.Context, lr LinkedReport, put func(string, func(io.Writer) error) error, putJSON func(string, any) error) error {
	er := &EvidenceReport{}
	var err error
	if er.Report, err = db.ReportByID(ctx, lr.ID); err != nil {
		return err
	}
	if er.Details, err = db.Details(ctx, lr.ID); err != nil {
		return err
	}
	if er.Timeline, err = db.Timeline(ctx, lr.ID, false); err != nil {
		return err
	}
	dir := "reports/" + cleanName(lr.Ref) + "/"
	if err := putJSON(dir+"report.json", er); err != nil {
		return err
	}
	for _, m := range er.Timeline {
		for _, a := range m.Attachments {
			name := fmt.Sprintf("%sattachments/%d-%s", dir, a.ID, cleanName(a.Filename))
			if err := put(name, func(w io.Writer) error {
				_, rc, err := db.AttachmentReader(ctx, lr.ID, a.ID, false)
				if err != nil {
					return err
				}
				defer rc.Close()
				_, err = io.Copy(w, rc)
				return err
			}); err != nil {
				return err
			}
		}
	}
	raws, err := db.reportRawMail(ctx, lr.ID)
	if err != nil {
		return err
	}
	for _, id := range raws {
		if err := put(fmt.Sprintf("%smail/%d.eml", dir, id), func(w io.Writer) error { return db.WriteRawMail(ctx, id, w) }); err != nil {
			return err
		}
	}
	return nil
}

// reportRawMail lists the raw mail a report came in (its first mail and
// the follow-ups), oldest first.
func (db *DB) reportRawMail(ctx context.Context, reportID int64) ([]int64, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id FROM mail_raw WHERE report_id = ? ORDER BY id`, reportID)
	if err != nil {
		return nil, fmt.Errorf("db: list raw mail of report: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("db: scan raw mail: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// EvidenceManifest is the audit detail of a finished export: the
// manifest's own SHA-256 (which ties the log to the bundle) and whether it
// was signed.
func EvidenceManifest(manifest []byte, signed bool) string {
	sum := sha256.Sum256(manifest)
	detail := "manifest sha256 " + hex.EncodeToString(sum[:])
	if signed {
		return detail + ", signed with the team key"
	}
	return detail + ", unsigned (team key locked or absent)"
}

// AuditEvidence records a step of an evidence export on the incident's
// timeline and in the audit log: the request, before any byte is written,
// so that no export goes unrecorded, and then its manifest.
func (db *DB) AuditEvidence(ctx context.Context, incidentID int64, detail string, actor Actor) error {
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		return tx.incidentEvent(ctx, incidentID, (&Incident{ID: incidentID}).Ref(), actor, "evidence", detail)
	})
}

package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin"
)

// clockAlertMail composes the mail of an incident clock alert: the
// incident's reference, the obligation's preset and stage, the point and
// the deadline, and a link; never the incident's text.
func clockAlertMail(base *url.URL, domain string) func(a *db.ClockAlert, to db.AlertRecipient) *db.OutMail {
	return func(a *db.ClockAlert, to db.AlertRecipient) *db.OutMail {
		what := map[string]string{db.AlertHalfTime: "is at half time", db.AlertHourLeft: "has one hour left", db.AlertOverdue: "is overdue"}[a.Point]
		link := strings.TrimRight(base.String(), "/") + "/incidents/" + url.PathEscape(a.Ref)
		return &db.OutMail{Kind: "incident_clock", MessageID: mailin.NewMessageID(domain),
			Subject: fmt.Sprintf("[%s] notification clock %s", a.Ref, what),
			Body: fmt.Sprintf("The %s notification of incident %s %s: it is due %s.\n\nOpen the incident in the dashboard:\n%s\n",
				a.Obligation, a.Ref, what, a.DueAt.UTC().Format("2006-01-02 15:04 UTC"), link)}
	}
}

// incidentClockJob tells incidents' owners and admins about their clocks
// every interval (IncidentClockAlerts records each point it tells).
func incidentClockJob(d *db.DB, log *slog.Logger, base *url.URL, domain string, every time.Duration) func(ctx context.Context) {
	compose := clockAlertMail(base, domain)
	return func(ctx context.Context) {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			n, err := d.IncidentClockAlerts(ctx, compose)
			switch {
			case ctx.Err() != nil:
				return
			case err != nil:
				log.Error("incident clock alerts failed", "error", err)
			case n > 0:
				log.Info("incident clock alerts queued", "alerts", n)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}
}

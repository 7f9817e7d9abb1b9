package mailin

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views/wording"
)

// Webhook request headers. The signature is HMAC-SHA256, keyed with the
// webhook's secret as shown to the admin, over "<timestamp>.<body>"; a
// receiver recomputes it and refuses timestamps older than a few minutes, so
// a captured request cannot be replayed later.
const (
	HeaderSignature = "X-Disclose-Signature" // sha256=<hex>
	HeaderTimestamp = "X-Disclose-Timestamp" // Unix seconds
	HeaderEvent     = "X-Disclose-Event"
	HeaderDelivery  = "X-Disclose-Delivery" // the same on every retry: receivers drop repeats
)

// SignWebhook returns the signature header value of body sent at ts.
func SignWebhook(secret string, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(ts, 10)))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// VerifyWebhook checks a delivery as a receiver should: the signature in
// constant time and the timestamp within tolerance of now.
func VerifyWebhook(secret string, header http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	ts, err := strconv.ParseInt(header.Get(HeaderTimestamp), 10, 64)
	if err != nil {
		return errors.New("webhook: no timestamp")
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return errors.New("webhook: timestamp outside the tolerance (replay?)")
	}
	if !hmac.Equal([]byte(header.Get(HeaderSignature)), []byte(SignWebhook(secret, ts, body))) {
		return errors.New("webhook: bad signature")
	}
	return nil
}

// WebhookStore is what the webhook worker needs from the database.
type WebhookStore interface {
	ClaimDelivery(ctx context.Context, lease time.Duration) (*db.Delivery, error)
	DeliverySent(ctx context.Context, id int64) error
	DeliveryRetry(ctx context.Context, id int64, errText string, delay, giveUp time.Duration) (bool, error)
	DeliveryFailed(ctx context.Context, id int64, errText string) error
}

// Webhooks is the worker that posts queued webhook deliveries, with the
// same claim, retry and give-up rules as mail.
type Webhooks struct {
	Store WebhookStore
	// Reach limits the addresses deliveries may connect to; the zero value
	// allows public addresses only.
	Reach db.WebhookReach
	// Client posts the deliveries. nil: a client with a 15 s timeout that
	// follows no redirects, uses no proxy and refuses, when it connects,
	// every address outside Reach. A client given here is used as is.
	Client   *http.Client
	Links    *Notifier // builds the dashboard links
	Retry    Retry
	Lease    time.Duration
	Poll     time.Duration
	Now      func() time.Time
	Log      *slog.Logger
	initDone bool
}

func (w *Webhooks) init() {
	if w.initDone {
		return
	}
	if w.Client == nil {
		w.Client = webhookClient(w.Reach)
	}
	if w.Now == nil {
		w.Now = time.Now
	}
	if w.Lease <= 0 {
		w.Lease = 5 * time.Minute
	}
	if w.Poll <= 0 {
		w.Poll = 5 * time.Second
	}
	w.initDone = true
}

// Run posts due deliveries until ctx is done, stopping between deliveries.
func (w *Webhooks) Run(ctx context.Context) {
	w.init()
	runEvery(ctx, w.Poll, w.Log, "webhooks", func(ctx context.Context) error {
		_, err := w.SendDue(ctx)
		return err
	})
}

// SendDue posts every due delivery and returns how many were accepted.
func (w *Webhooks) SendDue(ctx context.Context) (int, error) {
	w.init()
	sent := 0
	for ctx.Err() == nil {
		work := context.WithoutCancel(ctx)
		d, err := w.Store.ClaimDelivery(work, w.Lease)
		if db.ErrorCode(err) == db.ENOTFOUND {
			return sent, nil
		} else if err != nil {
			return sent, err
		}
		log := w.Log.With("delivery_id", d.ID, "webhook_id", d.WebhookID, "event", string(d.Event), "attempt", d.Attempts)
		postErr := w.post(work, d)
		switch {
		case postErr == nil:
			if err := w.Store.DeliverySent(work, d.ID); err != nil {
				return sent, err
			}
			sent++
		case IsPermanent(postErr):
			log.Warn("webhook refused for good", "error", postErr)
			if err := w.Store.DeliveryFailed(work, d.ID, postErr.Error()); err != nil {
				return sent, err
			}
		default:
			delay := w.Retry.Delay(d.Attempts)
			failed, err := w.Store.DeliveryRetry(work, d.ID, postErr.Error(), delay, w.Retry.GiveUp)
			if err != nil {
				return sent, err
			}
			log.Info("webhook deferred", "error", postErr, "gave_up", failed)
		}
	}
	return sent, nil
}

// post sends one delivery. 2xx is success; 408, 425, 429 and 5xx are worth
// another try; any other answer (a redirect included) will not change.
func (w *Webhooks) post(ctx context.Context, d *db.Delivery) error {
	body, err := w.Payload(d)
	if err != nil {
		return &PermanentError{Err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(body))
	if err != nil {
		return &PermanentError{Err: fmt.Errorf("webhook: bad URL: %w", err)}
	}
	ts := w.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "disclose-webhook/1")
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, SignWebhook(d.Secret, ts, body))
	req.Header.Set(HeaderEvent, string(d.Event))
	req.Header.Set(HeaderDelivery, strconv.FormatInt(d.ID, 10))
	resp, err := w.Client.Do(req)
	if err != nil {
		// The URL stays out of the error, which is logged and stored: the
		// path of a webhook URL is often its credential (Slack, Teams).
		if ae, ok := refusedAddr(err); ok {
			// The address will not change its kind: no retry. The admin
			// reads the reason in the delivery log and can retry by hand.
			return &PermanentError{Err: errors.New(ae.Message)}
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("webhook: post: %w", err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return nil
	case c == 408 || c == 425 || c == 429 || c >= 500:
		return fmt.Errorf("webhook: answered %d", c)
	default:
		return &PermanentError{Err: fmt.Errorf("webhook: answered %d", c)}
	}
}

// webhookEvent is the generic JSON body.
type webhookEvent struct {
	ID        string           `json:"id"`
	Event     string           `json:"event"`
	CreatedAt time.Time        `json:"created_at"`
	Report    *webhookReport   `json:"report,omitempty"`
	Incident  *webhookIncident `json:"incident,omitempty"` // incident.clock only
}

// webhookIncident is an incident clock alert: what its mail says, never
// the incident's title or text.
type webhookIncident struct {
	Ref        string    `json:"ref"`
	URL        string    `json:"url"`
	Obligation string    `json:"obligation"` // preset/stage, e.g. cert-in/report
	Point      string    `json:"point"`      // half-time, hour-left or overdue
	DueAt      time.Time `json:"due_at"`
}

type webhookReport struct {
	Ref       string `json:"ref"`
	URL       string `json:"url"`
	State     string `json:"state,omitempty"`
	FromState string `json:"from_state,omitempty"`
	ToState   string `json:"to_state,omitempty"`
	Program   string `json:"program,omitempty"`  // with content only
	Title     string `json:"title,omitempty"`    // with content only, never for sealed reports
	Severity  string `json:"severity,omitempty"` // with content only
}

// Payload is the JSON a delivery carries, in the webhook's format.
func (w *Webhooks) Payload(d *db.Delivery) ([]byte, error) {
	if d.Event == db.EventIncidentClock {
		return w.incidentPayload(d)
	}
	link := w.Links.staffURL(d.Ref)
	if d.Format == db.WebhookSlack {
		return json.Marshal(map[string]string{"text": slackText(d, link)})
	}
	ev := webhookEvent{ID: strconv.FormatInt(d.ID, 10), Event: string(d.Event), CreatedAt: d.CreatedAt.UTC(),
		Report: &webhookReport{Ref: d.Ref, URL: link, State: string(d.State), FromState: string(d.FromState), ToState: string(d.ToState),
			Title: d.Title, Severity: string(d.Severity)}}
	if d.Title != "" {
		ev.Report.Program = d.Program
	}
	return json.Marshal(ev)
}

// incidentPayload is the body of an incident clock alert.
func (w *Webhooks) incidentPayload(d *db.Delivery) ([]byte, error) {
	link := w.Links.absURL("/incidents/" + url.PathEscape(d.Ref))
	if d.Format == db.WebhookSlack {
		what := map[string]string{db.AlertHalfTime: "is at half time", db.AlertHourLeft: "has one hour left", db.AlertOverdue: "is overdue"}[d.Point]
		if what == "" {
			what = "reached " + d.Point
		}
		esc := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace
		return json.Marshal(map[string]string{"text": fmt.Sprintf("Notification clock %s of <%s|%s> %s: due %s", esc(d.Obligation), esc(link), esc(d.Ref),
			what, d.DueAt.UTC().Format("2006-01-02 15:04 UTC"))})
	}
	return json.Marshal(webhookEvent{ID: strconv.FormatInt(d.ID, 10), Event: string(d.Event), CreatedAt: d.CreatedAt.UTC(),
		Incident: &webhookIncident{Ref: d.Ref, URL: link, Obligation: d.Obligation, Point: d.Point, DueAt: d.DueAt.UTC()}})
}

// slackText is a Slack message: mrkdwn with the characters Slack reserves
// escaped in anything a reporter typed.
func slackText(d *db.Delivery, link string) string {
	esc := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace
	var what string
	switch d.Event {
	case db.EventReportCreated:
		what = "New report"
	case db.EventReporterMessage:
		what = "Reporter replied on"
	case db.EventState:
		what = fmt.Sprintf("State %s → %s on", wording.State(d.FromState), wording.State(d.ToState))
	default:
		what = string(d.Event)
	}
	s := fmt.Sprintf("%s <%s|%s>", what, esc(link), esc(d.Ref))
	if d.Title != "" {
		s += ": " + esc(oneLine(d.Title))
	}
	return s
}

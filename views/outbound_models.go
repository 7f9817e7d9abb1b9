package views

import (
	"time"

	"github.com/disclose/disclose/db"
)

// AdminOutbox lists outgoing mail.
type AdminOutbox struct {
	StaffPage
	Mails   []*db.Mail
	Counts  map[string]int
	Status  string // the filter; "" for all
	Now     time.Time
	Retried bool
}

// AdminMail shows one outgoing mail as it will be (or was) sent.
type AdminMail struct {
	StaffPage
	Mail *db.Mail
	Now  time.Time
}

// AdminWebhooks lists and edits a program's webhooks.
type AdminWebhooks struct {
	StaffPage
	Program *db.Program
	// Org is the program's organisation; SiteAdmin says the admin
	// navigation applies (an organisation's admin goes back to Org).
	Org          *db.Organisation
	SiteAdmin    bool
	Webhooks     []*db.Webhook
	Deliveries   map[int64][]*db.Delivery
	Values       map[string]string // the new-webhook form as typed
	ValueContent bool
	ValueEnabled bool
	ValueClocks  bool
	Errors       db.FieldErrors // of the new-webhook form
	EditID       int64          // the webhook whose edit failed
	EditErrors   db.FieldErrors
	Notice       string
}

// Notifications is a staff user's mail preferences.
type Notifications struct {
	StaffPage
	Prefs *db.NotifyPrefs
	Saved bool
	Error string
}

// mailStatus is how a mail's state reads in the outbox.
func mailStatus(m *db.Mail, now time.Time) string {
	if m.Sending(now) {
		return "sending"
	}
	return m.Status
}

// mailTo says who a mail is for without repeating the address twice.
func mailTo(m *db.Mail) string {
	if m.UserID != 0 {
		return m.To + " (staff)"
	}
	return m.To
}

// statusQuery is the outbox filter's query string.
func statusQuery(status string) string {
	if status == "" {
		return ""
	}
	return "?status=" + status
}

// editErrors are the field errors of webhook id's edit form, if it failed.
func editErrors(m AdminWebhooks, id int64) db.FieldErrors {
	if m.EditID == id {
		return m.EditErrors
	}
	return nil
}

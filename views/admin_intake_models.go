package views

import (
	"time"

	"github.com/disclose/disclose/db"
)

// AdminIntake is the mail intake status page.
type AdminIntake struct {
	StaffPage
	Status *db.IntakeStatus
	Kept   []*db.RawMail
}

// intakeTime prints a time of the intake page, or "never".
func intakeTime(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// mailKindLabel names what a kept message is.
func mailKindLabel(k db.MailKind) string {
	switch k {
	case db.MailAutoReply:
		return "Auto-reply"
	case db.MailBounce:
		return "Bounce"
	case db.MailDuplicate:
		return "Duplicate"
	case db.MailSetAside:
		return "Set aside"
	}
	return string(k)
}

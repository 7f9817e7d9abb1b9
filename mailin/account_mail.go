package mailin

import (
	"fmt"
	"strings"
	"time"

	"github.com/disclose/disclose/db"
)

// MailPasswordReset is the outbox kind of a reset link a user asked for.
const MailPasswordReset = db.ResetMailKind

// ResetMail composes the mail with the one-time password reset link a
// staff user asked for on the sign-in page (db.ResetLink), to the address
// typed there; db sends it only when that is an account. It names no
// client address or anything else the requester typed: whoever asked may
// not be the account's owner, and the text says what to do then.
func (n *Notifier) ResetMail(to, token string, life time.Duration) (*db.OutMail, error) {
	id, err := n.newMessageID()
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString(greeting)
	b.WriteString("Someone asked to reset the password of your account on the security reports dashboard. To choose a new password, open this link:\n\n")
	fmt.Fprintf(&b, "%s\n\n", n.absURL("/setup/"+token))
	fmt.Fprintf(&b, "The link works once, for %s. Choosing a new password signs you out everywhere. If you use a second factor (authenticator app), you will still need it to sign in.\n\n", lifeText(life))
	b.WriteString("If you did not ask for this, ignore this mail: your password stays as it is. If it keeps happening, tell your admin.\n")
	fmt.Fprintf(&b, "\n-- \n%s\n", n.team())
	return &db.OutMail{Kind: MailPasswordReset, MessageID: id, To: to, Subject: "Reset your password",
		Body: b.String(), AutoSubmitted: true}, nil
}

// lifeText says a link's lifetime in words ("1 hour", "30 minutes").
func lifeText(d time.Duration) string {
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		if d == time.Hour {
			return "1 hour"
		}
		return fmt.Sprintf("%d hours", d/time.Hour)
	case d >= time.Minute:
		return fmt.Sprintf("%d minutes", d/time.Minute)
	}
	return d.String()
}

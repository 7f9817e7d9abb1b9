package mailin

import (
	"fmt"
	"strings"
	"time"

	"github.com/disclose/disclose/db"
)

// MailOrgInvite is the outbox kind of an invitation to an organisation.
const MailOrgInvite = db.InviteMailKind

// InviteMail composes the invitation to join an organisation with a role
// (db.InviteLink): one text whether or not the address has an account yet,
// so that composing it tells nothing. The link is the invitee's alone: an
// account with a password accepts it signed in as itself, a new one
// chooses its password through it.
func (n *Notifier) InviteMail(to, orgName string, role db.Role, token string, life time.Duration) (*db.OutMail, error) {
	id, err := n.newMessageID()
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString(greeting)
	fmt.Fprintf(&b, "You are invited to join %s as %s on the security reports dashboard. To accept (or decline), open this link:\n\n", oneLine(orgName), role)
	fmt.Fprintf(&b, "%s\n\n", n.absURL("/invites/"+token))
	fmt.Fprintf(&b, "The link works for %s. If you have an account already, sign in when asked: the invitation is accepted for that account only. If you have none, the link lets you choose your password.\n\n", lifeText(life))
	b.WriteString("Nobody else has this link, and nobody joins you to the organisation without it. If you did not expect it, decline it or ignore this mail.\n")
	fmt.Fprintf(&b, "\n-- \n%s\n", n.team())
	return &db.OutMail{Kind: MailOrgInvite, MessageID: id, To: to, Subject: "Invitation to " + oneLine(orgName),
		Body: b.String(), AutoSubmitted: true}, nil
}

// AccountLinkMail composes the mail with a one-time link an admin sent
// from the dashboard (db.InviteUserByMail, db.MailResetLink): to choose the
// first password of a new account (setup) or a new one. The admin never
// sees the link: only the address's owner can use it.
func (n *Notifier) AccountLinkMail(to, token string, setup bool, life time.Duration) (*db.OutMail, error) {
	id, err := n.newMessageID()
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString(greeting)
	subject := "Reset your password"
	if setup {
		subject = "Your account on the security reports dashboard"
		b.WriteString("An admin made you an account on the security reports dashboard. To choose your password, open this link:\n\n")
	} else {
		b.WriteString("An admin sent you a link to choose a new password of your account on the security reports dashboard:\n\n")
	}
	fmt.Fprintf(&b, "%s\n\n", n.absURL("/setup/"+token))
	fmt.Fprintf(&b, "The link works once, for %s.", lifeText(life))
	if !setup {
		b.WriteString(" Your password stays as it is until you use it; choosing a new one signs you out everywhere.")
	}
	b.WriteString("\n\nIf you did not expect this mail, ignore it and tell your admin.\n")
	fmt.Fprintf(&b, "\n-- \n%s\n", n.team())
	return &db.OutMail{Kind: db.AccountLinkMailKind, MessageID: id, To: to, Subject: subject, Body: b.String(), AutoSubmitted: true}, nil
}

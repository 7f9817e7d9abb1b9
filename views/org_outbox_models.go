package views

import "github.com/disclose/disclose/db"

// OrgOutbox is an organisation's outbox for its admins: the site admin's
// page over the mail filed under the organisation.
type OrgOutbox struct {
	AdminOutbox
	Org *db.Organisation
}

// OrgMail is one mail of an organisation's outbox.
type OrgMail struct {
	AdminMail
	Org     *db.Organisation
	Retried bool
}

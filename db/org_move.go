package db

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// MovedMailbox is an intake mailbox that moved with its program.
type MovedMailbox struct {
	ID               int64
	Addr, User, Name string
}

// String names the mailbox as its organisation's page lists it.
func (m *MovedMailbox) String() string {
	return fmt.Sprintf("#%d %s on %s (%s)", m.ID, m.User, m.Addr, m.Name)
}

// movableMailboxes are the intake mailboxes that feed program programID,
// which move with it: each belongs to the organisation whose program it
// feeds, so its mail and its stored credentials go where the program goes.
// A mailbox whose mail account (server and user, so its password) another
// mailbox reads for another program is shared: moving it would hand the
// other program's account to another organisation, and keeping it would
// file the program's mail in the old one. Then nothing moves, and the
// error names the mailbox, for the site admin to point one of them
// elsewhere first.
func (tx *Tx) movableMailboxes(ctx context.Context, programID int64) ([]*MovedMailbox, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, imap_addr, imap_user, mailbox FROM mailboxes WHERE program_id = ? ORDER BY id`, programID)
	if err != nil {
		return nil, fmt.Errorf("db: mailboxes of program %d: %w", programID, err)
	}
	var out []*MovedMailbox
	for rows.Next() {
		m := &MovedMailbox{}
		if err := rows.Scan(&m.ID, &m.Addr, &m.User, &m.Name); err != nil {
			rows.Close()
			return nil, fmt.Errorf("db: mailboxes of program %d: %w", programID, err)
		}
		out = append(out, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: mailboxes of program %d: %w", programID, err)
	}
	if len(out) == 0 {
		return out, nil
	}
	// The other programs' mailboxes, compared on imapAccount: SQL's text
	// equality would let "Security@Host" or "host.:imaps" pass for another
	// account. Mailboxes are configuration, a few per organisation.
	others, err := tx.QueryContext(ctx, `SELECT id, imap_addr, imap_user, mailbox FROM mailboxes WHERE program_id <> ? ORDER BY id`, programID)
	if err != nil {
		return nil, fmt.Errorf("db: find a mailbox sharing an account: %w", err)
	}
	defer others.Close()
	for others.Next() {
		var o MovedMailbox
		if err := others.Scan(&o.ID, &o.Addr, &o.User, &o.Name); err != nil {
			return nil, fmt.Errorf("db: find a mailbox sharing an account: %w", err)
		}
		for _, m := range out {
			if imapAccount(m.Addr, m.User) == imapAccount(o.Addr, o.User) {
				return nil, Invalid(FieldErrors{"to": fmt.Sprintf("The mailbox %s feeds this program and shares its mail account with mailbox #%d (%s), "+
					"which feeds another program: the account cannot belong to two organisations. Point mailbox %s or #%d at one program's "+
					"organisation, or remove one, then move the program.", m, o.ID, o.Name, m, o.ID)})
			}
		}
	}
	if err := others.Err(); err != nil {
		return nil, fmt.Errorf("db: find a mailbox sharing an account: %w", err)
	}
	return out, nil
}

// imapAccount is the key of the mail account a mailbox reads, as an IMAP
// server sees it: the user lower-cased (servers take logins without
// regard to case), the host lower-cased without a trailing dot, the port
// as a number ("imaps" is 993). Two mailboxes with one key share the
// account and its password.
func imapAccount(addr, user string) string {
	host, port, err := net.SplitHostPort(strings.TrimSpace(addr))
	if err != nil {
		host, port = strings.TrimSpace(addr), ""
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if n, err := net.LookupPort("tcp", strings.ToLower(port)); err == nil {
		port = strconv.Itoa(n)
	}
	return strings.ToLower(strings.TrimSpace(user)) + "\x00" + net.JoinHostPort(host, port)
}

// moveMailboxes gives boxes (movableMailboxes) to organisation to: the
// mailbox page and its health leave from's admins for to's, and its
// password, sealed with the local key for the mailbox and not for an
// organisation, stays usable as it is. Each move is audited under both
// organisations (mailbox.move: the mailbox's new one, and from=). The
// intake supervisor sees the new organisation at its next look and
// restarts the mailbox's worker under it (its fingerprint holds OrgID).
func (tx *Tx) moveMailboxes(ctx context.Context, boxes []*MovedMailbox, from, to *Organisation, program string, actor Actor) ([]*MovedMailbox, error) {
	for _, m := range boxes {
		if _, err := tx.ExecContext(ctx, `UPDATE mailboxes SET org_id = ? WHERE id = ?`, to.ID, m.ID); err != nil {
			return nil, fmt.Errorf("db: move mailbox %d: %w", m.ID, err)
		}
		// No typed text in the detail: from= names the old organisation
		// for auditScope, and nothing an admin typed may look like it.
		if err := tx.audit(ctx, actor, "mailbox.move", fmt.Sprintf("mailbox %d", m.ID), fmt.Sprintf("from=%s to=%s program=%s", from.Slug, to.Slug, program)); err != nil {
			return nil, err
		}
	}
	return boxes, nil
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/disclose/disclose/db"
)

// findMailbox is configured mailbox id, of whichever organisation (the
// operator's commands see them all).
func findMailbox(ctx context.Context, d *db.DB, id int64) (*db.Mailbox, error) {
	boxes, err := d.Mailboxes(ctx, nil)
	if err != nil {
		return nil, err
	}
	for _, m := range boxes {
		if m.ID == id {
			return m, nil
		}
	}
	return nil, fmt.Errorf("--id %d: no such mailbox (disclose mailbox list)", id)
}

func runMailboxEdit(ctx context.Context, env *environment, args []string) error {
	var cfg toolConfig
	var id int64
	var program, passwordFile string
	var in db.NewMailbox
	fs := newFlagSet(env, "mailbox edit", "Change an intake mailbox: only the flags given change. Without --imap-password-file the stored password is kept,\n"+
		"as long as the server, TLS mode and user stay the same.\n"+
		"serve and mailin restart its reading on the new settings at their next look (within 30 seconds).")
	fs.Int64Var(&id, "id", 0, "id of the mailbox (disclose mailbox list; required)")
	own := mailboxFlags(fs, &in, &program, &passwordFile)
	d, err := openTool(ctx, env.only(func(name string) bool { return !own[name] }), fs, &cfg, args)
	if err != nil {
		return err
	}
	defer d.Close()
	if id == 0 {
		return errors.New("--id is required")
	}
	m, err := findMailbox(ctx, d, id)
	if err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	next := db.NewMailbox{Mailbox: *m}
	for name, apply := range map[string]func(){
		"imap-addr": func() { next.Addr = in.Addr }, "imap-tls": func() { next.TLS = in.TLS }, "imap-user": func() { next.User = in.User },
		"mailbox": func() { next.Name = in.Name }, "processed": func() { next.Processed = in.Processed },
		"subject-contains": func() { next.SubjectContains = in.SubjectContains }, "to": func() { next.To = in.To },
	} {
		if set[name] {
			apply()
		}
	}
	if program != "" {
		p, err := d.ProgramBySlug(ctx, program)
		if db.ErrorCode(err) == db.ENOTFOUND || (err == nil && p.OrgID != m.OrgID) {
			return fmt.Errorf("--program %q: no such program of the mailbox's organisation", program)
		} else if err != nil {
			return err
		}
		next.ProgramID = p.ID
	}
	if passwordFile != "" {
		buf, err := os.ReadFile(passwordFile)
		if err != nil {
			return fmt.Errorf("--imap-password-file: %w", err)
		}
		if next.Password = strings.TrimRight(string(buf), "\r\n"); next.Password == "" {
			return errors.New("--imap-password-file: the file is empty")
		}
	}
	if _, err := d.UpdateMailbox(ctx, &next, cliActor); err != nil {
		return fieldError(err, map[string]string{"imap_addr": "imap-addr", "imap_tls": "imap-tls", "imap_user": "imap-user",
			"processed": "processed", "filter": "subject-contains", "program": "program"})
	}
	fmt.Fprintf(env.stdout, "Changed mailbox %d. serve and mailin read it on its new settings from their next look (within %s).\n", id, mailboxReload)
	return nil
}

func runMailboxRemove(ctx context.Context, env *environment, args []string) error {
	var cfg toolConfig
	var id int64
	fs := newFlagSet(env, "mailbox remove", "Stop reading an intake mailbox and forget its settings and password.\n"+
		"Mail already taken stays with its reports; messages on the server stay there.")
	fs.Int64Var(&id, "id", 0, "id of the mailbox (disclose mailbox list; required)")
	d, err := openTool(ctx, env, fs, &cfg, args)
	if err != nil {
		return err
	}
	defer d.Close()
	if id == 0 {
		return errors.New("--id is required")
	}
	m, err := findMailbox(ctx, d, id)
	if err != nil {
		return err
	}
	if err := d.DeleteMailbox(ctx, m.OrgID, m.ID, cliActor); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "Removed mailbox %d (%s@%s %s). serve and mailin stop reading it at their next look (within %s).\n",
		m.ID, m.User, m.Addr, m.Name, mailboxReload)
	return nil
}

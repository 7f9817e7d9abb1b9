package mailin

import (
	"strings"

	gomail "github.com/emersion/go-message/mail"
)

// isDSN says whether a mail is a delivery report as a mail server sends
// one (RFC 3464): a multipart/report of report-type delivery-status, from a
// bounce sender, that is with an empty Return-Path (RFC 5321 section 4.5.5)
// or From MAILER-DAEMON or postmaster. Only such a mail may mark mail of
// ours failed (db.InboundMail.DSN): anyone can attach a copy of a mail they
// received to a mail of their own.
func isDSN(h gomail.Header, from string) bool {
	mt, params, err := h.ContentType()
	if err != nil || !strings.EqualFold(mt, "multipart/report") || !strings.EqualFold(params["report-type"], "delivery-status") {
		return false
	}
	if strings.TrimSpace(h.Get("Return-Path")) == "<>" {
		return true
	}
	local, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(from)), "@")
	return local == "mailer-daemon" || local == "postmaster"
}

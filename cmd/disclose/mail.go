package main

import (
	"context"
	"log/slog"
	"net/mail"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin"
	"github.com/disclose/disclose/mailin/pgp"
)

// outbound is the sending side of the mail gateway: the worker that
// composes the mail of the events actions record, and the workers that send
// mail and webhooks and queue reminders and digests.
type outbound struct {
	events *mailin.Events
	outbox *mailin.Outbox // nil without SMTP: mail stays in the outbox
	hooks  *mailin.Webhooks
	jobs   *mailin.Jobs
	// notifier composes what the web side mails at once: reset links.
	notifier *mailin.Notifier
}

// newOutbound builds the workers. With a team key, mail to reporters whose
// key is known goes out encrypted.
func newOutbound(cfg *serveConfig, d *db.DB, log *slog.Logger, key *pgp.TeamKey, problems *db.Problems) (*outbound, error) {
	mc := &cfg.mail
	var enc mailin.Encrypter
	if key != nil {
		enc = &mailin.PGPMIME{Key: key}
	}
	notifier := &mailin.Notifier{BaseURL: cfg.baseURL, Domain: messageDomain(cfg.baseURL, mc.from), ReplyAddress: cfg.SecurityEmail,
		Encrypting: enc != nil}
	retry := mailin.Retry{Base: mc.RetryBase, Max: mc.RetryMax, GiveUp: mc.GiveUp}
	o := &outbound{
		notifier: notifier,
		events:   &mailin.Events{Store: d, Notifier: notifier, Log: log.With("worker", "events")},
		hooks:    &mailin.Webhooks{Store: d, Links: notifier, Retry: retry, Log: log.With("worker", "webhooks"), Reach: cfg.WebhookReach},
		jobs: &mailin.Jobs{Store: d, Notifier: notifier, ReminderAfter: mc.ReminderAfter, ReminderMax: mc.ReminderMax,
			Log: log.With("worker", "jobs")},
	}
	if cfg.WebhookReach != db.WebhookReachPublic {
		log.Info("webhooks: may post to private addresses (DISCLOSE_WEBHOOK_ALLOW_PRIVATE)", "value", cfg.WebhookReach.String())
	}
	if mc.SMTPAddr == "" {
		log.Warn("mail: no SMTP server configured (DISCLOSE_SMTP_ADDR); mail stays in the outbox, where admins read it")
		return o, nil
	}
	helo := mc.SMTPHelo
	if helo == "" {
		helo = cfg.baseURL.Hostname()
	}
	tr, err := mailin.NewSMTP(mailin.SMTPConfig{Addr: mc.SMTPAddr, Security: mc.SMTPTLS, User: mc.SMTPUser, Password: mc.SMTPPassword,
		LocalName: helo, Timeout: mc.SMTPTimeout})
	if err != nil {
		return nil, err
	}
	composer := &mailin.Composer{From: mc.from, HTML: mc.SMTPHTML, Encrypter: enc}
	if key != nil && mc.SignMail {
		composer.Signer = &mailin.PGPSigner{Key: key}
	}
	if cfg.SecurityEmail != "" {
		composer.ReplyTo = &mail.Address{Address: cfg.SecurityEmail}
	}
	o.outbox = &mailin.Outbox{Store: d, Transport: tr, Composer: composer, EnvelopeFrom: mc.SMTPEnvelope, Retry: retry,
		Log: log.With("worker", "outbox"), Problems: problems}
	log.Info("mail: sending through SMTP", "addr", mc.SMTPAddr, "tls", mc.SMTPTLS, "from", mc.from.Address)
	return o, nil
}

// start runs the workers under bg; they stop between messages when ctx ends.
func (o *outbound) start(ctx context.Context, bg *workers) {
	bg.Go(ctx, "events", o.events.Run)
	if o.outbox != nil {
		bg.Go(ctx, "outbox", o.outbox.Run)
	}
	bg.Go(ctx, "webhooks", o.hooks.Run)
	bg.Go(ctx, "mail-jobs", o.jobs.Run)
}

package main

import (
	"context"
	"log/slog"
	"net/mail"
	"sync"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin"
	"github.com/disclose/disclose/mailin/pgp"
)

// outbound runs the mail gateway's sending side: the notifier that queues
// mail with every action, and the workers that send mail and webhooks and
// queue reminders and digests.
type outbound struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// startOutbound wires the notifier into d and starts the workers. Without an
// SMTP server the mail worker does not run: mail stays pending in the outbox.
// With a team key, mail to reporters whose key is known goes out encrypted.
func startOutbound(ctx context.Context, cfg *serveConfig, d *db.DB, log *slog.Logger, key *pgp.TeamKey) (*outbound, error) {
	mc := &cfg.mail
	var enc mailin.Encrypter
	if key != nil {
		enc = &mailin.PGPMIME{Key: key}
	}
	notifier := &mailin.Notifier{BaseURL: cfg.baseURL, Domain: messageDomain(cfg.baseURL, mc.from), ReplyAddress: cfg.SecurityEmail,
		Encrypting: enc != nil}
	d.Notifier = notifier
	retry := mailin.Retry{Base: mc.RetryBase, Max: mc.RetryMax, GiveUp: mc.GiveUp}
	ctx, cancel := context.WithCancel(ctx)
	o := &outbound{cancel: cancel}
	run := func(name string, fn func(context.Context)) {
		o.wg.Add(1)
		go func() {
			defer o.wg.Done()
			for ctx.Err() == nil {
				if !runRecovered(log, name, func() { fn(ctx) }) {
					select { // a worker that panicked restarts after a pause
					case <-ctx.Done():
					case <-time.After(10 * time.Second):
					}
				}
			}
		}()
	}
	if mc.SMTPAddr != "" {
		helo := mc.SMTPHelo
		if helo == "" {
			helo = cfg.baseURL.Hostname()
		}
		tr, err := mailin.NewSMTP(mailin.SMTPConfig{Addr: mc.SMTPAddr, Security: mc.SMTPTLS, User: mc.SMTPUser, Password: mc.SMTPPassword,
			LocalName: helo, Timeout: mc.SMTPTimeout})
		if err != nil {
			cancel()
			return nil, err
		}
		composer := &mailin.Composer{From: mc.from, HTML: mc.SMTPHTML, Encrypter: enc}
		if cfg.SecurityEmail != "" {
			composer.ReplyTo = &mail.Address{Address: cfg.SecurityEmail}
		}
		w := &mailin.Outbox{Store: d, Transport: tr, Composer: composer,
			EnvelopeFrom: mc.SMTPEnvelope, Retry: retry, Log: log.With("worker", "outbox")}
		run("outbox", w.Run)
		log.Info("mail: sending through SMTP", "addr", mc.SMTPAddr, "tls", mc.SMTPTLS, "from", mc.from.Address)
	} else {
		log.Warn("mail: no SMTP server configured (DISCLOSE_SMTP_ADDR); mail stays in the outbox, where admins read it")
	}
	hooks := &mailin.Webhooks{Store: d, Links: notifier, Retry: retry, Log: log.With("worker", "webhooks")}
	run("webhooks", hooks.Run)
	jobs := &mailin.Jobs{Store: d, Notifier: notifier, ReminderAfter: mc.ReminderAfter, ReminderMax: mc.ReminderMax, Log: log.With("worker", "jobs")}
	run("jobs", jobs.Run)
	return o, nil
}

// stop ends the workers between messages and waits for them.
func (o *outbound) stop() {
	o.cancel()
	o.wg.Wait()
}

// runRecovered runs fn and reports whether it returned without panicking.
func runRecovered(log *slog.Logger, name string, fn func()) (ok bool) {
	defer func() {
		if p := recover(); p != nil {
			log.Error("worker panicked", "worker", name, "panic", p)
			ok = false
		}
	}()
	fn()
	return true
}

package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/disclose/disclose/mailin"
)

// The SMTP password may be read from DISCLOSE_SMTP_PASSWORD_FILE.
func init() { secretFlags["smtp-password"] = true }

// mailConfig is the outbound mail and webhook settings of serve. With no
// SMTP address, mail stays in the outbox where admins read it.
type mailConfig struct {
	SMTPAddr      string
	SMTPTLS       string
	SMTPUser      string
	SMTPPassword  string
	SMTPFrom      string
	SMTPEnvelope  string
	SMTPHelo      string
	SMTPHTML      bool
	SignMail      bool
	SMTPTimeout   time.Duration
	RetryBase     time.Duration
	RetryMax      time.Duration
	GiveUp        time.Duration
	ReminderAfter time.Duration
	ReminderMax   int
	from          *mail.Address
}

func (c *mailConfig) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.SMTPAddr, "smtp-addr", "", "SMTP server (host:port) that sends the portal's mail; empty keeps mail in the outbox for admins to read")
	fs.StringVar(&c.SMTPTLS, "smtp-tls", "starttls", "SMTP security: tls (implicit, port 465), starttls (required unless the server is loopback) or none (loopback only)")
	fs.StringVar(&c.SMTPUser, "smtp-user", "", "SMTP user for AUTH PLAIN or LOGIN; empty sends without AUTH")
	fs.StringVar(&c.SMTPPassword, "smtp-password", "", "SMTP password (prefer DISCLOSE_SMTP_PASSWORD_FILE)")
	fs.StringVar(&c.SMTPFrom, "smtp-from", "", "From address of the portal's mail, like \"ACME Security <security@example.org>\" (default: the security email)")
	fs.StringVar(&c.SMTPEnvelope, "smtp-envelope-from", "", "envelope sender (MAIL FROM) that receives bounces (default: the From address)")
	fs.StringVar(&c.SMTPHelo, "smtp-helo", "", "name said in EHLO (default: the host of the base URL)")
	fs.BoolVar(&c.SMTPHTML, "smtp-html", false, "add a simple HTML alternative to the plain-text mail")
	fs.BoolVar(&c.SignMail, "sign-mail", true, "sign mail that is not encrypted with the team key (PGP/MIME multipart/signed) while the key is unlocked")
	fs.DurationVar(&c.SMTPTimeout, "smtp-timeout", time.Minute, "timeout for connecting and for each SMTP command")
	fs.DurationVar(&c.RetryBase, "mail-retry", time.Minute, "wait after the first failed attempt of a mail or webhook; doubles with each attempt")
	fs.DurationVar(&c.RetryMax, "mail-retry-max", time.Hour, "longest wait between attempts")
	fs.DurationVar(&c.GiveUp, "mail-give-up", 72*time.Hour, "mark a mail or webhook delivery failed after trying for this long")
	fs.DurationVar(&c.ReminderAfter, "reminder-after", 7*24*time.Hour, "remind a reporter after a report waited this long on them (needs_info), and again as often; 0 sends none")
	fs.IntVar(&c.ReminderMax, "reminder-max", 2, "reminders per waiting period")
}

// validate checks the mail settings; securityEmail is the From fallback.
func (c *mailConfig) validate(securityEmail string) error {
	if c.RetryBase <= 0 || c.RetryMax < c.RetryBase || c.GiveUp <= 0 {
		return errors.New("DISCLOSE_MAIL_RETRY, DISCLOSE_MAIL_RETRY_MAX, DISCLOSE_MAIL_GIVE_UP: must be positive with the maximum at least the first wait")
	}
	if c.ReminderAfter < 0 || c.ReminderMax < 0 {
		return errors.New("DISCLOSE_REMINDER_AFTER / DISCLOSE_REMINDER_MAX: must be 0 or more")
	}
	if c.SMTPTimeout <= 0 {
		return errors.New("DISCLOSE_SMTP_TIMEOUT (--smtp-timeout): must be positive, like 1m")
	}
	from := c.SMTPFrom
	if from == "" {
		from = securityEmail
	}
	if from != "" {
		a, err := mail.ParseAddress(from)
		if err != nil || strings.ContainsAny(from, "\r\n") {
			return fmt.Errorf("DISCLOSE_SMTP_FROM (--smtp-from): %q is not an address like \"ACME Security <security@example.org>\"", c.SMTPFrom)
		}
		c.from = a
	}
	if c.SMTPEnvelope != "" {
		if a, err := mail.ParseAddress(c.SMTPEnvelope); err != nil || a.Address != c.SMTPEnvelope {
			return fmt.Errorf("DISCLOSE_SMTP_ENVELOPE_FROM (--smtp-envelope-from): %q is not a plain address", c.SMTPEnvelope)
		}
	}
	if c.SMTPAddr == "" {
		if c.SMTPUser != "" || c.SMTPPassword != "" {
			return errors.New("DISCLOSE_SMTP_USER / DISCLOSE_SMTP_PASSWORD are set but DISCLOSE_SMTP_ADDR is not")
		}
		return nil
	}
	if c.from == nil {
		return errors.New("DISCLOSE_SMTP_FROM (--smtp-from): set the From address of the portal's mail (or DISCLOSE_SECURITY_EMAIL)")
	}
	if (c.SMTPUser == "") != (c.SMTPPassword == "") {
		return errors.New("DISCLOSE_SMTP_USER and DISCLOSE_SMTP_PASSWORD: set both or neither")
	}
	if err := (&mailin.SMTPConfig{Addr: c.SMTPAddr, Security: c.SMTPTLS}).Validate(); err != nil {
		return fmt.Errorf("DISCLOSE_SMTP_ADDR / DISCLOSE_SMTP_TLS: %v", err)
	}
	return nil
}

// messageDomain is the right part of our Message-IDs: the base URL's host
// when it is a domain name, else the From address's domain.
func messageDomain(base *url.URL, from *mail.Address) string {
	host := base.Hostname()
	if host != "" && net.ParseIP(host) == nil && strings.Contains(host, ".") {
		return strings.ToLower(host)
	}
	if from != nil {
		if i := strings.LastIndexByte(from.Address, '@'); i >= 0 && i < len(from.Address)-1 {
			return strings.ToLower(from.Address[i+1:])
		}
	}
	return "localhost"
}

package mailin

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/emersion/go-imap/v2"
)

// TLS modes of the IMAP connection.
const (
	TLSImplicit = "tls"      // port 993
	TLSStart    = "starttls" // port 143, upgraded before login
	TLSNone     = "none"     // loopback only: the password would travel in clear
)

// Config is what intake needs to reach and read the security mailbox.
type Config struct {
	Addr      string // host:port
	TLS       string // tls, starttls or none
	User      string
	Password  string
	Mailbox   string        // read from here (INBOX)
	Processed string        // moved here after commit (created if missing)
	Interval  time.Duration // poll interval; with IDLE, the longest wait between polls
	Limits    Limits
	// MaxAttempts is how often a message may fail before it is set aside.
	MaxAttempts int
	// SpoolDir holds large messages and parts while they are read (the data
	// directory, so report content stays where the database is).
	SpoolDir string
	// MessageIDDomain is the right side of the Message-IDs of the
	// acknowledgements intake writes to the outbox.
	MessageIDDomain string
	// OwnAddresses are the portal's own addresses: mail from them is never
	// acknowledged, so two portals cannot loop.
	OwnAddresses []string
	// TLSConfig overrides the TLS settings (tests trust their own CA).
	TLSConfig *tls.Config
	// BatchSize is how many messages one FETCH asks for.
	BatchSize int

	// Key is the name the mailbox's position and messages are kept under
	// in the database; empty: Mailbox (the environment's mailbox). Each
	// configured mailbox has its own (db.Mailbox.Key): two servers may
	// both have an INBOX.
	Key string
	// SubjectContains and To select the mail intake takes from a shared
	// mailbox (IMAP SEARCH on the server: subject contains, To or Cc
	// contains); the rest is never fetched, flagged or moved.
	SubjectContains, To string
	// CheckAddr makes every connection to the server check the address it
	// is about to connect to, after name resolution, against Reach (the
	// webhooks' rule): a mailbox an organisation's admin set up must not
	// make the portal reach into its own network.
	CheckAddr bool
	// Reach is what CheckAddr allows (serve: DISCLOSE_WEBHOOK_ALLOW_PRIVATE).
	Reach db.WebhookReach
	// ProgramID is the program new reports of an organisation's mailbox go
	// to (db.IngestOptions.ProgramID); 0 for the environment's mailbox.
	ProgramID int64
	// OnPoll, when set, records each poll's outcome (error text, selected
	// messages waiting) instead of the store's RecordPoll: configured
	// mailboxes keep their own health.
	OnPoll func(ctx context.Context, pollErr string, backlog int)
}

// key is the name the mailbox is kept under in the database.
func (c *Config) key() string {
	if c.Key != "" {
		return c.Key
	}
	return c.Mailbox
}

// criteria is the IMAP SEARCH that selects the mail intake takes.
func (c *Config) criteria() *imap.SearchCriteria {
	sc := &imap.SearchCriteria{}
	if c.SubjectContains != "" {
		sc.Header = append(sc.Header, imap.SearchCriteriaHeaderField{Key: "Subject", Value: c.SubjectContains})
	}
	if c.To != "" {
		sc.Or = append(sc.Or, [2]imap.SearchCriteria{
			{Header: []imap.SearchCriteriaHeaderField{{Key: "To", Value: c.To}}},
			{Header: []imap.SearchCriteriaHeaderField{{Key: "Cc", Value: c.To}}}})
	}
	return sc
}

// Validate fills defaults and checks the settings across fields; its errors
// name the setting as the operator sets it.
func (c *Config) Validate() error {
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil || host == "" || port == "" {
		return fmt.Errorf("DISCLOSE_IMAP_ADDR (--imap-addr): %q is not host:port, like imap.example.org:993", c.Addr)
	}
	switch c.TLS {
	case TLSImplicit, TLSStart:
	case TLSNone:
		if !IsLoopback(host) {
			return fmt.Errorf("DISCLOSE_IMAP_TLS (--imap-tls): none would send the password in clear; it is allowed only towards a loopback address, not %s (use tls or starttls)", host)
		}
	default:
		return fmt.Errorf("DISCLOSE_IMAP_TLS (--imap-tls): %q must be tls, starttls or none", c.TLS)
	}
	if c.User == "" {
		return errors.New("DISCLOSE_IMAP_USER (--imap-user): required when DISCLOSE_IMAP_ADDR is set")
	}
	if c.Password == "" {
		return errors.New("DISCLOSE_IMAP_PASSWORD (--imap-password, or DISCLOSE_IMAP_PASSWORD_FILE): required when DISCLOSE_IMAP_ADDR is set")
	}
	if c.Mailbox == "" {
		c.Mailbox = "INBOX"
	}
	if c.Processed == "" {
		c.Processed = "Processed"
	}
	if strings.EqualFold(c.Mailbox, c.Processed) {
		return errors.New("DISCLOSE_IMAP_PROCESSED (--imap-processed): must differ from DISCLOSE_IMAP_MAILBOX")
	}
	if c.Interval <= 0 {
		return errors.New("DISCLOSE_IMAP_INTERVAL (--imap-interval): must be positive, like 1m")
	}
	if c.Limits == (Limits{}) {
		c.Limits = DefaultLimits
	}
	if c.Limits.MaxHeaderBytes == 0 {
		c.Limits.MaxHeaderBytes = DefaultLimits.MaxHeaderBytes
	}
	if c.Limits.MaxTextBytes == 0 {
		c.Limits.MaxTextBytes = DefaultLimits.MaxTextBytes
	}
	if c.Limits.MaxAttachments == 0 {
		c.Limits.MaxAttachments = DefaultLimits.MaxAttachments
	}
	if c.Limits.MaxAttachmentBytes <= 0 || c.Limits.MaxMessageBytes <= 0 {
		return errors.New("DISCLOSE_IMAP_MAX_ATTACHMENT / DISCLOSE_IMAP_MAX_MESSAGE: must be positive byte counts")
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 3
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 100
	}
	if c.MessageIDDomain == "" {
		c.MessageIDDomain = "disclose.invalid"
	}
	return nil
}

// IsLoopback says whether host is a loopback address or "localhost"; names
// are not resolved, so DNS cannot turn a remote host into an exception.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

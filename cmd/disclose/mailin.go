package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin"
)

// imapConfig is the mail intake's part of the settings; serve and mailin
// share it.
type imapConfig struct {
	Addr          string
	TLS           string
	User          string
	Password      string
	Mailbox       string
	Processed     string
	Interval      time.Duration
	MaxAttachment int64
	MaxMessage    int64
	// alsoOwn are more of our own addresses (the SMTP From), whose mail is
	// never taken for a reporter's.
	alsoOwn []string
}

func (c *imapConfig) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "imap-addr", "", "IMAP server of the security mailbox (host:port); empty: mail intake off")
	fs.StringVar(&c.TLS, "imap-tls", "tls", "IMAP connection security: tls (port 993), starttls (port 143) or none (loopback only)")
	fs.StringVar(&c.User, "imap-user", "", "IMAP user name")
	fs.StringVar(&c.Password, "imap-password", "", "IMAP password (prefer --imap-password-file)")
	fs.StringVar(&c.Mailbox, "imap-mailbox", "INBOX", "mailbox to read reports from")
	fs.StringVar(&c.Processed, "imap-processed", "Processed", "mailbox that taken messages are moved to (created if missing)")
	fs.DurationVar(&c.Interval, "imap-interval", time.Minute, "poll interval; with IMAP IDLE, the longest wait between polls")
	fs.Int64Var(&c.MaxAttachment, "imap-max-attachment", mailin.DefaultLimits.MaxAttachmentBytes, "bytes per mailed attachment; a larger one is left out with a note (the raw mail is kept)")
	fs.Int64Var(&c.MaxMessage, "imap-max-message", mailin.DefaultLimits.MaxMessageBytes, "bytes of attachments per mail; beyond, parts are left out with a note")
}

// intakeConfig turns the settings into the gateway's config; ok is false
// when no address is set (intake off).
func (c *imapConfig) intakeConfig(data, securityEmail string, baseURL *url.URL) (cfg mailin.Config, ok bool, err error) {
	if c.Addr == "" {
		return cfg, false, nil
	}
	cfg = mailin.Config{
		Addr: c.Addr, TLS: c.TLS, User: c.User, Password: c.Password, Mailbox: c.Mailbox, Processed: c.Processed,
		Interval: c.Interval, SpoolDir: filepath.Join(data, "tmp"),
		Limits: mailin.Limits{MaxAttachmentBytes: c.MaxAttachment, MaxMessageBytes: c.MaxMessage,
			MaxAttachments: mailin.DefaultLimits.MaxAttachments, MaxTextBytes: mailin.DefaultLimits.MaxTextBytes,
			MaxHeaderBytes: mailin.DefaultLimits.MaxHeaderBytes},
	}
	if securityEmail != "" {
		cfg.OwnAddresses = append(cfg.OwnAddresses, securityEmail)
		cfg.MessageIDDomain = securityEmail[strings.LastIndexByte(securityEmail, '@')+1:]
	} else if baseURL != nil {
		cfg.MessageIDDomain = baseURL.Hostname()
	}
	if strings.Contains(c.User, "@") {
		cfg.OwnAddresses = append(cfg.OwnAddresses, c.User)
	}
	cfg.OwnAddresses = append(cfg.OwnAddresses, c.alsoOwn...)
	if err := cfg.Validate(); err != nil {
		return cfg, false, err
	}
	if err := os.MkdirAll(cfg.SpoolDir, 0o700); err != nil {
		return cfg, false, fmt.Errorf("create %s: %w", cfg.SpoolDir, err)
	}
	return cfg, true, nil
}

// startIntake starts mail intake beside the web server and returns a stop
// function that waits (up to timeout) for the message in hand to finish.
func startIntake(c *imapConfig, data, securityEmail string, baseURL *url.URL, d *db.DB, log *slog.Logger, p *mailin.PGP) (stop func(timeout time.Duration), err error) {
	cfg, ok, err := c.intakeConfig(data, securityEmail, baseURL)
	if err != nil {
		return nil, err
	}
	if !ok {
		log.Info("mail intake off: DISCLOSE_IMAP_ADDR is not set")
		return func(time.Duration) {}, nil
	}
	in, err := mailin.New(cfg, d, log)
	if err != nil {
		return nil, err
	}
	in.UsePGP(p)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		in.Run(ctx)
	}()
	return func(timeout time.Duration) {
		cancel()
		select {
		case <-done:
		case <-time.After(timeout):
			log.Warn("mail intake did not stop in time")
		}
	}, nil
}

func runMailin(ctx context.Context, env *environment, args []string) error {
	var cfg serveConfig
	var once bool
	fs := newFlagSet(env, "mailin", "Read the security mailbox over IMAP and turn mail into reports and replies.\nWith --once it polls once and exits (non-zero on failure): for cron and tests.\nWithout it, it keeps polling (serve does this too when DISCLOSE_IMAP_ADDR is set).\n"+
		"A sealed database is sealed here too, as by serve; with the team key's passphrase, encrypted mail is decrypted at once.")
	cfg.coreFlags(fs)
	cfg.IMAP.flags(fs)
	fs.StringVar(&cfg.SecurityEmail, "security-email", "", "the address reporters write to (its domain names acknowledgement Message-IDs)")
	fs.StringVar(&cfg.KeyPassphrase, "key-passphrase", "", "passphrase that unlocks the team key, so that encrypted mail is decrypted at once (use DISCLOSE_KEY_PASSPHRASE_FILE; without it such mail waits for serve's unlocked key)")
	fs.BoolVar(&cfg.Seal, "seal", false, "seal the database as serve --seal does (a sealed database is sealed whatever this says)")
	fs.BoolVar(&once, "once", false, "poll once and exit")
	if err := parseFlags(fs, args, env.getenv); err != nil {
		return err
	}
	if err := cfg.validateCore(); err != nil {
		return err
	}
	if cfg.IMAP.Addr == "" {
		return errors.New("DISCLOSE_IMAP_ADDR (--imap-addr): required for mailin")
	}
	mcfg, _, err := cfg.IMAP.intakeConfig(cfg.Data, cfg.SecurityEmail, nil)
	if err != nil {
		return err
	}
	log := cfg.logger(env.stderr)
	d, err := db.Open(ctx, cfg.dbPath())
	if err != nil {
		return fmt.Errorf("open database in %s: %w", cfg.Data, err)
	}
	defer d.Close()
	_, tk, err := teamKeySealed(ctx, fs, &cfg, d, log)
	if err != nil {
		return err
	}
	in, err := mailin.New(mcfg, d, log)
	if err != nil {
		return err
	}
	var p *mailin.PGP
	if tk != nil {
		// Without the passphrase the key stays locked: encrypted mail is kept
		// pending and serve decrypts it once its key is unlocked.
		defer tk.Lock()
		p = &mailin.PGP{Key: tk, Known: d.KnownKeys, Now: d.Now}
		in.UsePGP(p)
		if err := decryptPendingNow(ctx, env, d, p, log); err != nil {
			return err
		}
	}
	if !once {
		return in.Run(ctx)
	}
	stats, err := in.PollOnce(ctx)
	if stats != nil {
		fmt.Fprintf(env.stdout, "fetched %d: %d new reports, %d replies, %d kept for admins, %d already taken, %d failed, %d set aside; moved %d\n",
			stats.Fetched, stats.Reports, stats.Replies, stats.Kept, stats.Again, stats.Failed, stats.SetAside, stats.Moved)
	}
	return err
}

// decryptPendingNow decrypts the mail an earlier run kept encrypted while
// the key was locked, when this run has it unlocked.
func decryptPendingNow(ctx context.Context, env *environment, d *db.DB, p *mailin.PGP, log *slog.Logger) error {
	if !p.Key.Unlocked() {
		return nil
	}
	n, err := mailin.DecryptPending(ctx, d, p, mailin.DefaultLimits, log)
	if n > 0 {
		fmt.Fprintf(env.stdout, "decrypted %d mails kept while the team key was locked\n", n)
	}
	if err != nil {
		return fmt.Errorf("decrypting mail kept while the team key was locked: %w", err)
	}
	return nil
}

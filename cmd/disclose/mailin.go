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
	// Reach is where organisations' mailboxes may connect (set from
	// --webhook-allow-private, not a flag of its own).
	Reach         db.WebhookReach
	Addr          string
	TLS           string
	User          string
	Password      string
	Mailbox       string
	Processed     string
	Interval      time.Duration
	MaxAttachment int64
	MaxMessage    int64
	// SubjectContains and To select the security mail of a shared mailbox.
	SubjectContains string
	To              string
	// alsoOwn are more of our own addresses (the SMTP From), whose mail is
	// never taken for a reporter's.
	alsoOwn []string
}

func (c *imapConfig) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "imap-addr", "", "IMAP server of the security mailbox (host:port); empty: only the mailboxes configured in the database are read")
	fs.StringVar(&c.TLS, "imap-tls", "tls", "IMAP connection security: tls (port 993), starttls (port 143) or none (loopback only)")
	fs.StringVar(&c.User, "imap-user", "", "IMAP user name")
	fs.StringVar(&c.Password, "imap-password", "", "IMAP password (prefer --imap-password-file)")
	fs.StringVar(&c.Mailbox, "imap-mailbox", "INBOX", "mailbox to read reports from")
	fs.StringVar(&c.Processed, "imap-processed", "Processed", "mailbox that taken messages are moved to (created if missing)")
	fs.DurationVar(&c.Interval, "imap-interval", time.Minute, "poll interval; with IMAP IDLE, the longest wait between polls")
	fs.Int64Var(&c.MaxAttachment, "imap-max-attachment", mailin.DefaultLimits.MaxAttachmentBytes, "bytes per mailed attachment; a larger one is left out with a note (the raw mail is kept)")
	fs.StringVar(&c.SubjectContains, "imap-subject-contains", "", "take only mail whose subject contains this text (a shared mailbox; the rest stays untouched)")
	fs.StringVar(&c.To, "imap-to", "", "take only mail whose To or Cc contains this address (a shared mailbox; the rest stays untouched)")
	fs.Int64Var(&c.MaxMessage, "imap-max-message", mailin.DefaultLimits.MaxMessageBytes, "bytes of attachments per mail; beyond, parts are left out with a note")
}

// intakeConfig turns the settings into the gateway's config; ok is false
// when no address is set (the environment's intake off). Without an
// address, cfg still holds what the configured mailboxes share (limits,
// spool, interval, own addresses).
func (c *imapConfig) intakeConfig(data, securityEmail string, baseURL *url.URL) (cfg mailin.Config, ok bool, err error) {
	cfg = mailin.Config{
		Addr: c.Addr, TLS: c.TLS, User: c.User, Password: c.Password, Mailbox: c.Mailbox, Processed: c.Processed,
		SubjectContains: strings.TrimSpace(c.SubjectContains), To: strings.TrimSpace(c.To),
		Interval: c.Interval, SpoolDir: filepath.Join(data, "tmp"), Reach: c.Reach,
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
	if err := os.MkdirAll(cfg.SpoolDir, 0o700); err != nil {
		return cfg, false, fmt.Errorf("create %s: %w", cfg.SpoolDir, err)
	}
	if c.Addr == "" {
		return cfg, false, nil
	}
	if err := cfg.Validate(); err != nil {
		return cfg, false, err
	}
	return cfg, true, nil
}

// mailboxReload is how often serve and mailin look at the mailboxes
// configured in the database (mailin.Supervisor): one added, changed or
// removed in the dashboard or with `disclose mailbox` takes effect within
// it, without a restart.
const mailboxReload = 30 * time.Second

// envIntake is the environment's intake (nil when DISCLOSE_IMAP_ADDR is not
// set) and the settings every configured mailbox shares.
func envIntake(c *imapConfig, data, securityEmail string, baseURL *url.URL, d *db.DB, log *slog.Logger, p *mailin.PGP) (*mailin.Intake, mailin.Config, error) {
	cfg, ok, err := c.intakeConfig(data, securityEmail, baseURL)
	if err != nil || !ok {
		return nil, cfg, err
	}
	in, err := mailin.New(cfg, d, log)
	if err != nil {
		return nil, cfg, err
	}
	if p != nil {
		in.UsePGP(p)
	}
	return in, cfg, nil
}

// intakes are the environment's intake (when its address is set) and one
// per mailbox configured in the database now: for polling once.
func intakes(ctx context.Context, c *imapConfig, data, securityEmail string, baseURL *url.URL, d *db.DB, log *slog.Logger, p *mailin.PGP) ([]*mailin.Intake, error) {
	in, cfg, err := envIntake(c, data, securityEmail, baseURL, d, log, p)
	if err != nil {
		return nil, err
	}
	var out []*mailin.Intake
	if in != nil {
		out = append(out, in)
	}
	more, err := configuredIntakes(ctx, d, cfg, log, p)
	if err != nil {
		return nil, err
	}
	return append(out, more...), nil
}

// runIntakes reads the environment's mailbox (in, when set) and every
// mailbox configured in the database, following that configuration while
// it runs (mailin.Supervisor), until ctx ends.
func runIntakes(ctx context.Context, in *mailin.Intake, base mailin.Config, d *db.DB, log *slog.Logger, p *mailin.PGP) {
	sup := mailin.NewSupervisor(ctx, d, base, log, p)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sup.Run(mailboxReload)
	}()
	if in != nil {
		mailin.RunAll(ctx, []*mailin.Intake{in})
	}
	<-done
}

// startIntake starts mail intake beside the web server and returns a stop
// function that waits (up to timeout) for the message in hand to finish.
// It runs without any mailbox too: one configured later is read from the
// supervisor's next look.
func startIntake(c *imapConfig, data, securityEmail string, baseURL *url.URL, d *db.DB, log *slog.Logger, p *mailin.PGP) (stop func(timeout time.Duration), err error) {
	in, base, err := envIntake(c, data, securityEmail, baseURL, d, log, p)
	if err != nil {
		return nil, err
	}
	if in == nil {
		log.Info("mail intake: DISCLOSE_IMAP_ADDR is not set; reading the mailboxes configured in the database", "reload", mailboxReload.String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		runIntakes(ctx, in, base, d, log, p)
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
	cfg.reachFlag(fs)
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
	if _, _, err := cfg.IMAP.intakeConfig(cfg.Data, cfg.SecurityEmail, nil); err != nil {
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
	var p *mailin.PGP
	if tk != nil {
		// Without the passphrase the key stays locked: encrypted mail is kept
		// pending and serve decrypts it once its key is unlocked.
		defer tk.Lock()
		p = &mailin.PGP{Key: tk, Known: d.KnownKeys, Now: d.Now}
		if err := decryptPendingNow(ctx, env, d, p, log); err != nil {
			return err
		}
	}
	cfg.IMAP.Reach = cfg.WebhookReach
	all, err := intakes(ctx, &cfg.IMAP, cfg.Data, cfg.SecurityEmail, nil, d, log, p)
	if err != nil {
		return err
	}
	if len(all) == 0 {
		return errors.New("DISCLOSE_IMAP_ADDR (--imap-addr): required for mailin when no mailbox is configured (disclose mailbox add)")
	}
	if !once {
		in, base, err := envIntake(&cfg.IMAP, cfg.Data, cfg.SecurityEmail, nil, d, log, p)
		if err != nil {
			return err
		}
		runIntakes(ctx, in, base, d, log, p)
		return nil
	}
	stats, err := mailin.PollAll(ctx, all)
	for _, s := range stats {
		if s != nil {
			fmt.Fprintf(env.stdout, "fetched %d: %d new reports, %d replies, %d kept for admins, %d already taken, %d failed, %d set aside; moved %d\n",
				s.Fetched, s.Reports, s.Replies, s.Kept, s.Again, s.Failed, s.SetAside, s.Moved)
		}
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

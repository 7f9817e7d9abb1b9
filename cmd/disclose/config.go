package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/disclose/disclose/db"
)

// envName is the environment variable of a flag: --base-url is
// DISCLOSE_BASE_URL.
func envName(flagName string) string {
	return "DISCLOSE_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// secretFlags may also be read from a file named by --NAME-file or
// DISCLOSE_NAME_FILE, so that secrets stay out of the process list.
var secretFlags = map[string]bool{"imap-password": true}

// parseFlags parses args, then fills every flag not given on the command line
// from its environment variable, then reads secret files. An invalid value
// fails with one line naming the setting.
func parseFlags(fs *flag.FlagSet, args []string, getenv func(string) string) error {
	for name := range secretFlags {
		if fs.Lookup(name) != nil && fs.Lookup(name+"-file") == nil {
			fs.String(name+"-file", "", "read --"+name+" from this file")
		}
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if err != nil || set[f.Name] {
			return
		}
		if v := getenv(envName(f.Name)); v != "" {
			if serr := fs.Set(f.Name, v); serr != nil {
				err = fmt.Errorf("%s: invalid value %q: %v", envName(f.Name), v, serr)
			}
			set[f.Name] = true
		}
	})
	if err != nil {
		return err
	}
	for name := range secretFlags {
		// A command's own --NAME-file without --NAME (mailbox add's
		// --imap-password-file) is that command's flag, not this one.
		file := fs.Lookup(name + "-file")
		if fs.Lookup(name) == nil || file == nil || file.Value.String() == "" {
			continue
		}
		if set[name] {
			return fmt.Errorf("--%s and --%s-file (%s, %s_FILE) are both set; set one", name, name, envName(name), envName(name))
		}
		buf, rerr := os.ReadFile(file.Value.String())
		if rerr != nil {
			return fmt.Errorf("%s_FILE: %v", envName(name), rerr)
		}
		if serr := fs.Set(name, strings.TrimRight(string(buf), "\r\n")); serr != nil {
			return fmt.Errorf("%s_FILE: invalid value: %v", envName(name), serr)
		}
	}
	return nil
}

// serveConfig is everything `disclose serve` needs.
type serveConfig struct {
	Addr             string
	Data             string
	BaseURL          string
	SecurityEmail    string
	LogLevel         string
	LogFormat        string
	Languages        string
	MaxBody          int64
	CacheMB          int64
	MaxFiles         int
	MaxFileSize      int64
	SubmitRate       float64
	SubmitBurst      int
	StatusRate       float64
	StatusBurst      int
	ShutdownTimeout  time.Duration
	mail             mailConfig
	KeyPassphrase    string
	Seal             bool
	IMAP             imapConfig
	WebhookReach     db.WebhookReach
	baseURL          *url.URL
	baseURLDefaulted bool
	opsConfig
}

// coreFlags registers the settings every command that opens the database
// shares.
func (c *serveConfig) coreFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Data, "data", "./data", "data directory: the SQLite database and keys live here (created if missing)")
	fs.StringVar(&c.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&c.LogFormat, "log-format", "text", "log format: text or json")
}

func (c *serveConfig) flags(fs *flag.FlagSet) {
	c.coreFlags(fs)
	fs.StringVar(&c.Addr, "addr", "127.0.0.1:8080", "listen address (host:port)")
	fs.StringVar(&c.BaseURL, "base-url", "", "public URL of the portal, used in links, cookies (Secure under https), HSTS and security.txt (default http://ADDR)")
	fs.StringVar(&c.SecurityEmail, "security-email", "", "the address reporters write to; shown on the pages and in security.txt")
	fs.StringVar(&c.Languages, "languages", "en", "Preferred-Languages of security.txt (comma-separated language tags)")
	fs.Int64Var(&c.MaxBody, "max-body", 60<<20, "largest request body in bytes (a whole submission with its attachments)")
	fs.IntVar(&c.MaxFiles, "max-files", 5, "attachments per submission or message")
	fs.Int64Var(&c.MaxFileSize, "max-file-size", 10<<20, "bytes per attachment")
	fs.Float64Var(&c.SubmitRate, "submit-rate", 10, "submissions and status-page messages per minute per client (0: no limit)")
	fs.IntVar(&c.SubmitBurst, "submit-burst", 5, "submissions a client may send at once before the rate applies")
	fs.Float64Var(&c.StatusRate, "status-rate", 20, "receipt-code lookups per minute per client (0: no limit)")
	fs.IntVar(&c.StatusBurst, "status-burst", 10, "receipt-code lookups a client may make at once")
	fs.Int64Var(&c.CacheMB, "cache-mb", db.DefaultWriterCacheMiB, "SQLite page cache of the write connection in MiB (a large database commits faster with more)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 15*time.Second, "how long to let requests in flight finish on SIGTERM")
	c.mail.flags(fs)
	fs.StringVar(&c.KeyPassphrase, "key-passphrase", "", "passphrase that unlocks the team key at start (use DISCLOSE_KEY_PASSPHRASE_FILE; without it the key stays locked)")
	fs.BoolVar(&c.Seal, "seal", false, "store report text, messages, attachments, reporter contact and raw mail encrypted to the team key (needs a team key; see disclose seal)")
	c.opsFlags(fs)
	c.IMAP.flags(fs)
	c.reachFlag(fs)
}

// reachFlag is --webhook-allow-private: where webhooks, and the mailboxes
// organisations' admins set up, may connect.
func (c *serveConfig) reachFlag(fs *flag.FlagSet) {
	fs.Var(webhookReachFlag{&c.WebhookReach}, "webhook-allow-private", "let webhooks and organisations' mailboxes connect to private addresses (10/8, 172.16/12, 192.168/16, fc00::/7, 100.64/10): "+
		"false, true, or loopback (private and this host too); link-local and cloud metadata addresses are refused always")
}

// webhookReachFlag is --webhook-allow-private: a bool flag (given alone it
// means true) that also takes the value loopback.
type webhookReachFlag struct{ r *db.WebhookReach }

func (f webhookReachFlag) String() string {
	if f.r == nil {
		return db.WebhookReachPublic.String()
	}
	return f.r.String()
}

func (f webhookReachFlag) Set(s string) error {
	r, err := db.ParseWebhookReach(strings.ToLower(strings.TrimSpace(s)))
	if err != nil {
		return err
	}
	*f.r = r
	return nil
}

func (f webhookReachFlag) IsBoolFlag() bool { return true }

// validate checks settings across fields and says which one is wrong.
func (c *serveConfig) validate() error {
	if err := c.validateCore(); err != nil {
		return err
	}
	if err := c.validateOps(); err != nil {
		return err
	}
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return fmt.Errorf("DISCLOSE_ADDR (--addr): %q is not host:port", c.Addr)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("DISCLOSE_ADDR (--addr): port %q is not a number from 0 to 65535", port)
	}
	if c.BaseURL == "" {
		c.baseURLDefaulted = true
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "localhost"
		}
		c.BaseURL = c.scheme() + "://" + net.JoinHostPort(host, port)
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("DISCLOSE_BASE_URL (--base-url): %q must be an absolute http:// or https:// URL without query or fragment", c.BaseURL)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	c.baseURL = u
	if c.SecurityEmail != "" {
		if a, err := mail.ParseAddress(c.SecurityEmail); err != nil || a.Address != c.SecurityEmail {
			return fmt.Errorf("DISCLOSE_SECURITY_EMAIL (--security-email): %q is not a plain address like security@example.org", c.SecurityEmail)
		}
	}
	switch {
	case c.MaxFiles < 0:
		return errors.New("DISCLOSE_MAX_FILES (--max-files): must be 0 or more")
	case c.MaxFileSize < 1024:
		return errors.New("DISCLOSE_MAX_FILE_SIZE (--max-file-size): must be at least 1024 bytes")
	case c.MaxBody < 64<<10:
		return errors.New("DISCLOSE_MAX_BODY (--max-body): must be at least 65536 bytes")
	case c.SubmitRate < 0 || c.StatusRate < 0:
		return errors.New("DISCLOSE_SUBMIT_RATE / DISCLOSE_STATUS_RATE: must be 0 (no limit) or more")
	case c.SubmitBurst < 1 || c.StatusBurst < 1:
		return errors.New("DISCLOSE_SUBMIT_BURST / DISCLOSE_STATUS_BURST: must be 1 or more")
	case c.CacheMB < 2 || c.CacheMB > 65536:
		return errors.New("DISCLOSE_CACHE_MB (--cache-mb): must be 2 to 65536 (MiB)")
	case c.ShutdownTimeout <= 0:
		return errors.New("DISCLOSE_SHUTDOWN_TIMEOUT (--shutdown-timeout): must be positive, like 15s")
	}
	return c.mail.validate(c.SecurityEmail)
}

func (c *serveConfig) validateCore() error {
	if c.Data == "" {
		return errors.New("DISCLOSE_DATA (--data): must name a directory")
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		return err
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("DISCLOSE_LOG_FORMAT (--log-format): %q must be text or json", c.LogFormat)
	}
	return nil
}

func (c *serveConfig) dbPath() string { return filepath.Join(c.Data, "disclose.db") }

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("DISCLOSE_LOG_LEVEL (--log-level): %q must be debug, info, warn or error", s)
	}
	return l, nil
}

func (c *serveConfig) logger(w io.Writer) *slog.Logger {
	level, _ := parseLevel(c.LogLevel)
	opts := &slog.HandlerOptions{Level: level}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

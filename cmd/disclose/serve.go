package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/handlers"
	"github.com/disclose/disclose/mailin/pgp"
)

func runServe(ctx context.Context, env *environment, args []string) error {
	var cfg serveConfig
	fs := newFlagSet(env, "serve", "Run the portal: the public pages, the staff dashboard and the mail workers.\nWith no settings it serves http://127.0.0.1:8080 with its database under ./data.")
	cfg.flags(fs)
	var auth authConfig
	auth.flags(fs)
	if err := parseFlags(fs, args, env.getenv); err != nil {
		return err
	}
	if err := cfg.validate(); err != nil {
		return &envError{err}
	}
	if err := auth.validate(); err != nil {
		return err
	}
	log := cfg.logger(env.stderr)
	lock, err := prepareDataDir(cfg.Data)
	if err != nil {
		return err
	}
	defer lock.Close()
	problems := db.NewProblems(log)

	db.WriterCacheMiB.Store(cfg.CacheMB)
	d, err := db.Open(ctx, cfg.dbPath())
	if err != nil {
		return openError(cfg.Data, err)
	}
	defer d.Close()
	if missing, err := d.MissingBuildOptions(ctx); err == nil && len(missing) > 0 {
		log.Warn("this binary's SQLite was built without options the portal expects; build with `make build` for full speed", "missing", strings.Join(missing, ","))
	}
	var certs *certReloader
	if cfg.TLSCert == "" && len(cfg.trustedProxies) == 0 && !cfg.baseURLDefaulted && cfg.baseURL.Scheme == "https" {
		// An https base URL served as plain http means a proxy in front.
		msg := "the base URL is https but the portal serves plain http with no trusted proxy: if a reverse proxy forwards to it, " +
			"set DISCLOSE_TRUSTED_PROXIES, or every client shares one rate-limit and lockout budget"
		if cfg.MetricsLoopback {
			msg += ", and DISCLOSE_METRICS_LOOPBACK opens /metrics to everyone through a proxy on this host"
		}
		log.Warn(msg)
	}
	if cfg.TLSCert != "" {
		if certs, err = newCertReloader(cfg.TLSCert, cfg.TLSKey, log, problems); err != nil {
			return &envError{err}
		}
	}
	auth.apply(d)

	// Before wireTeamKey: its "locked" banner says what sealing implies.
	key, tk, err := teamKeySealed(ctx, fs, &cfg, d, log)
	if err != nil {
		return err
	}
	keyCtl, keyControl, mailPGP := wireTeamKey(key, d, problems, log)

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return &envError{fmt.Errorf("DISCLOSE_ADDR (--addr): cannot listen on %s: %w", cfg.Addr, err)}
	}
	if cfg.baseURLDefaulted {
		// The listener knows the real port (the address may say :0).
		cfg.baseURL = &url.URL{Scheme: cfg.scheme(), Host: displayHost(ln.Addr().(*net.TCPAddr))}
	}
	out, err := newOutbound(&cfg, d, log, tk, problems)
	if err != nil {
		ln.Close()
		return fmt.Errorf("mail: %w", err)
	}
	metrics := handlers.NewMetrics(d, problems, log)
	pub := newPublisher(d, log)
	srv, err := handlers.New(ctx, handlers.Config{
		BaseURL:            cfg.baseURL,
		SecurityEmail:      cfg.SecurityEmail,
		PreferredLanguages: cfg.Languages,
		Limits:             db.Limits{MaxFiles: cfg.MaxFiles, MaxFileBytes: cfg.MaxFileSize, MaxTextRunes: db.DefaultLimits.MaxTextRunes},
		MaxBody:            cfg.MaxBody,
		SpoolDir:           filepath.Join(cfg.Data, "tmp"),
		SubmitRate:         handlers.RateLimit{PerMinute: cfg.SubmitRate, Burst: cfg.SubmitBurst},
		StatusRate:         handlers.RateLimit{PerMinute: cfg.StatusRate, Burst: cfg.StatusBurst},
		ResetRate:          handlers.DefaultResetRate,
		APIRate:            handlers.DefaultAPIRate,
		SSORate:            handlers.DefaultSSORate,
		ResetMail:          out.notifier,
		InviteMail:         out.notifier,
		InactiveDisable:    auth.InactiveDisable,
		TeamKey:            key,
		WakePublisher:      pub.Wake,
		Metrics:            metrics,
		MetricsToken:       cfg.MetricsToken,
		MetricsLoopback:    cfg.MetricsLoopback,
		TrustedProxies:     cfg.trustedProxies,
		Problems:           problems,
		KeyControl:         keyControl,
		WebhookReach:       cfg.WebhookReach,
	}, d, log)
	if err != nil {
		ln.Close()
		return err
	}
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // slow uploads of large attachments
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	if cfg.mail.from != nil && cfg.mail.from.Address != cfg.SecurityEmail {
		// Mail we send from another address must never come back as a report.
		cfg.IMAP.alsoOwn = append(cfg.IMAP.alsoOwn, cfg.mail.from.Address)
	}
	cfg.IMAP.Reach = cfg.WebhookReach
	stopIntake, err := startIntake(&cfg.IMAP, cfg.Data, cfg.SecurityEmail, cfg.baseURL, d, log, mailPGP)
	if err != nil {
		ln.Close()
		return err
	}
	errc := make(chan error, 1)
	if certs != nil {
		hs.TLSConfig = certs.tlsConfig()
		go func() { errc <- hs.ServeTLS(ln, "", "") }()
	} else {
		go func() { errc <- hs.Serve(ln) }()
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	// Workers stop when ctx ends (SIGTERM) or serve fails; either way they
	// are waited for before the deferred d.Close runs.
	wctx, stopWorkers := context.WithCancel(ctx)
	bg := &workers{log: log}
	defer func() { stopWorkers(); bg.Wait() }()
	if cfg.RetentionInterval > 0 {
		bg.Go(wctx, "retention", retentionJob(d, log, problems, cfg.RetentionInterval))
	}
	if auth.InactiveDisable {
		bg.Go(wctx, "account-review", reviewJob(d, log, time.Hour))
	}
	bg.Go(wctx, "storage-watchdog", storageWatchdog(d, cfg.Data, problems, 30*time.Second))
	bg.Go(wctx, "optimize", optimizeJob(d, log, optimizeInterval))
	bg.Go(wctx, "advisory-publisher", pub.run)
	bg.Go(wctx, "incident-clocks", incidentClockJob(d, log, cfg.baseURL, messageDomain(cfg.baseURL, cfg.mail.from), time.Minute))
	if keyCtl != nil {
		bg.Go(wctx, "pgp-pending", keyCtl.run)
	}
	out.start(wctx, bg)

	local := cfg.scheme() + "://" + ln.Addr().String() + "/"
	log.Info("listening", "addr", ln.Addr().String(), "base_url", cfg.baseURL.String(), "data", cfg.Data)
	fmt.Fprintf(env.stdout, "disclose is listening on %s\nOpen %s in your browser. Data: %s\n", local, cfg.baseURL.String()+"/", cfg.Data)
	if err := printFirstAdminLink(ctx, env.stdout, d, cfg.baseURL.String()); err != nil {
		log.Error("first admin link", "error", err)
	}
	if env.ready != nil {
		env.ready(local)
	}

wait:
	for {
		select {
		case err := <-errc:
			return fmt.Errorf("serve: %w", err)
		case <-hup:
			if certs == nil {
				log.Info("SIGHUP: no TLS certificate to reload")
				continue
			}
			certs.reload()
		case <-ctx.Done():
			break wait
		}
	}
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("shutdown", "error", err)
	}
	stopIntake(cfg.ShutdownTimeout)
	bg.Wait() // the workers saw ctx end and stop between units of work
	log.Info("stopped")
	return nil
}

// loadTeamKey reads the team key if there is one and unlocks it when a
// passphrase was given. A wrong passphrase stops the start: running with a
// key the operator believes unlocked would be worse.
func loadTeamKey(cfg *serveConfig, log *slog.Logger) (handlers.TeamKey, error) {
	k, err := pgp.LoadTeamKey(filepath.Join(cfg.Data, pgp.KeyFile))
	if err != nil {
		return nil, err
	} else if k == nil {
		if cfg.KeyPassphrase != "" {
			return nil, errors.New("DISCLOSE_KEY_PASSPHRASE_FILE is set but there is no team key; run disclose key generate")
		}
		log.Info("no team OpenPGP key: security.txt is unsigned and reports cannot be encrypted to the team; run disclose key generate")
		return nil, nil
	}
	if cfg.KeyPassphrase != "" {
		if err := k.Unlock([]byte(cfg.KeyPassphrase)); err != nil {
			return nil, fmt.Errorf("DISCLOSE_KEY_PASSPHRASE_FILE: %w", err)
		}
		cfg.KeyPassphrase = ""
	}
	info := k.Info()
	now := time.Now()
	switch {
	case !info.Expires.IsZero() && info.Expires.Before(now):
		log.Error("the team OpenPGP key has expired: reporters cannot encrypt to it; generate or import a new one", "fingerprint", info.Fingerprint, "expired", info.Expires)
	case info.ExpiresWithin(now, 30*24*time.Hour):
		log.Warn("the team OpenPGP key expires within 30 days; extend it or import a new one", "fingerprint", info.Fingerprint, "expires", info.Expires)
	}
	log.Info("team OpenPGP key loaded", "fingerprint", info.Fingerprint, "unlocked", k.Unlocked())
	return k, nil
}

// displayHost is a host:port people can open: the wildcard address becomes
// localhost.
func displayHost(a *net.TCPAddr) string {
	if a.IP.IsUnspecified() {
		return net.JoinHostPort("localhost", fmt.Sprint(a.Port))
	}
	return a.String()
}

package main

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin/mailtest"
)

func parseServeConfig(t *testing.T, env map[string]string, args ...string) (*serveConfig, error) {
	t.Helper()
	var cfg serveConfig
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg.flags(fs)
	if err := parseFlags(fs, args, func(k string) string { return env[k] }); err != nil {
		return nil, err
	}
	return &cfg, cfg.validate()
}

func TestMailConfig(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		pw := filepath.Join(t.TempDir(), "pw")
		os.WriteFile(pw, []byte("s3cret\n"), 0o600)
		cfg, err := parseServeConfig(t, map[string]string{"DISCLOSE_SMTP_ADDR": "mail.example.org:465", "DISCLOSE_SMTP_TLS": "tls",
			"DISCLOSE_SMTP_USER": "portal", "DISCLOSE_SMTP_PASSWORD_FILE": pw, "DISCLOSE_SMTP_FROM": "ACME Security <security@example.org>"})
		if err != nil {
			t.Fatal(err)
		}
		if cfg.mail.SMTPPassword != "s3cret" || cfg.mail.from.Address != "security@example.org" {
			t.Fatalf("password %q from %v", cfg.mail.SMTPPassword, cfg.mail.from)
		}
	})
	t.Run("NoSMTPIsFine", func(t *testing.T) {
		if _, err := parseServeConfig(t, nil); err != nil {
			t.Fatal(err)
		}
	})
	for name, env := range map[string]map[string]string{
		"ErrPlaintextToRemote": {"DISCLOSE_SMTP_ADDR": "mail.example.org:25", "DISCLOSE_SMTP_TLS": "none", "DISCLOSE_SMTP_FROM": "a@example.org"},
		"ErrNoFrom":            {"DISCLOSE_SMTP_ADDR": "mail.example.org:587"},
		"ErrFromInjection":     {"DISCLOSE_SMTP_ADDR": "mail.example.org:587", "DISCLOSE_SMTP_FROM": "a@example.org\r\nBcc: b@example.org"},
		"ErrUserWithoutPass":   {"DISCLOSE_SMTP_ADDR": "mail.example.org:587", "DISCLOSE_SMTP_FROM": "a@example.org", "DISCLOSE_SMTP_USER": "u"},
		"ErrBadTLSMode":        {"DISCLOSE_SMTP_ADDR": "mail.example.org:587", "DISCLOSE_SMTP_FROM": "a@example.org", "DISCLOSE_SMTP_TLS": "ssl"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := parseServeConfig(t, env); err == nil || !strings.Contains(err.Error(), "DISCLOSE_") {
				t.Fatalf("err = %v, want one naming the setting", err)
			}
		})
	}
	t.Run("MessageDomain", func(t *testing.T) {
		from := &mail.Address{Address: "security@acme.example"}
		for base, want := range map[string]string{"https://Portal.Example.org/x": "portal.example.org", "http://127.0.0.1:8080": "acme.example", "http://localhost:8080": "acme.example"} {
			u, _ := url.Parse(base)
			if got := messageDomain(u, from); got != want {
				t.Errorf("messageDomain(%s) = %q, want %q", base, got, want)
			}
		}
	})
}

// TestStartOutbound runs the wired workers against an SMTP sink: a report
// queued before start is acknowledged, and the workers stop when told.
func TestStartOutbound(t *testing.T) {
	ctx := context.Background()
	sink := mailtest.NewSink(t)
	d, err := db.Open(ctx, filepath.Join(t.TempDir(), "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	cfg, err := parseServeConfig(t, map[string]string{"DISCLOSE_SMTP_ADDR": sink.Addr, "DISCLOSE_SMTP_TLS": "none",
		"DISCLOSE_SECURITY_EMAIL": "security@acme.example", "DISCLOSE_BASE_URL": "https://portal.acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := d.DefaultProgram(ctx)
	if _, err := d.CreateReport(ctx, &db.NewReport{ProgramID: p.ID, Source: db.SourceWeb, Title: "XSS", Description: "x",
		Reporter: db.Reporter{Email: "alice@example.net"}}); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	out, err := newOutbound(cfg, d, log, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	wctx, stop := context.WithCancel(ctx)
	bg := &workers{log: log}
	out.start(wctx, bg)
	msgs := sink.Wait(t, 1, 10*time.Second)
	stop()
	bg.Wait()
	if got := msgs[0].Parse(t).Header.Get("From"); got != "<security@acme.example>" {
		t.Fatalf("From %q", got)
	}
}

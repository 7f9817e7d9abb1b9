package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/disclose/disclose/db"
)

// certReloader serves the certificate from files and swaps it on reload
// (SIGHUP), so a renewed certificate (certbot, acme.sh) takes effect without
// dropping connections. A reload that fails keeps the old certificate.
type certReloader struct {
	certFile, keyFile string
	log               *slog.Logger
	problems          *db.Problems
	now               func() time.Time
	cert              atomic.Pointer[tls.Certificate]
}

func newCertReloader(certFile, keyFile string, log *slog.Logger, problems *db.Problems) (*certReloader, error) {
	r := &certReloader{certFile: certFile, keyFile: keyFile, log: log, problems: problems, now: time.Now}
	if err := r.load(); err != nil {
		return nil, fmt.Errorf("DISCLOSE_TLS_CERT / DISCLOSE_TLS_KEY: %w", err)
	}
	return r, nil
}

func (r *certReloader) load() error {
	c, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("load certificate %s with key %s: %w", r.certFile, r.keyFile, err)
	}
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		return fmt.Errorf("parse certificate %s: %w", r.certFile, err)
	}
	c.Leaf = leaf
	r.cert.Store(&c)
	switch left := leaf.NotAfter.Sub(r.now()); {
	case left <= 0:
		r.problems.Set("tls", fmt.Sprintf("the TLS certificate %s expired on %s: renew it and send SIGHUP", r.certFile, leaf.NotAfter.UTC().Format(time.DateOnly)))
	case left < 14*24*time.Hour:
		r.problems.Set("tls", fmt.Sprintf("the TLS certificate %s expires on %s: renew it and send SIGHUP", r.certFile, leaf.NotAfter.UTC().Format(time.DateOnly)))
	default:
		r.problems.Clear("tls")
	}
	return nil
}

// reload reads the files again; on failure the old certificate stays.
func (r *certReloader) reload() {
	if err := r.load(); err != nil {
		r.problems.Set("tls", "TLS certificate reload failed, still serving the previous one: "+err.Error())
		return
	}
	leaf := r.cert.Load().Leaf
	r.log.Info("tls certificate reloaded", "subject", leaf.Subject.String(), "serial", leaf.SerialNumber.String(),
		"not_after", leaf.NotAfter.UTC().Format(time.RFC3339))
}

func (r *certReloader) tlsConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return r.cert.Load(), nil
		},
	}
}

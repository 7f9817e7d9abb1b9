package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"strings"
	"time"
)

func init() { secretFlags["metrics-token"] = true }

// opsConfig is what operations add to `disclose serve`: TLS, proxies,
// metrics and the retention job.
type opsConfig struct {
	TLSCert           string
	TLSKey            string
	TrustedProxies    string
	MetricsToken      string
	MetricsLoopback   bool
	RetentionInterval time.Duration

	trustedProxies []*net.IPNet
}

func (c *opsConfig) opsFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.TLSCert, "tls-cert", "", "serve HTTPS with this PEM certificate chain (reloaded on SIGHUP); needs --tls-key")
	fs.StringVar(&c.TLSKey, "tls-key", "", "PEM private key of --tls-cert")
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", "", "comma-separated CIDRs of reverse proxies whose X-Forwarded-For gives the client address (e.g. 127.0.0.1/32)")
	fs.StringVar(&c.MetricsToken, "metrics-token", "", "bearer token for /metrics; without it (and without --metrics-loopback) /metrics answers 401 to everyone")
	fs.BoolVar(&c.MetricsLoopback, "metrics-loopback", false, "let loopback clients that came through no proxy read /metrics without the token; only when no reverse proxy runs on this host")
	fs.DurationVar(&c.RetentionInterval, "retention-interval", 24*time.Hour, "how often serve applies the retention rules (0: never; run disclose purge from cron instead)")
}

func (c *opsConfig) validateOps() error {
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("DISCLOSE_TLS_CERT and DISCLOSE_TLS_KEY (--tls-cert, --tls-key): set both or neither")
	}
	c.trustedProxies = nil
	for _, s := range strings.Split(c.TrustedProxies, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			if ip := net.ParseIP(s); ip != nil && ip.To4() != nil {
				s += "/32"
			} else {
				s += "/128"
			}
		}
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			return fmt.Errorf("DISCLOSE_TRUSTED_PROXIES (--trusted-proxies): %q is not an address or CIDR like 10.0.0.0/8", s)
		}
		c.trustedProxies = append(c.trustedProxies, n)
	}
	if c.MetricsToken != "" && len(c.MetricsToken) < 16 {
		return errors.New("DISCLOSE_METRICS_TOKEN (--metrics-token): use at least 16 random characters")
	}
	if c.MetricsLoopback {
		for _, n := range c.trustedProxies {
			if n.Contains(net.IPv4(127, 0, 0, 1)) || n.Contains(net.IPv6loopback) {
				return errors.New("DISCLOSE_METRICS_LOOPBACK (--metrics-loopback): a trusted proxy runs on this host (DISCLOSE_TRUSTED_PROXIES), so a local scraper cannot be told from it; set DISCLOSE_METRICS_TOKEN instead")
			}
		}
	}
	if c.RetentionInterval < 0 || (c.RetentionInterval > 0 && c.RetentionInterval < time.Minute) {
		return errors.New("DISCLOSE_RETENTION_INTERVAL (--retention-interval): 0 (off) or at least 1m, like 24h")
	}
	return nil
}

// scheme is what a defaulted base URL starts with.
func (c *opsConfig) scheme() string {
	if c.TLSCert != "" {
		return "https"
	}
	return "http"
}

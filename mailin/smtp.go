package mailin

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// SMTP security modes.
const (
	SMTPTLS      = "tls"      // implicit TLS (port 465)
	SMTPStartTLS = "starttls" // STARTTLS, required unless the server is a loopback address
	SMTPNone     = "none"     // plaintext, loopback servers only
)

// SMTPConfig is how the portal reaches its mail server.
type SMTPConfig struct {
	Addr      string // host:port
	Security  string // tls, starttls or none
	User      string // AUTH PLAIN or LOGIN when set
	Password  string
	LocalName string      // the EHLO name; "localhost" when empty
	TLSConfig *tls.Config // nil: system roots, server name from Addr
	Timeout   time.Duration
}

// Validate refuses settings that would send mail or passwords in the clear
// over a network.
func (c *SMTPConfig) Validate() error {
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil || host == "" {
		return fmt.Errorf("%q is not host:port", c.Addr)
	}
	switch c.Security {
	case SMTPTLS, SMTPStartTLS:
	case SMTPNone:
		if !isLoopback(host) {
			return fmt.Errorf("plaintext SMTP (none) is allowed only to a loopback server, not %q; use tls or starttls", host)
		}
	default:
		return fmt.Errorf("security %q must be tls, starttls or none", c.Security)
	}
	return nil
}

// isLoopback reports whether host names this machine: localhost or a
// loopback IP literal (names other than localhost are not resolved, so DNS
// cannot turn a remote server into a "loopback" one).
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// SMTP sends mail through one server, one connection per mail.
type SMTP struct {
	cfg SMTPConfig
}

// NewSMTP checks cfg and returns a sender.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = time.Minute
	}
	if cfg.LocalName == "" {
		cfg.LocalName = "localhost"
	}
	return &SMTP{cfg: cfg}, nil
}

// PermanentError is a refusal that sending again cannot fix (a 5xx answer
// to the mail itself, a mail that cannot be built).
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// ServerError is a failure to reach or use the mail server at all
// (connection, TLS, greeting, authentication): no mail can go out until it
// is fixed, so admins are told.
type ServerError struct{ Err error }

func (e *ServerError) Error() string { return e.Err.Error() }
func (e *ServerError) Unwrap() error { return e.Err }

// IsServerError reports whether err is about the server, not the mail.
func IsServerError(err error) bool {
	var s *ServerError
	return errors.As(err, &s)
}

// IsPermanent reports whether err says not to try again.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// Send delivers msg from the envelope sender to the recipients. A 5xx answer
// to MAIL, RCPT or DATA is permanent; everything else (4xx, network, TLS,
// authentication) is temporary, since it is about the server, not the mail.
// Send returns nil only once the server accepted the message.
func (s *SMTP) Send(ctx context.Context, from string, to []string, msg []byte) error {
	c, err := s.dial(ctx)
	if err != nil {
		return &ServerError{Err: err}
	}
	defer c.Close()
	if err := c.Mail(from, nil); err != nil {
		return smtpErr("MAIL FROM", err)
	}
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt, nil); err != nil {
			return smtpErr("RCPT TO", err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return smtpErr("DATA", err)
	}
	if _, err := w.Write(msg); err != nil {
		w.Close()
		return smtpErr("DATA", err)
	}
	if err := w.Close(); err != nil {
		return smtpErr("DATA", err)
	}
	c.Quit() // the mail is accepted; a failed QUIT changes nothing
	return nil
}

func smtpErr(stage string, err error) error {
	var se *smtp.SMTPError
	if errors.As(err, &se) && se.Code >= 500 && se.Code < 600 {
		return &PermanentError{Err: fmt.Errorf("smtp %s: %w", stage, err)}
	}
	return fmt.Errorf("smtp %s: %w", stage, err)
}

// dial connects, secures the connection as configured and authenticates.
func (s *SMTP) dial(ctx context.Context) (*smtp.Client, error) {
	host, _, _ := net.SplitHostPort(s.cfg.Addr)
	tlsConfig := s.cfg.TLSConfig.Clone()
	if tlsConfig == nil {
		tlsConfig = &tls.Config{}
	}
	if tlsConfig.ServerName == "" {
		tlsConfig.ServerName = host
	}
	tlsConfig.MinVersion = max(tlsConfig.MinVersion, tls.VersionTLS12)
	d := &net.Dialer{Timeout: s.cfg.Timeout}
	conn, err := d.DialContext(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("smtp connect %s: %w", s.cfg.Addr, err)
	}
	var c *smtp.Client
	switch s.cfg.Security {
	case SMTPTLS:
		c = smtp.NewClient(tls.Client(conn, tlsConfig))
	case SMTPStartTLS:
		if c, err = s.startTLS(ctx, conn, tlsConfig, isLoopback(host)); err != nil {
			return nil, err
		}
	default:
		c = smtp.NewClient(conn)
	}
	c.CommandTimeout, c.SubmissionTimeout = s.cfg.Timeout, 5*s.cfg.Timeout
	if err := c.Hello(s.cfg.LocalName); err != nil {
		c.Close()
		return nil, fmt.Errorf("smtp EHLO: %w", err)
	}
	if s.cfg.User != "" {
		var a sasl.Client
		switch {
		case c.SupportsAuth(sasl.Plain):
			a = sasl.NewPlainClient("", s.cfg.User, s.cfg.Password)
		case c.SupportsAuth(sasl.Login):
			a = sasl.NewLoginClient(s.cfg.User, s.cfg.Password)
		default:
			c.Close()
			return nil, errors.New("smtp AUTH: the server offers neither PLAIN nor LOGIN")
		}
		if err := c.Auth(a); err != nil {
			c.Close()
			return nil, fmt.Errorf("smtp AUTH: %w", err)
		}
	}
	return c, nil
}

// startTLS upgrades conn with STARTTLS. A server that does not offer it is
// refused, except on loopback where the connection never leaves the host.
func (s *SMTP) startTLS(ctx context.Context, conn net.Conn, tlsConfig *tls.Config, loopback bool) (*smtp.Client, error) {
	if loopback {
		probe := smtp.NewClient(conn)
		probe.CommandTimeout = s.cfg.Timeout
		if err := probe.Hello(s.cfg.LocalName); err != nil {
			probe.Close()
			return nil, fmt.Errorf("smtp EHLO: %w", err)
		}
		if ok, _ := probe.Extension("STARTTLS"); !ok {
			probe.Close()
			// A fresh connection, so that EHLO can be said again below.
			d := &net.Dialer{Timeout: s.cfg.Timeout}
			plain, err := d.DialContext(ctx, "tcp", s.cfg.Addr)
			if err != nil {
				return nil, fmt.Errorf("smtp connect %s: %w", s.cfg.Addr, err)
			}
			return smtp.NewClient(plain), nil
		}
		probe.Close()
		d := &net.Dialer{Timeout: s.cfg.Timeout}
		var err error
		if conn, err = d.DialContext(ctx, "tcp", s.cfg.Addr); err != nil {
			return nil, fmt.Errorf("smtp connect %s: %w", s.cfg.Addr, err)
		}
	}
	c, err := smtp.NewClientStartTLS(conn, tlsConfig)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("smtp STARTTLS: %w", err)
	}
	return c, nil
}

// logSafe is an error as the log may carry it: a mail server's answer often
// repeats the recipient's address, so only its codes are logged (the whole
// answer stays in the outbox, where admins read it).
func logSafe(err error) string {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return fmt.Sprintf("SMTP %d %d.%d.%d", se.Code, se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2])
	}
	if IsPermanent(err) || IsServerError(err) {
		return errors.Unwrap(err).Error()
	}
	return err.Error()
}

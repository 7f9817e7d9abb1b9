package mailin

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/mailin/mailtest"
)

// testCert makes a self-signed certificate for 127.0.0.1 and a pool that
// trusts it.
func testCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sink.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

func TestSMTP(t *testing.T) {
	ctx := context.Background()
	msg := []byte("From: a@example.org\r\nTo: b@example.net\r\nSubject: hi\r\n\r\nhello\r\n")
	t.Run("StartTLSWithAuth", func(t *testing.T) {
		cert, pool := testCert(t)
		sink := mailtest.NewSink(t, mailtest.WithTLS(&tls.Config{Certificates: []tls.Certificate{cert}}), mailtest.WithAuth("portal", "s3cret"))
		s, err := NewSMTP(SMTPConfig{Addr: sink.Addr, Security: SMTPStartTLS, User: "portal", Password: "s3cret", TLSConfig: &tls.Config{RootCAs: pool}})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Send(ctx, "bounces@example.org", []string{"b@example.net"}, msg); err != nil {
			t.Fatal(err)
		}
		got := sink.Messages()
		if len(got) != 1 || got[0].Auth != "portal" || got[0].From != "bounces@example.org" {
			t.Fatalf("sink got %+v", got)
		}
	})
	t.Run("ImplicitTLS", func(t *testing.T) {
		cert, pool := testCert(t)
		sink := mailtest.NewSink(t)
		ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
		if err != nil {
			t.Fatal(err)
		}
		mailtest.Serve(t, sink, ln)
		s, err := NewSMTP(SMTPConfig{Addr: ln.Addr().String(), Security: SMTPTLS, TLSConfig: &tls.Config{RootCAs: pool}})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Send(ctx, "a@example.org", []string{"b@example.net"}, msg); err != nil {
			t.Fatal(err)
		}
		if len(sink.Messages()) != 1 {
			t.Fatal("nothing arrived over implicit TLS")
		}
	})
	t.Run("ErrUntrustedCertificate", func(t *testing.T) {
		cert, _ := testCert(t)
		sink := mailtest.NewSink(t, mailtest.WithTLS(&tls.Config{Certificates: []tls.Certificate{cert}}))
		s, _ := NewSMTP(SMTPConfig{Addr: sink.Addr, Security: SMTPStartTLS})
		err := s.Send(ctx, "a@example.org", []string{"b@example.net"}, msg)
		if err == nil || IsPermanent(err) {
			t.Fatalf("untrusted certificate: %v, want a temporary error", err)
		}
		if len(sink.Messages()) != 0 {
			t.Fatal("mail went to an unverified server")
		}
	})
	t.Run("LoginAuth", func(t *testing.T) {
		sink := mailtest.NewSink(t, mailtest.WithAuth("portal", "s3cret"), mailtest.OnlyLogin())
		s, _ := NewSMTP(SMTPConfig{Addr: sink.Addr, Security: SMTPNone, User: "portal", Password: "s3cret"})
		if err := s.Send(ctx, "a@example.org", []string{"b@example.net"}, msg); err != nil {
			t.Fatal(err)
		}
		if got := sink.Messages(); len(got) != 1 || got[0].Auth != "portal" {
			t.Fatalf("sink got %+v", got)
		}
	})
	t.Run("ErrBadPasswordIsTemporary", func(t *testing.T) {
		sink := mailtest.NewSink(t, mailtest.WithAuth("portal", "s3cret"))
		s, _ := NewSMTP(SMTPConfig{Addr: sink.Addr, Security: SMTPNone, User: "portal", Password: "wrong"})
		err := s.Send(ctx, "a@example.org", []string{"b@example.net"}, msg)
		if err == nil || IsPermanent(err) || !IsServerError(err) {
			t.Fatalf("bad password: %v; want a temporary server error (the mail is fine, the setting is not)", err)
		}
	})
	t.Run("StartTLSOptionalOnLoopback", func(t *testing.T) {
		sink := mailtest.NewSink(t)
		s, _ := NewSMTP(SMTPConfig{Addr: sink.Addr, Security: SMTPStartTLS})
		if err := s.Send(ctx, "a@example.org", []string{"b@example.net"}, msg); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ErrPlaintextToRemote", func(t *testing.T) {
		for _, addr := range []string{"mail.example.org:25", "192.0.2.1:25", "localhost.example.org:25"} {
			if _, err := NewSMTP(SMTPConfig{Addr: addr, Security: SMTPNone}); err == nil {
				t.Errorf("plaintext to %s accepted", addr)
			}
		}
		for _, addr := range []string{"127.0.0.1:25", "[::1]:25", "localhost:25"} {
			if _, err := NewSMTP(SMTPConfig{Addr: addr, Security: SMTPNone}); err != nil {
				t.Errorf("plaintext to %s refused: %v", addr, err)
			}
		}
		if _, err := NewSMTP(SMTPConfig{Addr: "mail.example.org:25", Security: "ssl"}); err == nil {
			t.Error("unknown security accepted")
		}
	})
}

func TestLogSafe(t *testing.T) {
	err := smtpErr("RCPT TO", mailtest.Permanent)
	if got := logSafe(err); strings.Contains(got, "No such user") || !strings.Contains(got, "550 5.1.1") {
		t.Fatalf("logSafe = %q", got)
	}
}

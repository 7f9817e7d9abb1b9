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

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "imap test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// TestTLS shows both TLS modes verify the server's certificate: trusted, the
// poll works; untrusted (the system roots), it is refused before login.
func TestTLS(t *testing.T) {
	cert, pool := selfSigned(t)
	start := func(t *testing.T, implicit bool) string {
		mem := imapmemserver.New()
		u := imapmemserver.NewUser("security", "secret")
		u.Create("INBOX", nil)
		mem.AddUser(u)
		srvTLS := &tls.Config{Certificates: []tls.Certificate{cert}}
		opts := &imapserver.Options{
			NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
				return mem.NewSession(), nil, nil
			},
			Caps:   imap.CapSet{imap.CapIMAP4rev2: {}},
			Logger: discardLogger{},
		}
		var ln net.Listener
		var err error
		if implicit {
			ln, err = tls.Listen("tcp", "127.0.0.1:0", srvTLS)
		} else {
			opts.TLSConfig = srvTLS
			ln, err = net.Listen("tcp", "127.0.0.1:0")
		}
		if err != nil {
			t.Fatal(err)
		}
		srv := imapserver.New(opts)
		go srv.Serve(ln)
		t.Cleanup(func() { srv.Close() })
		return ln.Addr().String()
	}
	for _, mode := range []string{TLSImplicit, TLSStart} {
		t.Run("OK/"+mode, func(t *testing.T) {
			addr := start(t, mode == TLSImplicit)
			in := newTestIntake(t, addr, mustOpenDB(t))
			in.cfg.TLS = mode
			in.cfg.TLSConfig = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
			if _, err := in.PollOnce(context.Background()); err != nil {
				t.Fatalf("poll over %s: %v", mode, err)
			}
		})
		t.Run("ErrUntrusted/"+mode, func(t *testing.T) {
			addr := start(t, mode == TLSImplicit)
			in := newTestIntake(t, addr, mustOpenDB(t))
			in.cfg.TLS = mode
			_, err := in.PollOnce(context.Background())
			if err == nil || !strings.Contains(err.Error(), "certificate") {
				t.Fatalf("poll with an untrusted certificate: %v, want a certificate error", err)
			}
		})
	}
}

// TestPollingWithoutIdleAndMove runs against an IMAP4rev1 server without
// IDLE, MOVE or UIDPLUS: intake polls and moves by COPY, \Deleted, EXPUNGE.
func TestPollingWithoutIdleAndMove(t *testing.T) {
	srv, d := startMemIMAP(t, imap.CapSet{imap.CapIMAP4rev1: {}}), mustOpenDB(t)
	in := newTestIntake(t, srv.addr, d)
	in.cfg.Interval = 10 * time.Millisecond
	srv.deliver(t, "INBOX", mailText("ann@researcher.test", "old server", "<old-1@researcher.test>", "", "hello\n"))
	polls := make(chan *PollStats, 10)
	in.afterPoll = func(s *PollStats, err error) {
		if err != nil {
			t.Errorf("poll: %v", err)
		}
		polls <- s
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- in.Run(ctx) }()
	first := <-polls
	second := <-polls // came from the interval: there is no IDLE to wake it
	cancel()
	<-done
	if first.Reports != 1 || first.Moved != 1 || second.Fetched != 0 {
		t.Fatalf("polls = %+v then %+v", first, second)
	}
	if got := srv.count(t, "INBOX"); got != 0 {
		t.Errorf("INBOX has %d, want 0", got)
	}
	if got := srv.count(t, "Processed"); got != 1 {
		t.Errorf("Processed has %d, want 1", got)
	}
}

// TestReconnect starts the loop before the server is up: the failed connect
// is recorded for admins, and intake connects once the server listens.
func TestReconnect(t *testing.T) {
	d := mustOpenDB(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens here for now
	in := newTestIntake(t, addr, d)
	polls := make(chan *PollStats, 10)
	in.afterPoll = func(s *PollStats, err error) {
		if err == nil {
			polls <- s
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- in.Run(ctx) }()
	// The first attempt fails (connection refused) and is recorded.
	for i := 0; i < 200; i++ {
		st, err := d.IntakeStatus(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if st.LastError != "" {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mem := imapmemserver.New()
	u := imapmemserver.NewUser("security", "secret")
	u.Create("INBOX", nil)
	mem.AddUser(u)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev2: {}},
		InsecureAuth: true,
		Logger:       discardLogger{},
	})
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("port %s was taken meanwhile: %v", addr, err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	<-polls // the retry after the backoff connected and polled
	cancel()
	<-done
	st, err := d.IntakeStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.LastError != "" || st.LastErrorAt.IsZero() || st.LastOKAt.IsZero() {
		t.Errorf("status = %+v, want an earlier error and a later success", st)
	}
}

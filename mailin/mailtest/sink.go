// Package mailtest runs a real SMTP server in-process for tests: a sink on
// 127.0.0.1 that records what it accepts and answers as a test scripts it.
package mailtest

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/mail"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one mail the sink accepted.
type Message struct {
	From string
	To   []string
	Data []byte
	Auth string // the user that authenticated, if any
}

// Parse reads the message's header and body.
func (m *Message) Parse(tb testing.TB) *mail.Message {
	tb.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		tb.Fatalf("mailtest: unreadable message: %v\n%s", err, m.Data)
	}
	return msg
}

// Sink is an SMTP server that keeps what it accepts.
type Sink struct {
	Addr string

	mu        sync.Mutex
	msgs      []*Message
	replies   []error // answers to the next DATA commands, in order; nil accepts
	user      string
	password  string
	onlyLogin bool
	arrived   chan struct{} // one token per accepted message
	tried     chan struct{} // one token per DATA, accepted or refused
	srv       *smtp.Server
}

// Option configures a sink.
type Option func(*Sink, *smtp.Server)

// WithAuth requires AUTH PLAIN or LOGIN with these credentials.
func WithAuth(user, password string) Option {
	return func(s *Sink, srv *smtp.Server) {
		s.user, s.password = user, password
		srv.AllowInsecureAuth = true
	}
}

// WithTLS offers STARTTLS with cfg.
func WithTLS(cfg *tls.Config) Option {
	return func(s *Sink, srv *smtp.Server) { srv.TLSConfig = cfg }
}

// OnlyLogin offers AUTH LOGIN only, as some older servers do.
func OnlyLogin() Option {
	return func(s *Sink, srv *smtp.Server) { s.onlyLogin = true }
}

// NewSink starts a sink on 127.0.0.1:0 and stops it when the test ends.
func NewSink(tb testing.TB, opts ...Option) *Sink {
	tb.Helper()
	s := &Sink{arrived: make(chan struct{}, 1000), tried: make(chan struct{}, 1000)}
	srv := smtp.NewServer(s)
	srv.Domain = "sink.test"
	srv.ErrorLog = quiet{}
	for _, o := range opts {
		o(s, srv)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s.Addr, s.srv = ln.Addr().String(), srv
	go srv.Serve(ln)
	tb.Cleanup(func() { srv.Close() })
	return s
}

// Serve runs another server for the same sink on ln (a TLS listener for
// implicit TLS) and stops it when the test ends.
func Serve(tb testing.TB, s *Sink, ln net.Listener) *smtp.Server {
	srv := smtp.NewServer(s)
	srv.Domain = "sink.test"
	srv.ErrorLog = quiet{}
	go srv.Serve(ln)
	tb.Cleanup(func() { srv.Close() })
	return srv
}

// Reply scripts the answers to the next DATA commands: nil accepts, an
// *smtp.SMTPError refuses with its code.
func (s *Sink) Reply(errs ...error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.replies = append(s.replies, errs...)
}

// Messages returns what the sink accepted so far.
func (s *Sink) Messages() []*Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Message(nil), s.msgs...)
}

// Wait returns once n messages arrived in all, failing the test after
// timeout; it is for mail sent by a worker running on its own.
func (s *Sink) Wait(tb testing.TB, n int, timeout time.Duration) []*Message {
	tb.Helper()
	deadline := time.After(timeout)
	for {
		if msgs := s.Messages(); len(msgs) >= n {
			return msgs
		}
		select {
		case <-s.arrived:
		case <-deadline:
			tb.Fatalf("mailtest: %d messages after %v, want %d", len(s.Messages()), timeout, n)
		}
	}
}

// WaitTried returns once the sink answered n DATA commands, accepted or
// refused, failing the test after timeout.
func (s *Sink) WaitTried(tb testing.TB, n int, timeout time.Duration) {
	tb.Helper()
	deadline := time.After(timeout)
	for i := 0; i < n; i++ {
		select {
		case <-s.tried:
		case <-deadline:
			tb.Fatalf("mailtest: %d DATA commands after %v, want %d", i, timeout, n)
		}
	}
}

// Temporary and Permanent are refusals to script with Reply.
var (
	Temporary = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}
	Permanent = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}
)

// NewSession implements smtp.Backend.
func (s *Sink) NewSession(c *smtp.Conn) (smtp.Session, error) { return &session{sink: s}, nil }

type session struct {
	sink *Sink
	msg  Message
}

func (ss *session) AuthMechanisms() []string {
	if ss.sink.user == "" {
		return nil
	}
	if ss.sink.onlyLogin {
		return []string{sasl.Login}
	}
	return []string{sasl.Plain, sasl.Login}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		if user != ss.sink.user || pass != ss.sink.password {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Bad credentials"}
		}
		ss.msg.Auth = user
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, user, pass string) error { return check(user, pass) }), nil
	case sasl.Login:
		return newLoginServer(check), nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.sink.user != "" && ss.msg.Auth == "" {
		return smtp.ErrAuthRequired
	}
	ss.msg.From = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.msg.To = append(ss.msg.To, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s := ss.sink
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case s.tried <- struct{}{}:
	default:
	}
	if len(s.replies) > 0 {
		reply := s.replies[0]
		s.replies = s.replies[1:]
		if reply != nil {
			return reply
		}
	}
	m := ss.msg
	m.Data = data
	s.msgs = append(s.msgs, &m)
	select {
	case s.arrived <- struct{}{}:
	default:
	}
	return nil
}

func (ss *session) Reset()        { auth := ss.msg.Auth; ss.msg = Message{Auth: auth} }
func (ss *session) Logout() error { return nil }

// loginServer is the server side of AUTH LOGIN (go-sasl has only the client).
type loginServer struct {
	check      func(user, pass string) error
	user       string
	step       int
	authorized bool
}

func newLoginServer(check func(user, pass string) error) sasl.Server {
	return &loginServer{check: check}
}

func (l *loginServer) Next(response []byte) ([]byte, bool, error) {
	switch l.step {
	case 0:
		l.step++
		if response != nil {
			l.user = string(response)
			l.step++
			return []byte("Password:"), false, nil
		}
		return []byte("Username:"), false, nil
	case 1:
		l.user = string(response)
		l.step++
		return []byte("Password:"), false, nil
	case 2:
		l.step++
		return nil, true, l.check(l.user, string(response))
	}
	return nil, true, errors.New("mailtest: unexpected LOGIN step")
}

// quiet drops the server's log of connections the client closed.
type quiet struct{}

func (quiet) Printf(string, ...interface{}) {}
func (quiet) Println(...interface{})        {}

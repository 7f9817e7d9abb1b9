package handlers

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// bodyBudget shares the bytes that large request bodies may bring at once
// (their text held in memory, their files in memory or the spool, see
// bodyLimit) between clients, so that no client can take it all:
//
//   - each holder (an anonymous client network, as the rate limits count
//     it, or a signed-in staff user) holds at most perHolder bytes;
//   - anonymous requests never take the staff reserve, so replies with
//     attachments go through while strangers from many addresses fill the
//     rest.
//
// A body is charged by the bytes that actually arrived (bodyMeter), not by
// the length it announces: a stranger who announces the largest body and
// sends a trickle holds a trickle, so to hold the budget one has to send
// it, and a body that stops arriving is cut off (minimum throughput), which
// gives its share back. Holding the anonymous part then costs a stranger
// that many bytes, sent at least at the minimum rate, for as long as they
// want to hold it.
type bodyBudget struct {
	total     int64
	reserve   int64 // of total, for staff only
	perHolder int64

	mu        sync.Mutex
	used      int64
	anonymous int64 // of used, held by anonymous requests
	holders   map[string]int64
}

// newBodyBudget splits total: a quarter kept for staff (as long as one body
// of maxBody still fits the anonymous rest), and an eighth per holder (at
// least one body of maxBody).
func newBodyBudget(total, maxBody int64) *bodyBudget {
	return &bodyBudget{total: total, reserve: max(min(total/4, total-maxBody), 0), perHolder: max(total/8, maxBody),
		holders: map[string]int64{}}
}

// bodyHolder names who holds a share: a staff user by id, anyone else by
// client network.
func bodyHolder(network string, staffID int64) string {
	if staffID != 0 {
		return "user:" + strconv.FormatInt(staffID, 10)
	}
	return "net:" + network
}

// acquire takes n bytes for holder, or reports that it may not now.
func (b *bodyBudget) acquire(holder string, staff bool, n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.fitsLocked(holder, staff, n) {
		return false
	}
	b.used += n
	b.holders[holder] += n
	if !staff {
		b.anonymous += n
	}
	return true
}

// fits says whether n bytes for holder would be taken now, taking nothing.
func (b *bodyBudget) fits(holder string, staff bool, n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.fitsLocked(holder, staff, n)
}

func (b *bodyBudget) fitsLocked(holder string, staff bool, n int64) bool {
	switch {
	case b.used+n > b.total, b.holders[holder]+n > b.perHolder:
		return false
	case !staff && b.anonymous+n > b.total-b.reserve:
		return false
	}
	return true
}

func (b *bodyBudget) release(holder string, staff bool, n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.used -= n
	if !staff {
		b.anonymous -= n
	}
	if b.holders[holder] -= n; b.holders[holder] <= 0 {
		delete(b.holders, holder)
	}
}

// Why a large body was cut off while it was read; the csrf middleware
// answers them (bodyRefusal).
var (
	errBodyBudget = errors.New("handlers: body budget in use")
	errBodySlow   = errors.New("handlers: body arrives too slowly")
)

// Defaults of Config.BodyMinRate and Config.BodyRateWindow: a body must
// bring 160 KiB in every 20 seconds (8 KiB/s, a 64 kbit/s uplink), so a
// mobile connection that stalls for a few seconds goes on, and a stranger
// who wants to hold memory has to keep sending.
const (
	defaultBodyMinRate    = 8 << 10
	defaultBodyRateWindow = 20 * time.Second
)

// bodyMeter is a large body as bodyLimit reads it: every byte that arrives
// is charged to the budget before the handler sees it, and the
// connection's read deadline moves on only while the body keeps the
// minimum throughput: each window must bring its quota, or the read times
// out and the body is cut off. Nothing is charged before it arrives: an
// idle connection must hold nothing, or many of them would hold it all.
type bodyMeter struct {
	body     io.ReadCloser
	budget   *bodyBudget
	holder   string
	staff    bool
	received int64
	charged  int64
	cut      error // errBodyBudget or errBodySlow once cut off

	rc     *http.ResponseController // nil: the connection sets no deadlines
	quota  int64                    // bytes each window must bring
	window time.Duration
	got    int64     // bytes of the current window
	end    time.Time // the server's own read deadline for the request, zero for none
}

// meterBody charges the body of c's request to holder as it arrives, or
// refuses it (false) at no cost when the budget could not take even its
// first smallBody bytes now.
func (s *Server) meterBody(c echo.Context, holder string, staff bool) (*bodyMeter, bool) {
	r := c.Request()
	if !s.bodies.fits(holder, staff, smallBody) {
		return nil, false
	}
	m := &bodyMeter{body: r.Body, budget: s.bodies, holder: holder, staff: staff,
		quota: max(int64(s.cfg.BodyRateWindow.Seconds()*float64(s.cfg.BodyMinRate)), 1), window: s.cfg.BodyRateWindow}
	if hs, ok := r.Context().Value(http.ServerContextKey).(*http.Server); ok && hs.ReadTimeout > 0 {
		m.end = time.Now().Add(hs.ReadTimeout)
	}
	m.rc = http.NewResponseController(c.Response())
	if err := m.rc.SetReadDeadline(m.next()); err != nil {
		m.rc = nil // no deadlines here (a test recorder): the server's own timeout holds
	}
	r = r.WithContext(context.WithValue(r.Context(), bodyMeterKey{}, m))
	r.Body = m
	c.SetRequest(r)
	return m, true
}

// next is the read deadline of a new window, within the server's own.
func (m *bodyMeter) next() time.Time {
	d := time.Now().Add(m.window)
	if !m.end.IsZero() && m.end.Before(d) {
		return m.end
	}
	return d
}

func (m *bodyMeter) Read(p []byte) (int, error) {
	if m.cut != nil {
		return 0, m.cut
	}
	n, err := m.body.Read(p)
	m.received += int64(n)
	if more := m.received - m.charged; more > 0 {
		if !m.budget.acquire(m.holder, m.staff, more) {
			return 0, m.cutOff(errBodyBudget)
		}
		m.charged += more
	}
	var ne net.Error
	if err != nil && (errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()) {
		return n, m.cutOff(errBodySlow)
	}
	if m.rc != nil {
		if m.got += int64(n); m.got >= m.quota {
			m.got = 0
			m.rc.SetReadDeadline(m.next())
		}
		if err != nil {
			// Done reading: the server's own deadline again, so that no
			// window ends while the handler works.
			m.rc.SetReadDeadline(m.end)
		}
	}
	return n, err
}

// cutOff stops reading the body for why. Nothing more is read from the
// connection: the server would otherwise wait for the rest of a stalled
// body before closing it (it reads what is left of a small remainder).
func (m *bodyMeter) cutOff(why error) error {
	m.cut = why
	if m.rc != nil {
		m.rc.SetReadDeadline(time.Now())
	}
	return why
}

func (m *bodyMeter) Close() error { return m.body.Close() }

// done gives the body's share back once the request is answered; the
// handler held what it read until then.
func (m *bodyMeter) done() {
	if m.rc != nil && m.cut == nil {
		m.rc.SetReadDeadline(m.end)
	}
	m.budget.release(m.holder, m.staff, m.charged)
}

type bodyMeterKey struct{}

// bodyRefusal is the answer to a form whose body bodyLimit cut off, or nil:
// 503 (with Retry-After) when the budget could not take it, 408 when it
// arrived too slowly. The connection closes after it: the rest of the body
// is never read.
func (s *Server) bodyRefusal(c echo.Context) error {
	m, _ := c.Request().Context().Value(bodyMeterKey{}).(*bodyMeter)
	if m != nil && m.cut != nil {
		c.Response().Header().Set("Connection", "close")
	}
	switch {
	case m == nil:
		return nil
	case m.cut == errBodyBudget:
		s.log.Warn("upload cut off: body budget in use", "route", c.Path(), "client", c.RealIP(), "staff", m.staff)
		s.cfg.Metrics.SecurityEvent("body_budget")
		c.Response().Header().Set("Retry-After", "30")
		return echo.NewHTTPError(http.StatusServiceUnavailable)
	case m.cut == errBodySlow:
		s.log.Warn("upload cut off: too slow", "route", c.Path(), "client", c.RealIP(), "staff", m.staff)
		s.cfg.Metrics.SecurityEvent("body_slow")
		// The server cancels a request's context at a failed read, as if
		// the client had gone: it is there, and is told why.
		c.SetRequest(c.Request().WithContext(context.WithoutCancel(c.Request().Context())))
		return echo.NewHTTPError(http.StatusRequestTimeout)
	}
	return nil
}

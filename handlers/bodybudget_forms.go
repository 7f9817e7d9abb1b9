package handlers

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sync"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views"
	"github.com/labstack/echo/v4"
)

// A URL-encoded form is read whole into memory by net/http's ParseForm
// (the csrf check reads it before any handler), at about three times its
// size: its bytes, their string, the unescaped values. bodyLimit alone let
// a stranger's sign-in form be MaxBody (60 MB in serve: ~200 MB of heap
// per request, within the shared body budget). The forms strangers send
// (routes of the Public and Reporter rules) therefore each have a limit
// that fits their largest legitimate content, whatever their content type:
// the same form sent as multipart/form-data (read by readMultipart, 10 MB
// of text otherwise) is held to it too. Only the report and reply forms
// take files: sent as multipart, their files keep their own limits and
// their text fields together the limit of the URL-encoded form.
const (
	// publicFormBytes is the limit of the small forms: sign-in, code,
	// receipt code, reset request, set-up and invitation passwords, the
	// passkey sign-in (a real assertion is a few KB).
	publicFormBytes = 64 << 10
	// encodedRuneBytes is the widest URL encoding of one character: four
	// UTF-8 bytes, each %XX.
	encodedRuneBytes = 12
	// reportSmallFields holds the report form's short fields in that
	// encoding (title, asset, name: at most 200 characters each; the
	// email address, weakness, CVSS vector, program, key, token, names).
	reportSmallFields = 16 << 10
	// reportKeyField holds an ASCII-armored public key of 48 KiB or more
	// (one with many signatures); a usual one is a few KB.
	reportKeyField = 160 << 10
)

// MaxReportForm is the largest URL-encoded report form accepted under l:
// its three long text fields at l.MaxTextRunes in the widest encoding,
// the short fields and a public key.
func MaxReportForm(l db.Limits) int64 {
	return 3*int64(l.MaxTextRunes)*encodedRuneBytes + reportSmallFields + reportKeyField
}

// maxReplyForm is the largest URL-encoded reply of a reporter (status
// page): one text field and the short ones.
func maxReplyForm(l db.Limits) int64 {
	return int64(l.MaxTextRunes)*encodedRuneBytes + reportSmallFields
}

// strangerForm is the limit of one stranger's form: bytes for the whole
// body, or with files only for its text fields (multipart).
type strangerForm struct {
	bytes int64
	files bool
}

// strangerForms maps "METHOD path" of each route a stranger may send a
// form to (Public and Reporter rules) to its form's limit.
func (s *Server) strangerForms() map[string]strangerForm {
	out := map[string]strangerForm{}
	for _, r := range s.rules {
		if (r.Access != Public && r.Access != Reporter) || r.Method == http.MethodGet || r.Method == http.MethodHead {
			continue
		}
		f := strangerForm{bytes: publicFormBytes}
		switch r.Method + " " + r.Path {
		case "POST /report":
			f = strangerForm{bytes: MaxReportForm(s.cfg.Limits), files: true}
		case "POST /status/reply":
			f = strangerForm{bytes: maxReplyForm(s.cfg.Limits), files: true}
		}
		f.bytes = min(f.bytes, s.cfg.MaxBody)
		out[r.Method+" "+r.Path] = f
	}
	return out
}

// sessionForms lists "METHOD path" of each route that takes a form from
// a staff session (every rule but Public, Scraper, Reporter and the API's
// bearer tokens, whose JSON bodies have their own cap). csrf reads the
// form before the route's rule looks at the session, so without this a
// stranger's 20 MB form to /account/password was read whole (69 MiB of
// heap) before its 401: formLimits holds a request without a valid
// session to publicFormBytes there.
func (s *Server) sessionForms() map[string]bool {
	out := map[string]bool{}
	for _, r := range s.rules {
		if r.Access == Public || r.Access == Scraper || r.Access == Reporter || r.Access.isAPI() ||
			r.Method == http.MethodGet || r.Method == http.MethodHead {
			continue
		}
		out[r.Method+" "+r.Path] = true
	}
	return out
}

// formTextKey holds, for readMultipart, the text budget of a stranger's
// multipart form with files (strangerForm.bytes).
const formTextKey = "formText"

// errFormText is readMultipart's answer to text fields over their budget.
var errFormText = echo.NewHTTPError(http.StatusRequestEntityTooLarge)

// headerBudget holds the part headers and boundaries of a stranger's
// multipart form to formHeaderBytes: mime/multipart reads a part's header
// whole into memory (up to 10 MB, at several times its size), which the
// budget on the fields' values (readMultipart) does not see.
// readMultipart says when it reads a header (reading); other bytes are
// not counted. The multipart reader reads ahead a buffer (4 KiB), so part
// of a header may be read before: never more than that a part.
type headerBudget struct {
	io.ReadCloser
	left    int64
	reading bool
}

// formHeaderBytes is what a stranger's multipart form may bring in part
// headers and boundaries: a browser's report form has about twenty parts
// (and one a file) of a hundred bytes of header each, and each header read
// may bring up to 4 KiB of the part after it; 64 parts fit.
const formHeaderBytes = 256 << 10

func (b *headerBudget) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if b.reading {
		if b.left -= int64(n); b.left < 0 {
			return n, errFormText
		}
	}
	return n, err
}

// header says whether a part's header is read from now on; b may be nil
// (no budget).
func (b *headerBudget) header(reading bool) {
	if b != nil {
		b.reading = reading
	}
}

// formLimits holds a stranger's form to its route's limit
// (strangerForms), whatever its content type: over a declared length it
// is refused unread, and a body without one is cut at the limit. A
// multipart form to a route that takes files is not cut (its files have
// their own limits) but its text fields are held to the limit and its
// part headers to formHeaderBytes (readMultipart, formTextKey). Either
// way the answer is formTooLarge. It
// runs after bodyLimit and before csrf, which reads the form.
func (s *Server) formLimits() echo.MiddlewareFunc {
	var once sync.Once
	var limits map[string]strangerForm
	var staff map[string]bool
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			once.Do(func() { limits, staff = s.strangerForms(), s.sessionForms() }) // s.rules is complete once requests come
			r := c.Request()
			f := limits[r.Method+" "+c.Path()]
			if f.bytes == 0 && staff[r.Method+" "+c.Path()] && (r.ContentLength > publicFormBytes || r.ContentLength < 0) {
				// Only a form larger than a small one (or of unknown
				// length) costs the session lookup before csrf.
				if _, err := s.store.UserBySession(r.Context(), s.sessionToken(c)); err != nil {
					return s.signedOutForm(c, next)
				}
			}
			if f.bytes == 0 {
				return next(c)
			}
			if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); f.files && ct == "multipart/form-data" {
				c.Set(formTextKey, f.bytes)
				if err := next(c); err != errFormText || c.Response().Committed {
					return err
				}
				return s.formTooLarge(c, f.bytes)
			}
			if r.ContentLength > f.bytes {
				return s.formTooLarge(c, f.bytes)
			}
			r.Body = http.MaxBytesReader(c.Response(), r.Body, f.bytes)
			err := next(c)
			var he *echo.HTTPError
			if errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge && !c.Response().Committed {
				return s.formTooLarge(c, f.bytes)
			}
			return err
		}
	}
}

// signedOutForm holds a form to a staff route, sent without a valid
// session, to publicFormBytes: such a request ends in 401 or a redirect
// to sign in whatever it holds. Over the limit the page says the form was
// not received because nobody is signed in (a session that ended while a
// long note was written: sign in again in another tab, then go back).
func (s *Server) signedOutForm(c echo.Context, next echo.HandlerFunc) error {
	r := c.Request()
	if r.ContentLength > publicFormBytes {
		return s.signedOutTooLarge(c)
	}
	r.Body = http.MaxBytesReader(c.Response(), r.Body, publicFormBytes)
	err := next(c)
	var he *echo.HTTPError
	if errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge && !c.Response().Committed {
		return s.signedOutTooLarge(c)
	}
	return err
}

func (s *Server) signedOutTooLarge(c echo.Context) error {
	s.log.Warn("form refused: no session and over the small forms' limit", "route", c.Path(), "client", c.RealIP())
	c.Response().Header().Set("Connection", "close") // the rest of the body is not read
	msg := "You are not signed in (your session may have ended), so this form was not received: nothing of it was kept. " +
		"Sign in again in another tab, then go back (your browser usually still holds what you typed) and send it again."
	return s.render(c, http.StatusRequestEntityTooLarge, views.ErrorView(views.ErrorPage{Page: s.page(c, "Not signed in"),
		Status: http.StatusRequestEntityTooLarge, Message: msg}))
}

// formTooLarge answers a form over its limit. The form was not read (or
// not whole), so the page cannot show what was typed again: it says so,
// and that the browser's back button usually still holds it.
func (s *Server) formTooLarge(c echo.Context, limit int64) error {
	s.log.Warn("form refused: over its limit", "route", c.Path(), "client", c.RealIP(), "limit", limit)
	c.Response().Header().Set("Connection", "close") // the rest of the body is not read
	msg := fmt.Sprintf("This form is larger than this page accepts (%s), so it was not received: nothing of it was kept, "+
		"and this page cannot show what you typed. Go back (your browser usually still holds it), shorten the longest text "+
		"(long material goes in an attachment of the report form) and send it again.", formSize(limit))
	return s.render(c, http.StatusRequestEntityTooLarge, views.ErrorView(views.ErrorPage{Page: s.page(c, "Form too large"),
		Status: http.StatusRequestEntityTooLarge, Message: msg}))
}

// formSize is a limit as people read it.
func formSize(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d KB", n>>10)
}

package handlers

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/db/spool"
	"github.com/disclose/disclose/views/wording"
	"github.com/labstack/echo/v4"
)

// What a multipart form may hold besides its files: as net/http's own
// ReadForm allows (10 MB of values, 1000 parts), so a text field over the
// form's limits still gets its field error, not a refusal. A stranger's
// form has less: its URL-encoded form's limit (formLimits, formTextKey).
const (
	maxFormText  = 10 << 20
	maxFormParts = 1000
)

// uploadMemory is how much of one uploaded file stays in memory; beyond,
// it spills to the spool's encrypted temporary file. Five files of the
// largest size then hold at most 1.25 MiB of memory between them.
const uploadMemory = 256 << 10

// filesField is the one form field that carries files.
const filesField = "attachments"

// uploads is what a multipart form brought besides its text: the files of
// filesField, each in a spool, and why they cannot be kept when they
// cannot. The csrf middleware reads the form and closes the spools once
// the request is answered.
type uploads struct {
	files  []upload
	chosen int    // files chosen, kept or not
	err    string // why the files cannot be kept, for the form; "" when they can
}

// upload is one file as it arrived.
type upload struct {
	name, contentType string
	sp                *spool.Spool
	sha256            string
}

const uploadsKey = "uploads"

// close drops every spooled file.
func (u *uploads) close() {
	for _, f := range u.files {
		f.sp.Close()
	}
	u.files = nil
}

// drop gives up the files already spooled: the form will be refused, so
// they go at once rather than after the rest of the body.
func (u *uploads) drop(why string) {
	if u.err == "" {
		u.err = why
	}
	u.close()
}

// readMultipart reads a multipart form part by part as it arrives: text
// fields into r.PostForm (so PostFormValue works as after ParseForm), files
// of filesField each into a spool (memory up to uploadMemory, then an
// age-encrypted unlinked temporary file under SpoolDir), any other file
// nowhere. No file is kept before check has passed on the fields read so
// far: check runs at the first file part (or at the end), so a form whose
// token comes after its files, a forged one, is refused (check's error)
// having cost neither storage nor more than one buffer of reading. A file
// over the size limit is cut at limit+1 bytes (the rest of its part is
// skipped, counted for the message) and the form's files are dropped; so
// are they once more than Limits.MaxFiles are chosen.
func (s *Server) readMultipart(c echo.Context, check func(url.Values) error) (err error) {
	r := c.Request()
	text := int64(maxFormText)
	var headers *headerBudget
	if limit, ok := c.Get(formTextKey).(int64); ok { // a stranger's form (formLimits)
		text = min(text, limit)
		headers = &headerBudget{ReadCloser: r.Body, left: formHeaderBytes}
		r.Body = headers
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
	}
	up := &uploads{}
	c.Set(uploadsKey, up)
	defer func() {
		if err != nil {
			up.close()
		}
	}()
	values := url.Values{}
	checked := false
	for parts := 0; ; parts++ {
		if parts == maxFormParts {
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
		}
		headers.header(true)
		p, err := mr.NextPart()
		headers.header(false)
		if errors.Is(err, io.EOF) {
			break
		} else if errors.Is(err, errFormText) {
			return errFormText
		} else if err != nil {
			return formReadError(err)
		}
		name := p.FormName()
		if p.FileName() == "" && name != filesField {
			b, err := io.ReadAll(io.LimitReader(p, text+1))
			if err != nil {
				return formReadError(err)
			}
			if text -= int64(len(b)); text < 0 {
				return errFormText
			}
			values.Add(name, string(b))
			continue
		}
		if !checked {
			if err := check(values); err != nil {
				return err
			}
			checked = true
		}
		if err := s.readFile(p, up); err != nil {
			return formReadError(err)
		}
	}
	if !checked {
		if err := check(values); err != nil {
			return err
		}
	}
	if up.chosen > s.cfg.Limits.MaxFiles {
		// Said before any other file error, as the form always did.
		up.close()
		up.err = wording.TooManyFiles(s.cfg.Limits.MaxFiles, up.chosen)
	}
	r.PostForm = values
	r.Form = url.Values{}
	for k, v := range values {
		r.Form[k] = append(r.Form[k], v...)
	}
	for k, v := range r.URL.Query() {
		r.Form[k] = append(r.Form[k], v...)
	}
	return nil
}

// readFile reads one file part into a spool, or past it when the file
// cannot be kept. Only a failure to read the body is returned; a file that
// cannot be kept is said in up.err.
func (s *Server) readFile(p *multipart.Part, up *uploads) error {
	lim := s.cfg.Limits
	name := p.FileName()
	if p.FormName() != filesField || up.err != "" || up.chosen >= lim.MaxFiles {
		n, err := io.Copy(io.Discard, p)
		if p.FormName() == filesField && (name != "" || n > 0) {
			if up.chosen++; up.chosen > lim.MaxFiles {
				up.close() // refused; the count is said once the form is read
			}
		}
		return err
	}
	sp := &spool.Spool{Dir: s.cfg.SpoolDir, Memory: uploadMemory}
	h := sha256.New()
	n, err := io.Copy(spoolWriter{io.MultiWriter(sp, h)}, io.LimitReader(p, lim.MaxFileBytes+1))
	if errors.Is(err, errSpool) {
		// The spool directory failed, not the client: the form is refused
		// with what was typed kept.
		sp.Close()
		s.log.Error("upload could not be spooled", "err", err)
		up.chosen++
		up.drop(fmt.Sprintf("%q could not be read; please attach it again.", db.SafeFilename(name)))
		_, err = io.Copy(io.Discard, p)
		return err
	} else if err != nil {
		sp.Close()
		return err
	}
	if name == "" && n == 0 {
		sp.Close() // the file input with no file chosen
		return nil
	}
	up.chosen++
	if n > lim.MaxFileBytes {
		sp.Close()
		rest, err := io.Copy(io.Discard, p)
		up.drop(wording.FileTooLarge(db.SafeFilename(name), n+rest, lim.MaxFileBytes))
		return err
	}
	up.files = append(up.files, upload{name: name, contentType: p.Header.Get("Content-Type"), sp: sp, sha256: hex.EncodeToString(h.Sum(nil))})
	return nil
}

// errSpool marks an error of the spool (its temporary file), not of the
// request body.
var errSpool = errors.New("handlers: spool")

// spoolWriter tags the errors of writing to a spool with errSpool.
type spoolWriter struct{ w io.Writer }

func (w spoolWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	if err != nil {
		err = fmt.Errorf("%w: %w", errSpool, err)
	}
	return n, err
}

// formReadError answers a body that could not be read to its end.
func formReadError(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
	}
	return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
}

// uploadedFiles are the files the form of c's request brought, ready for
// db: a small one in memory, a larger one streamed from its spool. When
// they cannot be kept, the message says why (for the attachments field).
func (s *Server) uploadedFiles(c echo.Context) ([]db.NewAttachment, string) {
	up, _ := c.Get(uploadsKey).(*uploads)
	if up == nil {
		return nil, ""
	}
	if up.err != "" {
		return nil, up.err
	}
	var out []db.NewAttachment
	for _, f := range up.files {
		if !f.sp.OnDisk() {
			data, _ := f.sp.Bytes() // in memory: cannot fail
			if data == nil {
				data = []byte{}
			}
			out = append(out, db.NewAttachment{Filename: f.name, ContentType: f.contentType, Data: data})
			continue
		}
		out = append(out, db.SpooledAttachment(f.name, f.contentType, &db.SpooledFile{Size: f.sp.Size(), SHA256: f.sha256, Open: f.sp.Reader}))
	}
	return out, ""
}

// filesChosen says whether the form of c's request carried files (which a
// browser does not keep when the form comes back).
func filesChosen(c echo.Context) bool {
	up, _ := c.Get(uploadsKey).(*uploads)
	return up != nil && up.chosen > 0
}

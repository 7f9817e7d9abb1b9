package mailin

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"io"
	"mime"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin/pgp"
	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
)

// Encrypter turns the clear body of a mail (its MIME entity: content headers
// and body) into an encrypted one for the reporter's key, as PGP/MIME
// (RFC 3156) does. mailin/pgp implements it; the sender calls it for mail
// queued with Encrypt. It returns the Content-Type of the replacement entity
// (e.g. multipart/encrypted with its boundary and protocol) and its body.
type Encrypter interface {
	Encrypt(recipientKey string, entity []byte) (mediaType string, params map[string]string, body []byte, err error)
}

// Composer builds the bytes of an outbox mail: headers through go-message's
// header API only, so no value a user typed can start a header of its own.
type Composer struct {
	From *mail.Address
	// ReplyTo, when set, is where answers go if the From address is not the
	// mailbox the intake reads (the security address).
	ReplyTo   *mail.Address
	HTML      bool      // add a simple HTML alternative to the plain text
	Encrypter Encrypter // nil: mail queued with Encrypt fails rather than go out in the clear
	// Signer signs the mail that is not encrypted (PGP/MIME multipart/signed);
	// nil sends it unsigned. While it answers pgp.ErrLocked the mail goes
	// out unsigned rather than wait for an admin.
	Signer Signer
}

// Signer turns a clear MIME entity into a signed one, as PGP/MIME
// multipart/signed (RFC 3156) does; PGPSigner implements it.
type Signer interface {
	Sign(entity []byte) (mediaType string, params map[string]string, body []byte, err error)
}

// Compose returns the RFC 5322 message for m. The Date is the time the mail
// was queued, so that a resend after a crash is the same message.
func (c *Composer) Compose(m *db.Mail, atts []*db.MailAttachment) ([]byte, error) {
	to, err := mail.ParseAddress(oneLine(m.To))
	if err != nil {
		return nil, fmt.Errorf("mailin: bad recipient address: %w", err)
	}
	if c.From == nil {
		return nil, fmt.Errorf("mailin: no From address")
	}
	msgID, ok := cleanMsgID(m.MessageID)
	if !ok {
		return nil, fmt.Errorf("mailin: bad Message-ID")
	}
	var h mail.Header
	h.SetDate(m.CreatedAt)
	h.SetAddressList("From", []*mail.Address{cleanAddress(c.From)})
	h.SetAddressList("To", []*mail.Address{cleanAddress(to)})
	if c.ReplyTo != nil && !strings.EqualFold(c.ReplyTo.Address, c.From.Address) {
		h.SetAddressList("Reply-To", []*mail.Address{cleanAddress(c.ReplyTo)})
	}
	h.SetSubject(oneLine(m.Subject))
	h.SetMessageID(msgID)
	refs := cleanMsgIDs(m.References)
	reply, _ := cleanMsgID(m.InReplyTo)
	if reply == "" && len(refs) > 0 {
		reply = refs[len(refs)-1]
	}
	if reply != "" {
		h.SetMsgIDList("In-Reply-To", []string{reply})
		if !slices.Contains(refs, reply) {
			refs = append(refs, reply)
		}
		h.SetMsgIDList("References", refs)
	}
	if m.AutoSubmitted {
		h.Set("Auto-Submitted", "auto-generated")
		h.Set("X-Auto-Response-Suppress", "All")
	}
	var buf bytes.Buffer
	if !m.Encrypt {
		if c.Signer != nil {
			if raw, err := c.signed(h, m.Body, atts); !errors.Is(err, pgp.ErrLocked) {
				return raw, err
			}
		}
		buf.Grow(entitySize(m.Body, atts))
		if err := c.writeEntity(&buf, h, m.Body, atts); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	if c.Encrypter == nil {
		return nil, fmt.Errorf("mailin: mail must be encrypted but no encrypter is configured")
	}
	if m.RecipientKey == "" {
		return nil, fmt.Errorf("mailin: mail must be encrypted but the reporter has no key")
	}
	var inner bytes.Buffer
	inner.Grow(entitySize(m.Body, atts))
	if err := c.writeEntity(&inner, mail.Header{}, m.Body, atts); err != nil {
		return nil, err
	}
	head := func(mt string, params map[string]string) error {
		h.Set("MIME-Version", "1.0")
		h.SetContentType(mt, params)
		if err := textproto.WriteHeader(&buf, h.Header.Header); err != nil {
			return fmt.Errorf("mailin: write header: %w", err)
		}
		return nil
	}
	if into, ok := c.Encrypter.(encryptInto); ok {
		// The body is written after the header as it is encrypted, not
		// copied behind it.
		if err := into.EncryptInto(&buf, m.RecipientKey, inner.Bytes(), head); err != nil {
			return nil, fmt.Errorf("mailin: encrypt: %w", err)
		}
		return buf.Bytes(), nil
	}
	mt, params, body, err := c.Encrypter.Encrypt(m.RecipientKey, inner.Bytes())
	if err != nil {
		return nil, fmt.Errorf("mailin: encrypt: %w", err)
	}
	inner = bytes.Buffer{}
	buf.Grow(len(body) + 8<<10)
	if err := head(mt, params); err != nil {
		return nil, err
	}
	buf.Write(body)
	return buf.Bytes(), nil
}

// encryptInto is what an Encrypter may add (PGPMIME does): the body written
// into the message after the header head writes.
type encryptInto interface {
	EncryptInto(b *bytes.Buffer, recipientKey string, entity []byte, head func(mediaType string, params map[string]string) error) error
}

// entitySize is about what writeEntity writes for text and atts, so that
// the buffer of a mail with large files is made once rather than grown by
// doubling (which held up to twice the mail, garbage included).
func entitySize(text string, atts []*db.MailAttachment) int {
	n := 3*len(text) + 8<<10 // quoted-printable at worst, an HTML part, headers
	for _, a := range atts {
		size := max(a.Size, int64(len(a.Data)))
		n += int(size/57*78+78) + 1<<10 // base64 lines of 76 and CRLF
	}
	return n
}

// signed writes the mail with its body signed by c.Signer.
func (c *Composer) signed(h mail.Header, text string, atts []*db.MailAttachment) ([]byte, error) {
	var inner bytes.Buffer
	inner.Grow(entitySize(text, atts))
	if err := c.writeEntity(&inner, mail.Header{}, text, atts); err != nil {
		return nil, err
	}
	mt, params, body, err := c.Signer.Sign(inner.Bytes())
	if err != nil {
		return nil, fmt.Errorf("mailin: sign: %w", err)
	}
	inner = bytes.Buffer{}
	var buf bytes.Buffer
	buf.Grow(len(body) + 8<<10)
	h.Set("MIME-Version", "1.0")
	h.SetContentType(mt, params)
	if err := textproto.WriteHeader(&buf, h.Header.Header); err != nil {
		return nil, fmt.Errorf("mailin: write header: %w", err)
	}
	buf.Write(body)
	return buf.Bytes(), nil
}

// writeEntity writes h with the text (and HTML) body and the attachments.
func (c *Composer) writeEntity(w io.Writer, h mail.Header, text string, atts []*db.MailAttachment) error {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	if len(atts) == 0 && !c.HTML {
		h.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
		h.Set("Content-Transfer-Encoding", "quoted-printable")
		mw, err := message.CreateWriter(w, h.Header)
		if err != nil {
			return fmt.Errorf("mailin: write message: %w", err)
		}
		if _, err := io.WriteString(mw, text); err != nil {
			return fmt.Errorf("mailin: write body: %w", err)
		}
		return mw.Close()
	}
	mw, err := mail.CreateWriter(w, h)
	if err != nil {
		return fmt.Errorf("mailin: write message: %w", err)
	}
	if err := c.writeText(mw, text); err != nil {
		return err
	}
	for _, a := range atts {
		var ah mail.AttachmentHeader
		ct, _, err := mime.ParseMediaType(a.ContentType)
		if err != nil || !strings.Contains(ct, "/") {
			ct = "application/octet-stream"
		}
		ah.SetContentType(ct, nil)
		ah.SetFilename(db.SafeFilename(a.Filename))
		aw, err := mw.CreateAttachment(ah)
		if err != nil {
			return fmt.Errorf("mailin: write attachment: %w", err)
		}
		if err := writeAttachment(aw, a); err != nil {
			return err
		}
		if err := aw.Close(); err != nil {
			return fmt.Errorf("mailin: write attachment: %w", err)
		}
	}
	return mw.Close()
}

// writeAttachment writes a's bytes, streamed from Open when it has one (a
// sealed file is opened as it is encoded, never held whole).
func writeAttachment(w io.Writer, a *db.MailAttachment) error {
	if a.Open == nil {
		if _, err := w.Write(a.Data); err != nil {
			return fmt.Errorf("mailin: write attachment: %w", err)
		}
		return nil
	}
	r, err := a.Open()
	if err != nil {
		return &readError{err}
	}
	defer r.Close()
	if _, err := io.Copy(w, readErrors{r}); err != nil {
		var re *readError
		if errors.As(err, &re) {
			return err
		}
		return fmt.Errorf("mailin: write attachment: %w", err)
	}
	return nil
}

// readError is a failure to read a file the mail carries from the database
// (the team key locked meanwhile, a busy database): not the mail's fault,
// so the outbox tries it again rather than give it up.
type readError struct{ err error }

func (e *readError) Error() string { return "mailin: read attachment: " + e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// readErrors marks the failures of r as readErrors.
type readErrors struct{ r io.Reader }

func (r readErrors) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = &readError{err}
	}
	return n, err
}

func (c *Composer) writeText(mw *mail.Writer, text string) error {
	parts := []struct{ ct, body string }{{"text/plain", text}}
	if c.HTML {
		parts = append(parts, struct{ ct, body string }{"text/html", textToHTML(text)})
	}
	if len(parts) == 1 {
		var th mail.InlineHeader
		th.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
		tw, err := mw.CreateSingleInline(th)
		if err != nil {
			return fmt.Errorf("mailin: write text: %w", err)
		}
		if _, err := io.WriteString(tw, text); err != nil {
			return fmt.Errorf("mailin: write text: %w", err)
		}
		return tw.Close()
	}
	iw, err := mw.CreateInline()
	if err != nil {
		return fmt.Errorf("mailin: write text: %w", err)
	}
	for _, p := range parts {
		var th mail.InlineHeader
		th.SetContentType(p.ct, map[string]string{"charset": "utf-8"})
		pw, err := iw.CreatePart(th)
		if err != nil {
			return fmt.Errorf("mailin: write %s: %w", p.ct, err)
		}
		if _, err := io.WriteString(pw, p.body); err != nil {
			return fmt.Errorf("mailin: write %s: %w", p.ct, err)
		}
		if err := pw.Close(); err != nil {
			return fmt.Errorf("mailin: write %s: %w", p.ct, err)
		}
	}
	return iw.Close()
}

// textToHTML is the simple HTML alternative: every paragraph escaped, lines
// kept, and lines that are only an http(s) URL made links.
func textToHTML(text string) string {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html><body>\n")
	for _, para := range strings.Split(strings.TrimSpace(text), "\n\n") {
		b.WriteString("<p>")
		for i, line := range strings.Split(para, "\n") {
			if i > 0 {
				b.WriteString("<br>\n")
			}
			t := strings.TrimSpace(line)
			if (strings.HasPrefix(t, "https://") || strings.HasPrefix(t, "http://")) && !strings.ContainsAny(t, " \t\"'<>") {
				fmt.Fprintf(&b, `<a href="%s">%s</a>`, html.EscapeString(t), html.EscapeString(t))
				continue
			}
			b.WriteString(html.EscapeString(line))
		}
		b.WriteString("</p>\n")
	}
	b.WriteString("</body></html>\n")
	return b.String()
}

// oneLine makes a header value of user text: control characters (CR and LF
// above all) become spaces, runs of space collapse, and the length is bounded.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	for utf8.RuneCountInString(s) > 200 {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

// cleanAddress copies a with a one-line display name; the address itself
// was parsed, so it holds no line break.
func cleanAddress(a *mail.Address) *mail.Address {
	return &mail.Address{Name: oneLine(a.Name), Address: a.Address}
}

// cleanMsgID strips the angle brackets of a Message-ID and accepts it only
// when it is printable ASCII without space or brackets: Message-IDs of
// inbound mail are chosen by the sender and must not break a header.
func cleanMsgID(id string) (string, bool) {
	id = strings.TrimSpace(id)
	id = strings.TrimSuffix(strings.TrimPrefix(id, "<"), ">")
	if id == "" || len(id) > 250 {
		return "", false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c > '~' || c == '<' || c == '>' {
			return "", false
		}
	}
	return id, true
}

func cleanMsgIDs(ids []string) []string {
	var out []string
	for _, id := range ids {
		if c, ok := cleanMsgID(id); ok {
			out = append(out, c)
		}
	}
	return out
}

// envelopeAddress is the bare address for RCPT TO.
func envelopeAddress(s string) (string, error) {
	a, err := mail.ParseAddress(oneLine(s))
	if err != nil {
		return "", fmt.Errorf("mailin: bad recipient address: %w", err)
	}
	return a.Address, nil
}

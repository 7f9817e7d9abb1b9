package mailin

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/db/spool"
	"github.com/disclose/disclose/mailin/pgp"
	"github.com/disclose/disclose/views/wording"
	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // non-UTF-8 mail: ISO-8859-x, Windows-125x, Shift_JIS, KOI8-R...
	gomail "github.com/emersion/go-message/mail"
	"golang.org/x/text/encoding/charmap"
)

// Limits bound what one mail may bring into the database, and what reading
// it may cost. A part over a limit is left out with a note on the timeline;
// the rest of the mail lands, and the raw message is kept whole either way.
type Limits struct {
	MaxAttachmentBytes int64 // per attachment
	MaxMessageBytes    int64 // all attachments of one mail together
	MaxAttachments     int
	MaxTextBytes       int64 // the body text
	MaxHeaderBytes     int   // the header block; beyond it lines are dropped
	// MaxParts bounds the MIME parts read; the rest of a mail of more parts
	// is not read (its raw message is kept). 0 is the default.
	MaxParts int
	// MaxDecryptedBytes is what all the decryptions of one mail together
	// may produce (OpenPGP compresses: a mail of a few KB can inflate to
	// gigabytes), charged while the plaintext streams. 0 is the default.
	MaxDecryptedBytes int64
}

// DefaultLimits fit what mail servers commonly carry (25 MB attachments).
var DefaultLimits = Limits{
	MaxAttachmentBytes: 25 << 20,
	MaxMessageBytes:    50 << 20,
	MaxAttachments:     50,
	MaxTextBytes:       1 << 20,
	MaxHeaderBytes:     1 << 20,
	MaxParts:           1000,
	// The attachments of one mail (50 MB) base64-encoded inside PGP/MIME,
	// with room to spare; decrypted plaintext spills to the spool
	// directory, so this bounds the work and the disk, not the memory.
	MaxDecryptedBytes: 128 << 20,
}

// filled is l with the defaults for the limits left at zero that have one.
func (l Limits) filled() Limits {
	if l.MaxParts <= 0 {
		l.MaxParts = DefaultLimits.MaxParts
	}
	if l.MaxDecryptedBytes <= 0 {
		l.MaxDecryptedBytes = DefaultLimits.MaxDecryptedBytes
	}
	return l
}

const maxDepth = 16 // nested multiparts deeper than this are kept as attachments

// Parse reads one message into what db stores: addresses, subject, thread
// ids, text, attachments, and whether it is automatic. It is lenient: a
// malformed header line is dropped, an unknown charset is read as
// Windows-1252, and whatever is left out is named in Omitted. It returns an
// error only when the reader fails.
func Parse(r io.Reader, lim Limits) (*db.InboundMail, error) {
	return parse(context.Background(), r, lim, "", nil)
}

// ParsePGP is Parse that also decrypts and verifies OpenPGP mail (PGP/MIME
// and inline) with p, saying what it found in the mail's PGP field.
func ParsePGP(ctx context.Context, r io.Reader, lim Limits, p *PGP) (*db.InboundMail, error) {
	return parse(ctx, r, lim, "", p)
}

// parse is Parse with attachments over 1 MB spooled in spoolDir while they
// are read; the result holds every attachment in memory.
func parse(ctx context.Context, r io.Reader, lim Limits, spoolDir string, p *PGP) (*db.InboundMail, error) {
	in, _, err := parseSpooled(ctx, r, lim, spoolDir, p, false)
	return in, err
}

// parseSpooled is parse that, with keep, leaves the attachments over 1 MB
// in their spools (InboundMail.Spooled), so that the mail gateway stores
// them in chunks and never holds one whole. The caller closes the spools
// it returns once the mail is stored (or failed).
func parseSpooled(ctx context.Context, r io.Reader, lim Limits, spoolDir string, p *PGP, keep bool) (_ *db.InboundMail, spools []*spool.Spool, err error) {
	c := &collector{lim: lim.filled(), spoolDir: spoolDir, keepSpooled: keep}
	defer func() {
		closeSpools(c.temps) // what decryption and signature checks needed
		if v := recover(); v != nil {
			closeSpools(c.spools)
			panic(v) // parseOne makes it this mail's failure
		}
		if err != nil {
			closeSpools(c.spools)
		}
	}()
	in, err := c.parse(ctx, r, p)
	return in, c.spools, err
}

// closeSpools drops the spooled attachments of a mail.
func closeSpools(spools []*spool.Spool) {
	for _, s := range spools {
		s.Close()
	}
}

// readers keeps the 64 KB read buffers of parsing: allocating one for each
// small mail was most of what parsing allocated.
var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 64<<10) }}

func (c *collector) parse(ctx context.Context, r io.Reader, p *PGP) (*db.InboundMail, error) {
	lim := c.lim
	br := readers.Get().(*bufio.Reader)
	br.Reset(r)
	defer func() {
		br.Reset(nil) // keep no reference to r
		readers.Put(br)
	}()
	e, dropped, err := readEntity(br, lim.MaxHeaderBytes)
	if e == nil {
		return nil, fmt.Errorf("mailin: read message: %w", err)
	}
	if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		return nil, fmt.Errorf("mailin: read message: %w", err)
	}
	in := &db.InboundMail{}
	h := gomail.Header{Header: e.Header}
	readEnvelope(in, h)
	c.in, c.pgp = in, newPGPState(ctx, p, h, in.FromEmail)
	if c.pgp != nil {
		c.pgp.budget = pgp.NewBudget(lim.MaxDecryptedBytes)
	}
	text, _ := c.walk(e, err, 0)
	in.Body = strings.TrimSpace(text)
	if n := dropped(); n > 0 {
		// Before the other notes: it says why the rest may look odd.
		in.Omitted = append([]string{fmt.Sprintf("%d malformed or oversized header line(s) were ignored; the raw message is kept.", n)}, in.Omitted...)
	}
	c.pgp.finish(in)
	if c.partsCut {
		in.Omitted = append(in.Omitted, fmt.Sprintf("The mail has more than %d MIME parts; only the first %d were read. The raw message is kept in full.", lim.MaxParts, lim.MaxParts))
	}
	c.finishOmitted()
	if c.textCut {
		in.Omitted = append(in.Omitted, fmt.Sprintf("The message text was longer than %s and was cut; the raw message is kept in full.", wording.Bytes(lim.MaxTextBytes)))
	}
	if c.bounce {
		in.Bounce = true
		if in.Auto == "" {
			in.Auto = "delivery status notification"
		}
	}
	if in.Auto != "" || in.Bounce {
		in.BouncedIDs = c.originalIDs
		in.DSN = isDSN(h, in.FromEmail)
	}
	return in, nil
}

// readHeader reads the header block up to the blank line, keeping only
// well-formed field lines (and their continuations) within max bytes, so that
// one broken or enormous header never stops a report.
func readHeader(br *bufio.Reader, max int) ([]byte, int, error) {
	var out bytes.Buffer
	dropped := 0
	keepCont := false
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A line longer than the buffer: drop it and the rest of it.
			dropped++
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			keepCont = false
			if err != nil && !errors.Is(err, io.EOF) {
				return nil, 0, err
			}
			if errors.Is(err, io.EOF) {
				break
			}
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, 0, err
		}
		trimmed := bytes.TrimRight(line, "\r\n")
		if len(trimmed) == 0 {
			break // end of header (or of input)
		}
		switch {
		case trimmed[0] == ' ' || trimmed[0] == '\t':
			if !keepCont {
				if out.Len() == 0 {
					dropped++
				}
				break
			}
			if out.Len()+len(trimmed) > max {
				dropped++
				keepCont = false
				break
			}
			out.Write(trimmed)
			out.WriteString("\r\n")
		case validFieldLine(trimmed) && out.Len()+len(trimmed) <= max:
			out.Write(trimmed)
			out.WriteString("\r\n")
			keepCont = true
		default:
			dropped++
			keepCont = false
		}
		if errors.Is(err, io.EOF) {
			break
		}
	}
	out.WriteString("\r\n")
	return out.Bytes(), dropped, nil
}

// validFieldLine says whether a header line is "Name: value" with a name of
// printable ASCII without spaces (RFC 5322 section 2.2).
func validFieldLine(line []byte) bool {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return false
	}
	for _, b := range line[:i] {
		if b <= ' ' || b >= 0x7f {
			return false
		}
	}
	return true
}

var msgIDRE = regexp.MustCompile(`<[^<>\s]{1,900}>`)

// msgIDs finds the message ids in a header value; lenient where mailers are
// sloppy (missing brackets in In-Reply-To are common).
func msgIDs(v string, max int) []string {
	found := msgIDRE.FindAllString(v, max)
	if len(found) == 0 {
		if f := strings.Fields(v); len(f) == 1 && strings.Contains(f[0], "@") && len(f[0]) < 900 {
			return []string{"<" + strings.Trim(f[0], "<>") + ">"}
		}
	}
	return found
}

func readEnvelope(in *db.InboundMail, h gomail.Header) {
	if ids := msgIDs(h.Get("Message-Id"), 1); len(ids) == 1 {
		in.MessageID = ids[0]
	}
	in.InReplyTo = msgIDs(h.Get("In-Reply-To"), 10)
	in.References = msgIDs(h.Get("References"), 200)
	in.Subject = headerText(h.Header, "Subject")
	if from := addressList(h, "From"); len(from) > 0 {
		in.FromEmail, in.FromName = from[0].Address, from[0].Name
	}
	for _, k := range []string{"To", "Cc", "Delivered-To", "X-Original-To"} {
		for _, a := range addressList(h, k) {
			in.To = append(in.To, a.Address)
		}
	}
	in.Auto = autoReason(h)
	if rp := strings.TrimSpace(h.Get("Return-Path")); rp == "<>" {
		in.Bounce = true
		if in.Auto == "" {
			in.Auto = "empty return path (a bounce)"
		}
	}
}

// headerText decodes a header field (RFC 2047 words in any charset) and makes
// sure the result is UTF-8, reading raw 8-bit bytes as Windows-1252.
func headerText(h message.Header, key string) string {
	v, err := h.Text(key)
	if err != nil {
		v = h.Get(key)
	}
	return strings.Join(strings.Fields(toUTF8(v)), " ")
}

// addressList parses an address header; when the strict parser fails it
// falls back to net/mail and then to the bare addresses it can find.
func addressList(h gomail.Header, key string) []*gomail.Address {
	if h.Get(key) == "" {
		return nil
	}
	if l, err := h.AddressList(key); err == nil && len(l) > 0 {
		return l
	}
	raw := headerText(h.Header, key)
	if l, err := mail.ParseAddressList(raw); err == nil {
		out := make([]*gomail.Address, len(l))
		for i, a := range l {
			out[i] = (*gomail.Address)(a)
		}
		return out
	}
	var out []*gomail.Address
	for _, m := range bareAddrRE.FindAllString(raw, 20) {
		out = append(out, &gomail.Address{Address: m})
	}
	return out
}

var bareAddrRE = regexp.MustCompile(`[A-Za-z0-9._%+\-=']+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)

// autoReason says why a mail is automatic (RFC 3834 Auto-Submitted, the
// de-facto Precedence and X-Autoreply headers), or "".
func autoReason(h gomail.Header) string {
	if v := strings.ToLower(strings.TrimSpace(h.Get("Auto-Submitted"))); v != "" && !strings.HasPrefix(v, "no") {
		return "Auto-Submitted: " + firstWord(v)
	}
	switch v := strings.ToLower(strings.TrimSpace(h.Get("Precedence"))); v {
	case "bulk", "junk", "list", "auto_reply":
		return "Precedence: " + v
	}
	if h.Get("X-Autoreply") != "" || h.Get("X-Autorespond") != "" {
		return "X-Autoreply"
	}
	return ""
}

func firstWord(s string) string {
	if f := strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ' ' }); len(f) > 0 {
		return f[0]
	}
	return s
}

// toUTF8 returns s when it is valid UTF-8, else reads it as Windows-1252 (the
// usual meaning of 8-bit text that names no charset).
func toUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	out, err := charmap.Windows1252.NewDecoder().String(s)
	if err != nil {
		return strings.ToValidUTF8(s, "\uFFFD")
	}
	return out
}

package mailin

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"strings"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/db/spool"
	"github.com/disclose/disclose/views/wording"
	"github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"
)

// collector walks the MIME tree once, in order, gathering the text and the
// attachments within the limits.
type collector struct {
	lim         Limits
	in          *db.InboundMail
	spoolDir    string
	textBytes   int64
	textCut     bool
	fileBytes   int64
	bounce      bool
	originalIDs []string
	unnamed     int
	pgp         *pgpState // nil: OpenPGP is not looked at
	// keepSpooled leaves an attachment that spilled to disk in its spool
	// (InboundMail.Spooled) rather than reading it into memory; the spools
	// are in spools, for the caller to close once the mail is stored.
	keepSpooled bool
	spools      []*spool.Spool
	moreOmitted int // notes past maxOmitted, counted only
	// temps are the spools of what decryption and signature checks read
	// (ciphertext, plaintext, signed parts), dropped when parsing ends.
	temps       []*spool.Spool
	parts       int   // MIME parts walked, up to lim.MaxParts
	partsCut    bool  // parts were left unread
	memBytes    int64 // attachment bytes held in memory
	inlineBytes int64 // decrypted inline text kept
	signedOpen  int   // multipart/signed entities being walked, nested
}

// maxOmitted bounds the timeline notes one mail can cause: a stranger's mail
// of a million tiny parts must not become a million timeline entries (and
// their memory) while it is parsed and stored.
const maxOmitted = 20

// omit notes a part that was left out, up to maxOmitted notes; the rest
// are counted and summed up in one line by finishOmitted.
func (c *collector) omit(note string) {
	if len(c.in.Omitted) >= maxOmitted {
		c.moreOmitted++
		return
	}
	c.in.Omitted = append(c.in.Omitted, note)
}

// finishOmitted adds the line that sums up the notes past the limit.
func (c *collector) finishOmitted() {
	if c.moreOmitted > 0 {
		c.in.Omitted = append(c.in.Omitted, fmt.Sprintf("%d more parts of the message were left out or could not be read; the raw message is kept in full.", c.moreOmitted))
	}
}

// walk returns the text of e (already chosen among alternatives) and whether
// it came from text/plain.
func (c *collector) walk(e *message.Entity, readErr error, depth int) (string, bool) {
	c.parts++
	c.pgp.entering(e, depth)
	mt, params, err := e.Header.ContentType()
	if err != nil || mt == "" {
		mt, params = "text/plain", map[string]string{}
	}
	disp, _, _ := e.Header.ContentDisposition()
	ah := gomail.AttachmentHeader{Header: e.Header}
	name, _ := ah.Filename()
	name = toUTF8(name)

	switch {
	case mt == "multipart/encrypted" && c.pgp != nil && strings.EqualFold(params["protocol"], "application/pgp-encrypted") && depth < maxDepth:
		defer c.pgp.wrapper(depth, true)()
		return c.walkEncrypted(e, depth)
	case mt == "multipart/signed" && c.pgp != nil && strings.EqualFold(params["protocol"], "application/pgp-signature") && depth < maxDepth:
		defer c.pgp.wrapper(depth, false)()
		return c.walkSigned(e, params, depth)
	case strings.HasPrefix(mt, "multipart/") && depth < maxDepth:
		if mt == "multipart/encrypted" && c.pgp == nil {
			c.in.Omitted = append(c.in.Omitted, "This mail is encrypted, but the portal has no team key to decrypt it; its parts are kept as attachments, and the raw message too.")
		}
		return c.walkMultipart(e, mt, params, depth)
	case mt == "message/rfc822" || mt == "message/global":
		c.keepMessage(e.Body, name)
		return "", false
	case mt == "text/rfc822-headers":
		c.keepFile(e.Body, nameOr(name, "original-headers.txt"), mt, true)
		return "", false
	case mt == "message/delivery-status" || mt == "message/global-delivery-status":
		c.bounce = true
		c.keepFile(e.Body, nameOr(name, "delivery-status.txt"), "text/plain", false)
		return "", false
	case (mt == "text/plain" || mt == "text/html") && disp != "attachment" && name == "":
		text := c.readText(e.Body)
		if mt == "text/html" {
			return htmlToText(text), false
		}
		c.pgp.textAt(depth)
		return c.inline(text), true
	default:
		if name == "" {
			c.unnamed++
			prefix := "attachment"
			if disp == "inline" || e.Header.Get("Content-Id") != "" {
				prefix = "inline"
			}
			name = fmt.Sprintf("%s-%d%s", prefix, c.unnamed, extensionOf(mt))
		}
		if head := c.keepFile(e.Body, name, mt, false); head != nil {
			c.pgpFile(len(c.in.Files)-1, mt, head)
		}
		return "", false
	}
}

func (c *collector) walkMultipart(e *message.Entity, mt string, params map[string]string, depth int) (string, bool) {
	if mt == "multipart/report" {
		if strings.EqualFold(params["report-type"], "delivery-status") {
			c.bounce = true
		} else if c.in.Auto == "" {
			c.in.Auto = "report (" + params["report-type"] + ")"
		}
	}
	mr := e.MultipartReader()
	var texts []string
	var plain, html string
	anyPlain := false
	for {
		if c.parts >= c.lim.MaxParts {
			c.partsCut = true
			break
		}
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		} else if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
			c.omit("Part of the message could not be read (broken MIME structure); the raw message is kept.")
			break
		}
		text, isPlain := c.walk(part, err, depth+1)
		if mt == "multipart/alternative" {
			switch {
			case isPlain && plain == "" && strings.TrimSpace(text) != "":
				plain = text
			case !isPlain && html == "" && strings.TrimSpace(text) != "":
				html = text
			}
			continue
		}
		if strings.TrimSpace(text) != "" {
			texts = append(texts, strings.TrimSpace(text))
			anyPlain = anyPlain || isPlain
		}
	}
	if mt == "multipart/alternative" {
		if plain != "" {
			return plain, true
		}
		return html, false
	}
	return strings.Join(texts, "\n\n"), anyPlain
}

// readText reads a text part within what is left of the text budget.
func (c *collector) readText(r io.Reader) string {
	left := c.lim.MaxTextBytes - c.textBytes
	if left <= 0 {
		if n, _ := io.Copy(io.Discard, r); n > 0 {
			c.textCut = true
		}
		return ""
	}
	var b strings.Builder
	n, _ := copyPooled(&b, io.LimitReader(r, left))
	c.textBytes += n
	if n == left {
		if m, _ := io.Copy(io.Discard, r); m > 0 {
			c.textCut = true
		}
	}
	return normalizeNewlines(toUTF8(b.String()))
}

func normalizeNewlines(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// keepFile stores one attachment, or a note saying why it was not stored.
// With scanIDs, the Message-IDs in it are taken as those of a bounced mail.
// It returns the file's bytes, or the first spoolHead of them when the file
// stays in the spool (see keepSpooled).
func (c *collector) keepFile(r io.Reader, name, contentType string, scanIDs bool) []byte {
	name = db.SafeFilename(name)
	if len(c.in.Files) >= c.lim.MaxAttachments {
		c.omit(fmt.Sprintf("The attachment %q was not stored: a mail may carry at most %d attachments. The raw message is kept.", name, c.lim.MaxAttachments))
		return nil
	}
	limit := c.lim.MaxAttachmentBytes
	overall := false
	if left := c.lim.MaxMessageBytes - c.fileBytes; left < limit {
		limit, overall = left, true
	}
	sp := c.fileSpool()
	kept := false
	defer func() {
		if !kept {
			sp.Close()
		}
	}()
	h := sha256.New()
	n, err := copyPooled(io.MultiWriter(sp, h), io.LimitReader(r, limit+1))
	if err != nil {
		if n == 0 {
			c.omit(fmt.Sprintf("The attachment %q could not be decoded; the raw message is kept.", name))
			return nil
		}
		c.omit(fmt.Sprintf("The attachment %q was incomplete (the message ends or breaks inside it); what arrived is kept, and the raw message too.", name))
	}
	if n > limit {
		rest, _ := io.Copy(io.Discard, r)
		size := wording.Bytes(n + rest)
		if overall {
			c.omit(fmt.Sprintf("The attachment %q (%s) was not stored: the attachments of one mail may total at most %s. The raw message is kept.", name, size, wording.Bytes(c.lim.MaxMessageBytes)))
		} else {
			c.omit(fmt.Sprintf("The attachment %q (%s) was not stored: each attachment may be at most %s. The raw message is kept.", name, size, wording.Bytes(c.lim.MaxAttachmentBytes)))
		}
		return nil
	}
	if ct, params, err := mime.ParseMediaType(contentType); err == nil {
		delete(params, "name")
		contentType = mime.FormatMediaType(ct, params)
	}
	if c.keepSpooled && sp.OnDisk() {
		// Left in its spool, whatever it is: what looks at it further (a
		// bounce's headers, OpenPGP) reads its head or streams it.
		head, err := io.ReadAll(io.LimitReader(sp.Reader(), spoolHead))
		if err != nil {
			c.omit(fmt.Sprintf("The attachment %q could not be read back; the raw message is kept.", name))
			return nil
		}
		c.fileBytes += n
		kept = true
		c.spools = append(c.spools, sp)
		c.in.Files = append(c.in.Files, db.NewAttachment{Filename: name, ContentType: contentType})
		c.setSpooled(len(c.in.Files)-1, &db.SpooledFile{Size: n, SHA256: hex.EncodeToString(h.Sum(nil)), Open: sp.Reader})
		if scanIDs {
			c.scanOriginal(head)
		}
		return head
	}
	data, err := sp.Bytes()
	if err != nil {
		c.omit(fmt.Sprintf("The attachment %q could not be read back; the raw message is kept.", name))
		return nil
	}
	if data == nil {
		data = []byte{} // an empty file is kept as one; nil means "not kept"
	}
	c.fileBytes += n
	c.memBytes += n
	c.in.Files = append(c.in.Files, db.NewAttachment{Filename: name, ContentType: contentType, Data: data})
	c.setSpooled(len(c.in.Files)-1, nil)
	if scanIDs {
		c.scanOriginal(data)
	}
	return data
}

// spoolHead is how much of a spooled attachment parsing still looks at: the
// header of an attached message, the start of an OpenPGP file.
const spoolHead = 256 << 10

// keepMessage stores an attached message as a .eml file named after its
// subject, and notes its Message-ID in case this mail is a bounce.
func (c *collector) keepMessage(r io.Reader, name string) {
	if name == "" {
		c.unnamed++
		name = fmt.Sprintf("attached-message-%d.eml", c.unnamed)
	}
	data := c.keepFile(r, name, "message/rfc822", false)
	if data == nil {
		return
	}
	c.scanOriginal(data)
	if strings.HasPrefix(c.in.Files[len(c.in.Files)-1].Filename, "attached-message-") {
		if e, err := message.Read(bufio.NewReader(bytes.NewReader(data))); err == nil || message.IsUnknownCharset(err) {
			if s := headerText(e.Header, "Subject"); s != "" {
				c.in.Files[len(c.in.Files)-1].Filename = db.SafeFilename(s + ".eml")
			}
		}
	}
}

// scanOriginal takes the Message-ID of an original message (or its headers)
// inside a bounce.
func (c *collector) scanOriginal(data []byte) {
	head := data
	if len(head) > 256<<10 {
		head = head[:256<<10]
	}
	hdr, _, err := readHeader(bufio.NewReader(bytes.NewReader(head)), 256<<10)
	if err != nil {
		return
	}
	e, err := message.Read(bufio.NewReader(bytes.NewReader(hdr)))
	if err != nil && !message.IsUnknownCharset(err) {
		return
	}
	if ids := msgIDs(e.Header.Get("Message-Id"), 1); len(ids) == 1 && len(c.originalIDs) < 20 {
		c.originalIDs = append(c.originalIDs, ids[0])
	}
}

func nameOr(name, def string) string {
	if name == "" {
		return def
	}
	return name
}

// extensionOf gives an unnamed part a usual extension for its type.
func extensionOf(mediaType string) string {
	switch mediaType {
	case "text/plain":
		return ".txt"
	case "text/html":
		return ".html"
	case "image/jpeg":
		return ".jpg"
	case "application/octet-stream":
		return ".bin"
	}
	if exts, err := mime.ExtensionsByType(mediaType); err == nil && len(exts) > 0 {
		return exts[0]
	}
	return ".bin"
}

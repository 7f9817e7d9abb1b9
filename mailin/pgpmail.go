package mailin

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"slices"
	"strings"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin/pgp"
	"github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"
)

// PGP is what intake needs to read OpenPGP mail: the team key (locked or
// not) and the keys bound to the reporter a mail is from. A nil *PGP reads
// every mail as plain MIME.
type PGP struct {
	Key *pgp.TeamKey
	// Known returns the armored keys bound to the reporter of the report a
	// mail belongs to (db.DB.KnownKeys: given with that report, or saved by
	// a triager); signatures are checked against them and the keys the mail
	// carries, and the database decides which of the two a signer was.
	Known func(ctx context.Context, q db.KeyQuery) ([]string, error)
	Now   func() time.Time
	// report pins the report a kept mail is decrypted for (DecryptPending),
	// so its keys are those of the report it is on, not a new guess.
	report int64
}

func (p *PGP) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// check is one signature found in a mail; run checks it against keys.
type check struct {
	run    func(keys []*pgp.PublicKey) pgp.Signature
	result pgp.Signature
	// whole says the signature covers the whole mail (coverage), subject
	// is the Subject header it covers, if any.
	whole   bool
	subject string
}

// pgpState gathers, while one mail is walked, what was found about OpenPGP.
type pgpState struct {
	p *PGP
	// The keys known for the sender are looked up only when the mail turns
	// out to be signed or encrypted, so plain mail costs no query.
	ctx      context.Context
	from     string
	header   gomail.Header
	query    db.KeyQuery // what the known keys were looked up for
	loaded   bool
	known    []*pgp.PublicKey
	mailKeys []*pgp.PublicKey // keys the mail carried
	offered  []db.KeyCandidate
	checks   []*check
	state    db.PGPState
	notes    []string
	cover    coverage
}

func newPGPState(ctx context.Context, p *PGP, h gomail.Header, from string) *pgpState {
	if p == nil {
		return nil
	}
	s := &pgpState{p: p, ctx: ctx, from: from, header: h}
	s.autocrypt(h, from)
	return s
}

// signers are the keys a signature is checked against: those bound to the
// reporter of the report the mail goes to, then those the mail carried.
func (s *pgpState) signers() []*pgp.PublicKey {
	if !s.loaded {
		s.loaded = true
		var env db.InboundMail
		readEnvelope(&env, s.header)
		s.load(db.KeyQuery{ReportID: s.p.report, From: s.from, InReplyTo: env.InReplyTo, References: env.References, Subject: env.Subject})
	}
	return append(slices.Clip(s.known), s.mailKeys...)
}

// load looks up the keys known for q.
func (s *pgpState) load(q db.KeyQuery) {
	s.query, s.known = q, nil
	if s.p.Known == nil || (q.ReportID == 0 && s.from == "") {
		return
	}
	known, err := s.p.Known(s.ctx, q)
	if err != nil {
		s.notes = append(s.notes, "The keys known for the sender could not be read; signatures were checked without them.")
	}
	for _, a := range known {
		k, err := pgp.ParsePublicKey(a, s.p.now())
		if err == nil {
			s.known = append(s.known, k)
		} else if errors.Is(err, pgp.ErrBadKey) {
			s.notes = append(s.notes, "A key saved for the sender could not be used to check signatures: "+err.Error())
		}
	}
}

// autocrypt takes the key of an Autocrypt header whose addr is the sender
// (the Autocrypt spec: a header for another address is ignored).
func (s *pgpState) autocrypt(h gomail.Header, from string) {
	for _, v := range h.Values("Autocrypt") {
		attrs := map[string]string{}
		for _, f := range strings.Split(v, ";") {
			if k, val, ok := strings.Cut(strings.TrimSpace(f), "="); ok {
				attrs[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(val)
			}
		}
		if !strings.EqualFold(attrs["addr"], from) || attrs["keydata"] == "" {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(attrs["keydata"]), ""))
		if err != nil {
			s.notes = append(s.notes, "The Autocrypt header carried a key that could not be read.")
			continue
		}
		k, err := pgp.ParsePublicKeyBinary(b, s.p.now())
		s.offer(k, err, "autocrypt")
	}
}

// offer keeps a key the mail carried as a candidate and as a signer for the
// mail's own signatures.
func (s *pgpState) offer(k *pgp.PublicKey, err error, origin string) {
	if err != nil {
		var msg string
		if errors.Is(err, pgp.ErrBadKey) {
			msg = err.Error()
		} else {
			msg = "The key could not be read."
		}
		s.notes = append(s.notes, "A public key came with the mail but was not offered: "+msg)
		return
	}
	for _, o := range s.offered {
		if o.Fingerprint == k.Fingerprint {
			return
		}
	}
	s.offered = append(s.offered, db.KeyCandidate{Fingerprint: k.Fingerprint, Armored: k.Armored, Origin: origin})
	s.mailKeys = append(s.mailKeys, k)
}

// signature records one signature check, run now with the keys known so far.
func (s *pgpState) signature(run func(keys []*pgp.PublicKey) pgp.Signature) {
	c := &check{run: run}
	c.result = run(s.signers())
	s.checks = append(s.checks, c)
}

// decrypt decrypts one encrypted piece; ok is false when it could not be
// (locked, not for us, damaged), the reason being noted.
func (s *pgpState) decrypt(ct []byte, what string) ([]byte, bool) {
	if s.p.Key == nil {
		s.fail(fmt.Sprintf("%s is encrypted, but no team key is set up here, so it cannot be decrypted. The raw message is kept.", what))
		return nil, false
	}
	d, err := s.p.Key.Decrypt(ct, s.signers(), s.p.now())
	switch {
	case errors.Is(err, pgp.ErrLocked):
		if s.state != db.PGPFailed {
			s.state = db.PGPPending
		}
		return nil, false
	case errors.Is(err, pgp.ErrTooLarge):
		s.fail(fmt.Sprintf("%s is encrypted and decrypts to more than %s; it was not decrypted. The raw message is kept.", what, db.FormatBytes(pgp.MaxPlaintext)))
		return nil, false
	case errors.Is(err, pgp.ErrNotForUs):
		s.fail(fmt.Sprintf("%s is encrypted to a key other than the team key and cannot be decrypted. The raw message is kept.", what))
		return nil, false
	case err != nil:
		s.fail(fmt.Sprintf("%s is encrypted but damaged or truncated and could not be decrypted. The raw message is kept.", what))
		return nil, false
	}
	if s.state == db.PGPPlain {
		s.state = db.PGPDecrypted
	}
	key := s.p.Key
	now := s.p.now()
	c := &check{result: d.Signature, run: func(keys []*pgp.PublicKey) pgp.Signature {
		d, err := key.Decrypt(ct, keys, now)
		if err != nil {
			return pgp.BadSig
		}
		return d.Signature
	}}
	if d.Signature != pgp.Unsigned {
		s.checks = append(s.checks, c)
	}
	return d.Data, true
}

func (s *pgpState) fail(note string) {
	s.state = db.PGPFailed
	s.notes = append(s.notes, note)
}

// finish re-runs the checks that met an unknown key once the mail turned out
// to carry keys, and puts the outcome on the mail: the worst signature wins
// (bad over unknown key over verified), so one forged part is never hidden,
// and good signatures none of which covers the whole mail are only partial
// (coverage); the signer named is that of a signature over the whole.
func (s *pgpState) finish(in *db.InboundMail) {
	if s == nil {
		return
	}
	rank := map[pgp.Signature]int{pgp.Unsigned: 0, pgp.Verified: 1, pgp.UnknownKey: 2, pgp.BadSig: 3}
	worst := pgp.Unsigned
	again := len(s.mailKeys) > 0
	if s.loaded && s.query.ReportID == 0 && s.query.Subject != in.Subject {
		// The subject (and its [PREFIX-N] tag) came from inside the encrypted
		// part after the keys were looked up: look them up again for it.
		q := s.query
		q.Subject = in.Subject
		s.load(q)
		again = again || len(s.known) > 0
	}
	for _, c := range s.checks {
		if c.result == pgp.UnknownKey && again {
			c.result = c.run(s.signers())
		}
		if rank[c.result] > rank[worst] {
			worst = c.result
		}
	}
	p := &in.PGP
	p.State, p.Keys = s.state, s.offered
	if worst != pgp.Unsigned {
		p.Signature = db.PGPSignature(worst)
	}
	if worst == pgp.Verified && !slices.ContainsFunc(s.checks, func(c *check) bool { return c.whole }) {
		// Good signatures, but over a part of the mail only (coverage).
		p.Signature = db.SigPartial
		s.notes = append(s.notes, "Only part of this mail is signed; the rest (text around the signed block, other parts, attachments) could have been written by anyone, so the signature vouches for none of it.")
	}
	if worst == pgp.Verified && p.Signature != db.SigPartial {
		for _, c := range s.checks {
			if !c.whole {
				continue
			}
			if k := pgp.SignerOf(c.run, s.signers()); k != nil {
				p.Signer, p.SignedSubject = k.Fingerprint, c.subject
				if !slices.Contains(s.known, k) {
					// Anyone can sign with a key of their own and attach it:
					// this proves the mail unchanged, not who sent it.
					s.notes = append(s.notes, "The signature was checked with a key that came with this mail; it shows the mail is unchanged, not who wrote it, until a triager saves the key for the reporter.")
				}
				break
			}
		}
	}
	p.Note = strings.Join(s.notes, " ")
	switch s.state {
	case db.PGPPending:
		note := "This mail came encrypted; it will be decrypted when the team key is unlocked. The raw message is kept."
		p.Note = strings.TrimSpace(note + " " + p.Note)
		if strings.TrimSpace(in.Body) == "" || isOnlyArmor(in.Body) {
			in.Body = note
		}
	case db.PGPFailed:
		if strings.TrimSpace(in.Body) == "" {
			in.Body = p.Note
		} else {
			in.Omitted = append(in.Omitted, s.notes...)
		}
	default:
		in.Omitted = append(in.Omitted, s.notes...)
	}
}

func isOnlyArmor(body string) bool {
	b := strings.TrimSpace(body)
	return strings.HasPrefix(b, "-----BEGIN PGP MESSAGE-----") && strings.HasSuffix(b, "-----END PGP MESSAGE-----")
}

// walkEncrypted reads an RFC 3156 multipart/encrypted entity: the second part
// holds the OpenPGP message, whose plaintext is a MIME entity walked like any.
func (c *collector) walkEncrypted(e *message.Entity, depth int) (string, bool) {
	mr := e.MultipartReader()
	var ct []byte
	for {
		part, err := mr.NextPart()
		if err != nil {
			break
		}
		if mt, _, _ := part.Header.ContentType(); mt == "application/octet-stream" && ct == nil {
			ct, _ = io.ReadAll(io.LimitReader(part.Body, c.lim.MaxMessageBytes))
		}
	}
	if ct == nil {
		c.pgp.fail("The mail says it is encrypted but carries no encrypted part. The raw message is kept.")
		return "", false
	}
	plain, ok := c.pgp.decrypt(ct, "The mail")
	if !ok {
		return "", false
	}
	inner, _, err := readEntity(bufio.NewReader(bytes.NewReader(plain)), c.lim.MaxHeaderBytes)
	if inner == nil || err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		c.pgp.fail("The mail was decrypted, but what it held is not a readable MIME message. The raw message is kept.")
		return "", false
	}
	c.protectedSubject(inner)
	return c.walk(inner, err, depth+1)
}

// protectedSubject takes the Subject of the encrypted part (protected
// headers, as Thunderbird and others send them) when the outer one is a
// placeholder such as "...": the report is then titled by what the reporter
// wrote, which only the team can read.
func (c *collector) protectedSubject(inner *message.Entity) {
	sub := headerText(inner.Header, "Subject")
	if sub == "" {
		return
	}
	switch strings.ToLower(strings.TrimSpace(c.in.Subject)) {
	case "", "...", "…", "encrypted message", "encrypted subject":
		c.in.Subject = sub
		c.in.PGP.Subject = sub
	}
}

// walkSigned reads an RFC 3156 multipart/signed entity: the first part, as
// its raw bytes with CRLF line ends, is what the second part signs.
func (c *collector) walkSigned(e *message.Entity, params map[string]string, depth int) (string, bool) {
	body, _ := io.ReadAll(io.LimitReader(e.Body, c.lim.MaxMessageBytes))
	parts, _ := splitMultipart(body, params["boundary"])
	if len(parts) < 1 {
		c.in.Omitted = append(c.in.Omitted, "Part of the message could not be read (broken MIME structure); the raw message is kept.")
		return "", false
	}
	signed, err := message.Read(bufio.NewReader(bytes.NewReader(parts[0])))
	if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		c.in.Omitted = append(c.in.Omitted, "The signed part of the message could not be read; the raw message is kept.")
		return "", false
	}
	text, plain := c.walk(signed, err, depth+1)
	if len(parts) < 2 {
		return text, plain
	}
	sigPart, err := message.Read(bufio.NewReader(bytes.NewReader(parts[1])))
	if err != nil && !message.IsUnknownCharset(err) {
		c.pgp.signature(func([]*pgp.PublicKey) pgp.Signature { return pgp.BadSig })
		return text, plain
	}
	sig, _ := io.ReadAll(io.LimitReader(sigPart.Body, 1<<20))
	data := crlf(parts[0])
	now := c.pgp.p.now()
	c.pgp.signature(func(keys []*pgp.PublicKey) pgp.Signature {
		st, err := pgp.VerifyDetached(data, sig, keys, now)
		if err != nil {
			return pgp.BadSig
		}
		return st
	})
	c.pgp.signedWhole(depth)
	return text, plain
}

// splitMultipart cuts a multipart body into its parts as raw bytes (RFC 2046
// section 5.1.1: the line break before a delimiter belongs to the delimiter).
// go-message hands out parts decoded; a detached signature needs them raw.
func splitMultipart(body []byte, boundary string) ([][]byte, bool) {
	if boundary == "" {
		return nil, false
	}
	delim := []byte("--" + boundary)
	var parts [][]byte
	start := -1
	for pos := 0; pos < len(body); {
		next := len(body)
		if i := bytes.IndexByte(body[pos:], '\n'); i >= 0 {
			next = pos + i + 1
		}
		line := bytes.TrimRight(body[pos:next], " \t\r\n")
		if bytes.HasPrefix(line, delim) {
			rest := line[len(delim):]
			closing := bytes.Equal(rest, []byte("--"))
			if len(rest) == 0 || closing {
				if start >= 0 {
					parts = append(parts, trimEOL(body[start:pos]))
				}
				if closing {
					return parts, true
				}
				start = next
			}
		}
		pos = next
	}
	return parts, false
}

func trimEOL(b []byte) []byte {
	if bytes.HasSuffix(b, []byte("\r\n")) {
		return b[:len(b)-2]
	}
	return bytes.TrimSuffix(b, []byte("\n"))
}

// crlf gives every line a CRLF end, the canonical form RFC 3156 signs.
func crlf(b []byte) []byte {
	return bytes.ReplaceAll(bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
}

const (
	beginMessage = "-----BEGIN PGP MESSAGE-----"
	endMessage   = "-----END PGP MESSAGE-----"
	beginSigned  = "-----BEGIN PGP SIGNED MESSAGE-----"
	endSignature = "-----END PGP SIGNATURE-----"
)

// inline decrypts the armored messages and checks the cleartext-signed
// blocks in a text part (inline PGP), putting their plaintext in place.
// While the key is locked the text stays as it came.
func (c *collector) inline(text string) string {
	if c.pgp == nil || !strings.Contains(text, "-----BEGIN PGP ") {
		return text
	}
	var out strings.Builder
	// Whether the text is one signed block and nothing else (coverage).
	first, blocks, outside := len(c.pgp.checks), 0, false
	for {
		i := strings.Index(text, "-----BEGIN PGP ")
		if i < 0 {
			break
		}
		out.WriteString(text[:i])
		outside = outside || strings.TrimSpace(text[:i]) != ""
		blocks++
		rest := text[i:]
		switch {
		case strings.HasPrefix(rest, beginMessage):
			j := strings.Index(rest, endMessage)
			if j < 0 {
				c.pgp.fail("The mail text holds an encrypted block whose end is missing (truncated armor); it could not be decrypted. The raw message is kept.")
				out.WriteString(rest)
				return out.String()
			}
			block := rest[:j+len(endMessage)]
			if plain, ok := c.pgp.decrypt([]byte(block), "A block in the mail text"); ok {
				out.WriteString(normalizeNewlines(toUTF8(string(plain))))
			} else {
				out.WriteString(block)
			}
			text = rest[len(block):]
		case strings.HasPrefix(rest, beginSigned):
			j := strings.Index(rest, endSignature)
			if j < 0 {
				c.pgp.signature(func([]*pgp.PublicKey) pgp.Signature { return pgp.BadSig })
				out.WriteString(rest)
				return out.String()
			}
			block := rest[:j+len(endSignature)]
			signed, st, err := pgp.VerifyCleartext([]byte(block), c.pgp.signers(), c.pgp.p.now())
			if err != nil {
				c.pgp.signature(func([]*pgp.PublicKey) pgp.Signature { return pgp.BadSig })
				out.WriteString(block)
			} else {
				now := c.pgp.p.now()
				c.pgp.checks = append(c.pgp.checks, &check{result: st, run: func(keys []*pgp.PublicKey) pgp.Signature {
					_, st, _ := pgp.VerifyCleartext([]byte(block), keys, now)
					return st
				}})
				out.WriteString(signed)
			}
			text = rest[len(block):]
		default:
			outside = true
			out.WriteString(rest[:len("-----BEGIN PGP ")])
			text = rest[len("-----BEGIN PGP "):]
		}
	}
	out.WriteString(text)
	c.pgp.inlineWhole(first, blocks == 1 && !outside && strings.TrimSpace(text) == "")
	return out.String()
}

// pgpFile looks at an attachment that may be OpenPGP: a public key is
// offered (and kept as a file); an encrypted file (.pgp, .gpg, .asc) is
// replaced by its plaintext under its name without that extension.
func (c *collector) pgpFile(idx int, mediaType string) {
	if c.pgp == nil || idx < 0 || idx >= len(c.in.Files) || (idx < len(c.in.Spooled) && c.in.Spooled[idx] != nil) {
		return
	}
	f := &c.in.Files[idx]
	lower := strings.ToLower(f.Filename)
	ext := ""
	for _, e := range []string{".pgp", ".gpg", ".asc"} {
		if strings.HasSuffix(lower, e) {
			ext = e
		}
	}
	head := f.Data[:min(len(f.Data), 4096)]
	switch {
	case mediaType == "application/pgp-keys" || bytes.Contains(head, []byte("-----BEGIN PGP PUBLIC KEY BLOCK-----")):
		if bytes.Contains(head, []byte("-----BEGIN PGP PUBLIC KEY BLOCK-----")) {
			k, err := pgp.ParsePublicKey(string(f.Data), c.pgp.p.now())
			c.pgp.offer(k, err, "attachment")
		} else {
			k, err := pgp.ParsePublicKeyBinary(f.Data, c.pgp.p.now())
			c.pgp.offer(k, err, "attachment")
		}
	case mediaType == "application/pgp-signature" || bytes.Contains(head, []byte("-----BEGIN PGP SIGNATURE-----")):
		// A detached signature of another attachment; kept as a file.
	case packetTag(head) == 6:
		k, err := pgp.ParsePublicKeyBinary(f.Data, c.pgp.p.now())
		c.pgp.offer(k, err, "attachment")
	case ext != "" && (bytes.Contains(head, []byte(beginMessage)) || packetTag(head) == 1 || packetTag(head) == 3):
		plain, ok := c.pgp.decrypt(f.Data, fmt.Sprintf("The attachment %q", f.Filename))
		if !ok {
			return
		}
		f.Filename = db.SafeFilename(f.Filename[:len(f.Filename)-len(ext)])
		f.ContentType = "application/octet-stream"
		c.fileBytes += int64(len(plain)) - int64(len(f.Data))
		f.Data = plain
	}
}

// pgpWants says whether pgpFile may act on a file (a key, an encrypted
// file), which needs its bytes in memory: a superset of pgpFile's cases,
// judged on the name, type and head of the file.
func (c *collector) pgpWants(name, mediaType string, head []byte) bool {
	if c.pgp == nil {
		return false
	}
	lower := strings.ToLower(name)
	mt, _, _ := mime.ParseMediaType(mediaType)
	return mt == "application/pgp-keys" || strings.HasSuffix(lower, ".pgp") || strings.HasSuffix(lower, ".gpg") ||
		strings.HasSuffix(lower, ".asc") || bytes.Contains(head[:min(len(head), 4096)], []byte("-----BEGIN PGP")) || packetTag(head) == 6
}

// packetTag is the tag of the first OpenPGP packet of b (RFC 4880 section
// 4.2), or -1: 1 and 3 start an encrypted message, 6 a public key.
func packetTag(b []byte) int {
	if len(b) == 0 || b[0]&0x80 == 0 {
		return -1
	}
	if b[0]&0x40 != 0 {
		return int(b[0] & 0x3f)
	}
	return int(b[0]>>2) & 0x0f
}

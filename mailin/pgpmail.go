package mailin

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/db/spool"
	"github.com/disclose/disclose/mailin/pgp"
	"github.com/disclose/disclose/views/wording"
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
	// SpoolDir is where DecryptPending spools a kept mail and its large
	// parts while it reads them (the data directory's tmp); "" is the
	// system's temporary directory.
	SpoolDir string
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
	budget   *pgp.Budget // what the decryptions of the mail may still produce
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

// decrypt decrypts one encrypted piece, read from ct, into w, within what
// is left of the mail's budget. ok is false when it could not be (locked,
// not for us, damaged, over the budget), the reason being noted; err is then
// the failure of w, for the caller to explain. ct is opened again when the
// signature is checked again, with the keys the rest of the mail brought.
func (s *pgpState) decrypt(ct func() io.Reader, w io.Writer, what string) (ok bool, err error) {
	if s.p.Key == nil {
		s.fail(fmt.Sprintf("%s is encrypted, but no team key is set up here, so it cannot be decrypted. The raw message is kept.", what))
		return false, nil
	}
	sig, err := s.p.Key.DecryptTo(w, ct(), s.budget, s.signers(), s.p.now())
	switch {
	case errors.Is(err, pgp.ErrLocked):
		if s.state != db.PGPFailed {
			s.state = db.PGPPending
		}
		return false, nil
	case errors.Is(err, pgp.ErrTooLarge):
		s.fail(fmt.Sprintf("%s is encrypted and decrypts to more than one mail may (%s for all its encrypted parts together); it was not decrypted. The raw message is kept.", what, wording.Bytes(s.budget.Total())))
		return false, nil
	case errors.Is(err, pgp.ErrNotForUs):
		s.fail(fmt.Sprintf("%s is encrypted to a key other than the team key and cannot be decrypted. The raw message is kept.", what))
		return false, nil
	case errors.Is(err, pgp.ErrWrite):
		return false, err
	case err != nil:
		s.fail(fmt.Sprintf("%s is encrypted but damaged or truncated and could not be decrypted. The raw message is kept.", what))
		return false, nil
	}
	if s.state == db.PGPPlain {
		s.state = db.PGPDecrypted
	}
	key, budget, now := s.p.Key, s.budget, s.p.now()
	c := &check{result: sig, run: func(keys []*pgp.PublicKey) pgp.Signature {
		st, err := key.DecryptTo(io.Discard, ct(), budget, keys, now)
		return recheckResult(st, err)
	}}
	if sig != pgp.Unsigned {
		s.checks = append(s.checks, c)
	}
	return true, nil
}

// recheckResult is the outcome of checking a decrypted part's signature
// again with more keys. Only a signature that does not match is bad: when
// the check could not run (no decompression budget left, or the team key
// locked meanwhile) nothing was learnt, and the signer stays unknown rather
// than being accused of a forgery.
func recheckResult(st pgp.Signature, err error) pgp.Signature {
	switch {
	case errors.Is(err, pgp.ErrTooLarge), errors.Is(err, pgp.ErrLocked):
		return pgp.UnknownKey
	case err != nil:
		return pgp.BadSig
	}
	return st
}

func (s *pgpState) fail(note string) {
	s.state = db.PGPFailed
	if !slices.Contains(s.notes, note) { // dozens of blocks, one note
		s.notes = append(s.notes, note)
	}
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
	var ct *spool.Spool
	for {
		if c.parts >= c.lim.MaxParts {
			c.partsCut = true
			break
		}
		part, err := mr.NextPart()
		if err != nil {
			break
		}
		c.parts++
		if mt, _, _ := part.Header.ContentType(); mt == "application/octet-stream" && ct == nil {
			// Spooled, not held: the ciphertext is read again when its
			// signature is checked again.
			ct = c.tempSpool()
			copyPooled(ct, io.LimitReader(part.Body, c.lim.MaxMessageBytes))
		}
	}
	if ct == nil {
		c.pgp.fail("The mail says it is encrypted but carries no encrypted part. The raw message is kept.")
		return "", false
	}
	plain := c.tempSpool()
	if ok, err := c.pgp.decrypt(ct.Reader, plain, "The mail"); !ok {
		if err != nil {
			c.pgp.fail("The mail is encrypted, but its decrypted content could not be written to the spool directory. The raw message is kept.")
		}
		return "", false
	}
	inner, _, err := readEntity(bufio.NewReader(plain.Reader()), c.lim.MaxHeaderBytes)
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
	if c.signedOpen >= maxSignedNesting {
		// Each level copies its body to check it: nesting must not
		// multiply that. The parts are still read.
		if note := "A signed part nested inside other signed parts was not checked; the raw message is kept."; !slices.Contains(c.pgp.notes, note) {
			c.pgp.notes = append(c.pgp.notes, note)
		}
		c.pgp.signature(func([]*pgp.PublicKey) pgp.Signature { return pgp.UnknownKey })
		return c.walkMultipart(e, "multipart/signed", params, depth)
	}
	c.signedOpen++
	defer func() { c.signedOpen-- }()
	body := c.tempSpool()
	copyPooled(body, io.LimitReader(e.Body, c.lim.MaxMessageBytes))
	parts, _ := splitSections(body.Reader(), params["boundary"])
	if len(parts) < 1 {
		c.in.Omitted = append(c.in.Omitted, "Part of the message could not be read (broken MIME structure); the raw message is kept.")
		return "", false
	}
	signed, err := message.Read(bufio.NewReader(parts[0].in(body)))
	if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		c.in.Omitted = append(c.in.Omitted, "The signed part of the message could not be read; the raw message is kept.")
		return "", false
	}
	text, plain := c.walk(signed, err, depth+1)
	if len(parts) < 2 {
		return text, plain
	}
	sigPart, err := message.Read(bufio.NewReader(parts[1].in(body)))
	if err != nil && !message.IsUnknownCharset(err) {
		c.pgp.signature(func([]*pgp.PublicKey) pgp.Signature { return pgp.BadSig })
		return text, plain
	}
	sig, _ := io.ReadAll(io.LimitReader(sigPart.Body, 1<<20))
	data := parts[0]
	now := c.pgp.p.now()
	c.pgp.signature(func(keys []*pgp.PublicKey) pgp.Signature {
		st, err := pgp.VerifyDetachedReader(&crlfReader{r: bufio.NewReader(data.in(body))}, sig, keys, now)
		if err != nil {
			return pgp.BadSig
		}
		return st
	})
	c.pgp.signedWhole(depth)
	return text, plain
}

// maxSignedNesting is how many multipart/signed entities, one inside the
// other, have their signatures checked.
const maxSignedNesting = 2

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
			// The plaintext joins the text: bounded like it, while the whole
			// of it is still read (and charged) to check its integrity.
			plain := &textSink{max: c.lim.MaxTextBytes - c.inlineBytes}
			if ok, _ := c.pgp.decrypt(func() io.Reader { return strings.NewReader(block) }, plain, "A block in the mail text"); ok {
				kept := plain.text()
				c.inlineBytes += int64(len(kept))
				c.textCut = c.textCut || plain.cut
				out.WriteString(normalizeNewlines(toUTF8(string(kept))))
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

// pgpFile looks at an attachment that may be OpenPGP, given the head of its
// bytes: a public key is offered (and kept as a file); an encrypted file
// (.pgp, .gpg, .asc) is replaced by its plaintext under its name without
// that extension. Both read the file from memory or from its spool.
func (c *collector) pgpFile(idx int, mediaType string, head []byte) {
	if c.pgp == nil || idx < 0 || idx >= len(c.in.Files) {
		return
	}
	f := &c.in.Files[idx]
	open, size := c.fileContent(idx)
	lower := strings.ToLower(f.Filename)
	ext := ""
	for _, e := range []string{".pgp", ".gpg", ".asc"} {
		if strings.HasSuffix(lower, e) {
			ext = e
		}
	}
	head = head[:min(len(head), 4096)]
	armoredKey := bytes.Contains(head, []byte("-----BEGIN PGP PUBLIC KEY BLOCK-----"))
	switch {
	case mediaType == "application/pgp-keys" || armoredKey || packetTag(head) == 6:
		if size > maxKeyBytes {
			c.pgp.notes = append(c.pgp.notes, fmt.Sprintf("A public key came with the mail but was not offered: the file is larger than %s.", wording.Bytes(maxKeyBytes)))
			return
		}
		data, err := io.ReadAll(open())
		if err != nil {
			c.pgp.offer(nil, err, "attachment")
			return
		}
		if armoredKey {
			k, err := pgp.ParsePublicKey(string(data), c.pgp.p.now())
			c.pgp.offer(k, err, "attachment")
		} else {
			k, err := pgp.ParsePublicKeyBinary(data, c.pgp.p.now())
			c.pgp.offer(k, err, "attachment")
		}
	case mediaType == "application/pgp-signature" || bytes.Contains(head, []byte("-----BEGIN PGP SIGNATURE-----")):
		// A detached signature of another attachment; kept as a file.
	case ext != "" && (bytes.Contains(head, []byte(beginMessage)) || packetTag(head) == 1 || packetTag(head) == 3):
		name := f.Filename
		limit := min(c.lim.MaxAttachmentBytes, c.lim.MaxMessageBytes-c.fileBytes+size)
		sp := c.fileSpool()
		h := sha256.New()
		ok, err := c.pgp.decrypt(open, &limitWriter{w: io.MultiWriter(sp, h), n: limit}, fmt.Sprintf("The attachment %q", name))
		if !ok {
			sp.Close()
			switch {
			case errors.Is(err, errFileTooLarge):
				c.omit(fmt.Sprintf("The attachment %q was kept encrypted: it decrypts to more than an attachment may be (%s each, %s for one mail).", name, wording.Bytes(c.lim.MaxAttachmentBytes), wording.Bytes(c.lim.MaxMessageBytes)))
			case err != nil:
				c.omit(fmt.Sprintf("The attachment %q was kept encrypted: its plaintext could not be written to the spool directory.", name))
			}
			return
		}
		f.Filename = db.SafeFilename(name[:len(name)-len(ext)])
		f.ContentType = "application/octet-stream"
		c.fileBytes += sp.Size() - size
		if c.keepSpooled && sp.OnDisk() {
			c.spools = append(c.spools, sp)
			f.Data = nil
			c.setSpooled(idx, &db.SpooledFile{Size: sp.Size(), SHA256: hex.EncodeToString(h.Sum(nil)), Open: sp.Reader})
			return
		}
		data, err := sp.Bytes()
		sp.Close()
		if err != nil {
			c.omit(fmt.Sprintf("The attachment %q could not be read back after decryption; the raw message is kept.", name))
			return
		}
		if data == nil {
			data = []byte{}
		}
		c.memBytes += int64(len(data))
		f.Data = data
		c.setSpooled(idx, nil)
	}
}

// maxKeyBytes bounds a key file read to be offered: real keys, even with
// many signatures, are far smaller.
const maxKeyBytes = 1 << 20

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

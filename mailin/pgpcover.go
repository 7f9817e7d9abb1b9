package mailin

import (
	"github.com/emersion/go-message"
)

// A signature vouches for a mail only when it covers all of it: the whole
// text and every attachment. Anyone can send, under the reporter's
// address, their own words around a text she once signed (a clearsigned
// mailing-list post, a signed part of an old mail), and a signature
// checked part by part would make the whole read as hers. So a signature
// counts for the mail (db.SigVerified) only when
//
//   - the mail is multipart/signed (RFC 3156) at its top, or
//   - the mail is encrypted whole (multipart/encrypted at its top) and the
//     encrypted message is signed, or
//   - the mail, or what such a wrapper holds, is one text/plain part that
//     is nothing but one clearsigned or signed-and-encrypted block (inline
//     PGP), blank lines aside;
//
// or a chain of these (encrypted, then signed). Any other good signature
// covers a part of the mail only: db.SigPartial, unverified. An HTML
// alternative or an attachment beside a signed text is such a part.
//
// The walk of the MIME tree tells coverage which entities are the whole
// mail: the root, and the one entity a whole wrapper (multipart/signed,
// multipart/encrypted) holds.
type coverage struct {
	// wholeAt is the depth of the entity that is still the whole mail: 0 at
	// the root, one more inside each wrapper that is itself whole. Only the
	// chain of whole wrappers from the root reaches it: the parts of any
	// other multipart are one deeper than the whole entity they are in.
	wholeAt int
	// decryptFrom is the first check of a whole-mail decryption: the check
	// its signature added (if any) comes before what it holds is walked.
	decryptFrom int
	decrypting  bool
	text        bool // the text part inline reads is the whole mail
	// subjects are the Subject headers of the whole entities by depth: a
	// Subject inside the part a signature covers (protected headers) is
	// signed with it.
	subjects map[int]string
}

// wrapper is called as the walk enters a multipart/signed or
// multipart/encrypted entity at depth; the function it returns is called as
// the walk leaves it. A whole wrapper makes what it holds whole.
func (s *pgpState) wrapper(depth int, encrypted bool) func() {
	if s == nil || depth != s.cover.wholeAt {
		return func() {}
	}
	s.cover.wholeAt = depth + 1
	if encrypted {
		s.cover.decrypting, s.cover.decryptFrom = true, len(s.checks)
	}
	return func() { s.cover.wholeAt, s.cover.decrypting = depth, false }
}

// entering is called as the walk reaches entity e at depth. The entity a
// whole encrypted wrapper holds is reached right after its decryption,
// whose signature check (if any) then covers the whole mail.
func (s *pgpState) entering(e *message.Entity, depth int) {
	if s == nil || depth != s.cover.wholeAt {
		return
	}
	if s.cover.subjects == nil {
		s.cover.subjects = map[int]string{}
	}
	s.cover.subjects[depth] = headerText(e.Header, "Subject")
	if s.cover.decrypting && depth > 0 {
		s.mark(s.cover.decryptFrom, depth)
		s.cover.decrypting = false
	}
}

// signedWhole is called by walkSigned once it added its check: the check
// covers the whole mail when the multipart/signed at depth is whole.
func (s *pgpState) signedWhole(depth int) {
	if s != nil && s.cover.wholeAt == depth+1 && len(s.checks) > 0 {
		s.mark(len(s.checks)-1, depth+1)
	}
}

// textAt is called before inline reads the text part at depth: whether
// that part is the whole mail. inline then asks only whether one signed
// block is all of the text (inlineWhole).
func (s *pgpState) textAt(depth int) {
	if s != nil {
		s.cover.text = depth == s.cover.wholeAt
	}
}

// inlineWhole marks the checks from the first on as covering the whole
// mail when the text inline read is the whole mail and only is one block
// (blank lines aside): those checks are that block's.
func (s *pgpState) inlineWhole(first int, only bool) {
	if s != nil && only && s.cover.text && first < len(s.checks) {
		s.mark(first, -1)
	}
}

// mark makes the checks from first on cover the whole mail, whose signed
// Subject is that of the entity at depth (none for -1).
func (s *pgpState) mark(first, depth int) {
	for _, c := range s.checks[first:] {
		c.whole, c.subject = true, s.cover.subjects[depth]
	}
}

package mailin

import (
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

func testMail() *db.Mail {
	return &db.Mail{ID: 1, ReportID: 1, Ref: "SEC-1", Kind: MailReply, MessageID: "<abc@portal.example.org>",
		InReplyTo: "<orig@reporter.example>", References: []string{"<orig@reporter.example>", "<ack@portal.example.org>"},
		To: "alice@example.net", Subject: "[SEC-1] Stored XSS in profile name", Body: "Thanks, we can reproduce it.\n\nCould you send the browser version?\n",
		CreatedAt: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
}

func TestCompose(t *testing.T) {
	c := &Composer{From: testFrom()}
	t.Run("OK", func(t *testing.T) {
		raw, err := c.Compose(testMail(), nil)
		if err != nil {
			t.Fatal(err)
		}
		m := parseMail(t, raw)
		for key, want := range map[string]string{
			"Message-Id":   "<abc@portal.example.org>",
			"In-Reply-To":  "<orig@reporter.example>",
			"References":   "<orig@reporter.example> <ack@portal.example.org>",
			"To":           "<alice@example.net>",
			"From":         `"ACME Security" <security@example.org>`,
			"Mime-Version": "1.0",
			"Date":         "Sun, 01 Mar 2026 10:00:00 +0000",
		} {
			if got := m.Header.Get(key); got != want {
				t.Errorf("%s = %q, want %q", key, got, want)
			}
		}
		if got := m.Header.Get("Auto-Submitted"); got != "" {
			t.Errorf("a human reply carries Auto-Submitted: %q", got)
		}
		if subj, _ := m.Header.Subject(); subj != "[SEC-1] Stored XSS in profile name" {
			t.Errorf("subject = %q", subj)
		}
		if !strings.Contains(m.Text, "Could you send the browser version?") {
			t.Errorf("body = %q", m.Text)
		}
	})
	t.Run("ReplyToWhenFromIsNotTheSecurityAddress", func(t *testing.T) {
		rc := &Composer{From: &mail.Address{Address: "noreply@example.org"}, ReplyTo: &mail.Address{Address: "security@example.org"}}
		raw, err := rc.Compose(testMail(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := parseMail(t, raw).Header.Get("Reply-To"); got != "<security@example.org>" {
			t.Errorf("Reply-To %q", got)
		}
		raw, _ = (&Composer{From: testFrom(), ReplyTo: &mail.Address{Address: "SECURITY@example.org"}}).Compose(testMail(), nil)
		if got := parseMail(t, raw).Header.Get("Reply-To"); got != "" {
			t.Errorf("Reply-To %q repeats the From address", got)
		}
	})
	t.Run("InReplyToLastOfThreadWhenReporterNeverMailed", func(t *testing.T) {
		m := testMail()
		m.InReplyTo, m.References = "", []string{"<ack@portal.example.org>"}
		raw, err := c.Compose(m, nil)
		if err != nil {
			t.Fatal(err)
		}
		h := parseMail(t, raw).Header
		if got, want := h.Get("In-Reply-To"), "<ack@portal.example.org>"; got != want {
			t.Errorf("In-Reply-To = %q, want %q", got, want)
		}
		if got, want := h.Get("References"), "<ack@portal.example.org>"; got != want {
			t.Errorf("References = %q, want %q", got, want)
		}
	})
	t.Run("AutoSubmitted", func(t *testing.T) {
		m := testMail()
		m.AutoSubmitted = true
		raw, err := c.Compose(m, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := parseMail(t, raw).Header.Get("Auto-Submitted"), "auto-generated"; got != want {
			t.Errorf("Auto-Submitted = %q, want %q", got, want)
		}
	})
	t.Run("AttachmentsAndHTML", func(t *testing.T) {
		hc := &Composer{From: testFrom(), HTML: true}
		m := testMail()
		m.Body = "See <b>this</b> & the file.\nhttps://portal.example.org/status\n"
		raw, err := hc.Compose(m, []*db.MailAttachment{
			{Filename: "poc.html", ContentType: "text/html", Data: []byte("<script>alert(1)</script>")},
			{Filename: "dump\r\nBcc: x.bin", ContentType: "bogus\r\nX-Evil: 1", Data: []byte{0, 1, 2, 255}},
		})
		if err != nil {
			t.Fatal(err)
		}
		p := parseMail(t, raw)
		if got := string(p.Files["poc.html"]); got != "<script>alert(1)</script>" {
			t.Errorf("poc.html = %q", got)
		}
		if got := p.Files["dumpBcc: x.bin"]; len(got) != 4 || got[3] != 255 {
			t.Errorf("binary attachment = %v (files %v)", got, keys(p.Files))
		}
		if got := p.Types["dumpBcc: x.bin"]; got != "application/octet-stream" {
			t.Errorf("bad content type kept: %q", got)
		}
		if !strings.Contains(p.HTML, "See &lt;b&gt;this&lt;/b&gt; &amp; the file.") || !strings.Contains(p.HTML, `<a href="https://portal.example.org/status">`) {
			t.Errorf("html = %q", p.HTML)
		}
		if strings.Contains(string(raw), "X-Evil") && !strings.Contains(string(raw), "application/octet-stream") {
			t.Error("content type injected a header")
		}
	})
	t.Run("ErrHeaderInjection", func(t *testing.T) {
		m := testMail()
		m.Subject = "[SEC-1] hi\r\nBcc: evil@attacker.example\r\n\r\nforged body"
		m.References = []string{"<ok@x>", "<bad\r\nBcc: evil@attacker.example>"}
		m.InReplyTo = "<x>\r\nBcc: evil@attacker.example"
		from := &mail.Address{Name: "Sec\r\nBcc: evil@attacker.example", Address: "security@example.org"}
		raw, err := (&Composer{From: from}).Compose(m, nil)
		if err != nil {
			t.Fatal(err)
		}
		msg, err := mail.ReadMessage(strings.NewReader(string(raw)))
		if err != nil {
			t.Fatal(err)
		}
		if got := msg.Header.Get("Bcc"); got != "" {
			t.Fatalf("injected Bcc: %q", got)
		}
		for k := range msg.Header {
			switch k {
			case "Date", "From", "To", "Subject", "Message-Id", "References", "In-Reply-To", "Mime-Version", "Content-Type", "Content-Transfer-Encoding":
			default:
				t.Errorf("unexpected header %q", k)
			}
		}
		p := parseMail(t, raw)
		if subj, _ := p.Header.Subject(); subj != "[SEC-1] hi Bcc: evil@attacker.example forged body" {
			t.Errorf("subject = %q", subj)
		}
		if got, want := p.Header.Get("References"), "<ok@x>"; got != want {
			t.Errorf("References = %q, want %q", got, want)
		}
		if strings.Contains(p.Text, "forged body") {
			t.Error("subject text reached the body")
		}
	})
	t.Run("ErrRecipientInjection", func(t *testing.T) {
		for _, to := range []string{"alice@example.net\r\nBcc: evil@attacker.example", "alice@example.net, evil@attacker.example",
			"\"Eve\r\nBcc: evil@attacker.example\" <alice@example.net>", ""} {
			m := testMail()
			m.To = to
			raw, err := c.Compose(m, nil)
			if err != nil {
				if _, eerr := envelopeAddress(to); eerr == nil {
					t.Errorf("header refused %q but the envelope took it", to)
				}
				continue
			}
			msg, err := mail.ReadMessage(strings.NewReader(string(raw)))
			if err != nil {
				t.Fatal(err)
			}
			got, _ := msg.Header.AddressList("To")
			if len(got) != 1 || got[0].Address != "alice@example.net" || msg.Header.Get("Bcc") != "" {
				t.Errorf("To %q became %v, Bcc %q", to, got, msg.Header.Get("Bcc"))
			}
			if env, _ := envelopeAddress(to); env != "alice@example.net" {
				t.Errorf("envelope of %q = %q", to, env)
			}
		}
	})
	t.Run("ErrEncryptWithoutEncrypter", func(t *testing.T) {
		m := testMail()
		m.Encrypt, m.RecipientKey = true, "-----BEGIN PGP PUBLIC KEY BLOCK-----"
		if _, err := c.Compose(m, nil); err == nil {
			t.Fatal("a mail to encrypt went out in the clear")
		}
	})
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

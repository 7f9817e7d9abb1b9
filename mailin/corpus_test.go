package mailin

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// corpusCase is what a person reading the report must see of one message.
type corpusCase struct {
	file    string
	subject string   // decoded subject
	from    string   // From address
	name    string   // From display name, decoded
	body    string   // a snippet the body must contain
	notBody string   // a snippet it must not contain
	files   []string // attachment names, in order
	noID    bool     // the mail has no Message-ID
	omitted int      // notes about parts left out
}

var corpus = []corpusCase{
	{file: "01-thunderbird-plain.eml", subject: "Stored XSS in profile page", from: "ann@researcher.test", name: "Ann Finder", body: "Payload: <img src=x onerror=alert(1)>"},
	{file: "02-thunderbird-attachment.eml", subject: "Report with PoC attached", from: "ann@researcher.test", body: "SSRF in the webhook tester", files: []string{"ssrf-writeup.pdf"}},
	{file: "03-applemail-related.eml", subject: "CSRF on password change", from: "bea@icloud.test", name: "Bea Hacker", body: "no CSRF token—see screenshot", notBody: "<html>", files: []string{"screenshot.png"}},
	{file: "04-outlook-cp1252.eml", subject: "IDOR in Rechnungs-Export – dringend", from: "juergen@corp.test", name: "Jürgen Müller", body: "customers’ invoices – “IDOR”. Regards, Jürgen", notBody: "p{margin"},
	{file: "05-outlook-xlsx.eml", subject: "RE: Findings spreadsheet", from: "carl@corp.test", body: "findings attached", files: []string{"findings Q4.xlsx"}},
	{file: "06-gmail-alternative.eml", subject: "Open redirect on login", from: "dee.researcher@gmail.test", body: "next=//evil.test 🙂", notBody: "<div"},
	{file: "07-gmail-attachments.eml", subject: "Logs and PoC", from: "dee.researcher@gmail.test", body: "the server log and the exploit", files: []string{"server.log", "exploit.py"}},
	{file: "08-mutt-inline.eml", subject: "Path traversal in /download", from: "eve@unix.test", body: "../../etc/passwd returns the file", notBody: "root:x:0:0", files: []string{"curl-output.txt"}},
	{file: "09-iso-8859-1.eml", subject: "Politique de mot de passe trop faible à corriger", from: "francois@exemple.test", name: "François", body: "Cordialement, François"},
	{file: "10-iso-8859-2.eml", subject: "Wstrzyknięcie nagłówków", from: "lukasz@przyklad.test", name: "Łukasz", body: "Dzień dobry, formularz kontaktowy pozwala na wstrzyknięcie nagłówków. Łukasz"},
	{file: "11-iso-8859-15.eml", subject: "Price manipulation in cart", from: "pierre@exemple.test", body: "accepts -5 € as"},
	{file: "12-windows-1251.eml", subject: "SQL-инъекция", from: "ivan@primer.test", name: "Иван", body: "Здравствуйте! На сайте есть SQL-инъекция в параметре id."},
	{file: "13-koi8-r.eml", subject: "Уязвимость XSS", from: "petr@primer.test", name: "Пётр", body: "обнаружена уязвимость XSS в форме поиска"},
	{file: "14-shift_jis.eml", subject: "脆弱性の報告", from: "yamada@rei.test", name: "山田太郎", body: "クロスサイトスクリプティングの脆弱性があります。"},
	{file: "15-iso-2022-jp.eml", subject: "報告", from: "suzuki@rei.test", body: "脆弱性を発見しました。"},
	{file: "16-windows-1250.eml", subject: "Odhalení čísel účtů", from: "jan@priklad.test", body: "aplikace odhaluje čísla účtů. Děkuji"},
	{file: "17-8bit-no-charset.eml", subject: "Weak session cookie", from: "old@legacy.test", body: "Grüße aus Köln."},
	{file: "18-no-mime-utf8.eml", subject: "No MIME header at all", from: "plain@old.test", body: "naïve café."},
	{file: "19-html-only.eml", subject: "HTML only report", from: "web@mailer.test", body: "The admin panel can be framed.\n\n- step one\n- step two", notBody: "alert"},
	{file: "20-html-only-base64.eml", subject: "Entities &amp; more", from: "web2@mailer.test", body: "Tom & Jerry's <script> test works"},
	{file: "21-nested-multipart.eml", subject: "Deeply nested", from: "nest@deep.test", body: "Nested plain text wins.", notBody: "Nested HTML loses", files: []string{"inline-1.png", "report.pdf"}},
	{file: "22-forward-rfc822.eml", subject: "Fwd: Suspicious mail to our customers", from: "fwd@forward.test", body: "phishing mail", notBody: "Click here", files: []string{"Your account is locked.eml"}},
	{file: "23-no-message-id.eml", subject: "No message id here", from: "nomid@anon.test", body: "no Message-ID header", noID: true},
	{file: "24-malformed-headers.eml", subject: "Malformed headers survive", from: "broken@headers.test", body: "The body is still here.", omitted: 1},
	{file: "25-huge-headers.eml", subject: "Huge headers", from: "huge@headers.test", body: "Body after huge headers.", omitted: 1},
	{file: "26-unknown-charset.eml", subject: "Unknown charset", from: "odd@charset.test", body: "plus café."},
	{file: "27-rfc2231-filename.eml", subject: "Attachment with international name", from: "intl@names.test", body: "RFC 2231", files: []string{"résumé détaillé.txt"}},
	{file: "28-encoded-word-filename.eml", subject: "Tricky names", from: "names@names.test", body: "tricky names", files: []string{"отчёт.txt", "passwd"}},
	{file: "29-missing-final-boundary.eml", subject: "Truncated multipart", from: "trunc@cut.test", body: "Text before the cut.", files: []string{"half.bin"}, omitted: 2},
	{file: "30-folded-subject.eml", subject: "Re: Fwd: Privilege escalation via role parameter — urgent", from: "frank.oneil@example.net", name: "Frank O'Neil", body: "grants admin rights"},
	{file: "31-outlook-tnef.eml", subject: "With TNEF", from: "outlook@corp.test", body: "see winmail.dat", files: []string{"winmail.dat"}},
	{file: "32-gmail-calendar.eml", subject: "Disclosure call", from: "cal@gmail.test", body: "the disclosure date", notBody: "VCALENDAR", files: []string{"attachment-1.ics", "invite.ics"}},
	{file: "33-mutt-signed.eml", subject: "Signed report", from: "signer@unix.test", body: "RCE in the image converter", files: []string{"signature.asc"}},
	{file: "34-unknown-encoding.eml", subject: "Weird transfer encoding", from: "enc@weird.test", body: "Readable anyway."},
	{file: "35-cc-program.eml", subject: "For the ACME program", from: "gina@researcher.test", body: "Report for ACME."},
	{file: "36-attachment-only.eml", subject: "", from: "silent@researcher.test", files: []string{"only.png"}},
}

func TestParseCorpus(t *testing.T) {
	all, _ := filepath.Glob("testdata/corpus/*.eml")
	if got, want := len(corpus), len(all); got != want {
		t.Fatalf("%d cases for %d corpus files: every file needs its assertions", got, want)
	}
	for _, tc := range corpus {
		t.Run(strings.TrimSuffix(tc.file, ".eml"), func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata/corpus", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			m, err := Parse(f, DefaultLimits)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if got, want := m.Subject, tc.subject; got != want {
				t.Errorf("subject = %q, want %q", got, want)
			}
			if got, want := m.FromEmail, tc.from; got != want {
				t.Errorf("from = %q, want %q", got, want)
			}
			if tc.name != "" && m.FromName != tc.name {
				t.Errorf("from name = %q, want %q", m.FromName, tc.name)
			}
			if !strings.Contains(m.Body, tc.body) {
				t.Errorf("body = %q, want it to contain %q", m.Body, tc.body)
			}
			if tc.notBody != "" && strings.Contains(m.Body, tc.notBody) {
				t.Errorf("body = %q, must not contain %q", m.Body, tc.notBody)
			}
			var names []string
			for _, a := range m.Files {
				names = append(names, a.Filename)
				if len(a.Data) == 0 {
					t.Errorf("attachment %q is empty", a.Filename)
				}
			}
			if got, want := strings.Join(names, "|"), strings.Join(tc.files, "|"); got != want {
				t.Errorf("attachments = %q, want %q", got, want)
			}
			if got, want := m.MessageID == "", tc.noID; got != want {
				t.Errorf("message id = %q, want none: %v", m.MessageID, want)
			}
			if got, want := len(m.Omitted), tc.omitted; got != want {
				t.Errorf("omitted = %q, want %d notes", m.Omitted, want)
			}
			if m.Auto != "" {
				t.Errorf("auto = %q for a mail a person wrote", m.Auto)
			}
		})
	}
}

func TestParseLimits(t *testing.T) {
	big := strings.Repeat("QUJD", 40000) // 120 KB decoded
	raw := "From: a@b.test\r\nSubject: big\r\nContent-Type: multipart/mixed; boundary=X\r\n\r\n--X\r\nContent-Type: text/plain\r\n\r\nsee files\r\n" +
		"--X\r\nContent-Type: application/octet-stream; name=big.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n" + big + "\r\n" +
		"--X\r\nContent-Type: application/octet-stream; name=small.bin\r\nContent-Transfer-Encoding: base64\r\n\r\nQUJD\r\n--X--\r\n"
	t.Run("ErrAttachmentTooLarge", func(t *testing.T) {
		lim := DefaultLimits
		lim.MaxAttachmentBytes = 100 << 10
		m, err := Parse(strings.NewReader(raw), lim)
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Files) != 1 || m.Files[0].Filename != "small.bin" {
			t.Fatalf("files = %v, want only small.bin", m.Files)
		}
		if len(m.Omitted) != 1 || !strings.Contains(m.Omitted[0], `"big.bin" (117 KB) was not stored: each attachment may be at most 100 KB`) {
			t.Errorf("omitted = %q", m.Omitted)
		}
		if m.Body != "see files" {
			t.Errorf("body = %q", m.Body)
		}
	})
	t.Run("ErrMessageTooLarge", func(t *testing.T) {
		lim := DefaultLimits
		lim.MaxMessageBytes = 100 << 10
		m, err := Parse(strings.NewReader(raw), lim)
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Files) != 1 || !strings.Contains(m.Omitted[0], "may total at most 100 KB") {
			t.Errorf("files = %d, omitted = %q", len(m.Files), m.Omitted)
		}
	})
	t.Run("ErrTextTooLong", func(t *testing.T) {
		lim := DefaultLimits
		lim.MaxTextBytes = 4
		m, err := Parse(strings.NewReader(raw), lim)
		if err != nil {
			t.Fatal(err)
		}
		if m.Body != "see" || len(m.Omitted) != 1 {
			t.Errorf("body = %q, omitted = %q", m.Body, m.Omitted)
		}
	})
}

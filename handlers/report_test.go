package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/handlers"
)

func TestSubmitReport(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		p := newPortal(t, configure(reportLimits))
		b := p.browser(t)
		csrf, key := b.formToken()
		pg := b.submit(validFields(csrf, key), file{"poc.txt", "proof"})
		body := pg.Body
		if pg.Status != http.StatusOK {
			t.Fatalf("status %d\n%s", pg.Status, body)
		}
		if got, want := match(t, refRE, body), "SEC-1"; got != want {
			t.Fatalf("ref=%q, want %q", got, want)
		}
		code := match(t, codeRE, body)
		if len(db.NormalizeReceiptCode(code)) != 26 {
			t.Fatalf("receipt code %q", code)
		}
		if cc := pg.Header.Get("Cache-Control"); cc != "no-store" {
			t.Fatalf("receipt page Cache-Control=%q, want no-store", cc)
		}
		r, err := p.DB.ReportByReceipt(context.Background(), code)
		if err != nil {
			t.Fatal(err)
		}
		if r.Title != "SQL injection in search" || r.Severity != db.SeverityCritical || r.Reporter.Email != "alice@example.org" {
			t.Fatalf("stored %+v", r)
		}
	})
	t.Run("SameFormTwiceStoresOnce", func(t *testing.T) {
		p := newPortal(t, configure(reportLimits))
		b := p.browser(t)
		csrf, key := b.formToken()
		b.submit(validFields(csrf, key))
		pg := b.submit(validFields(csrf, key))
		if pg.Status != http.StatusOK || !strings.Contains(pg.Body, "already received") {
			t.Fatalf("second send: %d\n%s", pg.Status, pg.Body)
		}
		if codeRE.MatchString(pg.Body) {
			t.Fatal("the receipt code was shown a second time")
		}
		if n := p.count(); n != 1 {
			t.Fatalf("%d reports stored, want 1", n)
		}
	})
	t.Run("Anonymous", func(t *testing.T) {
		p := newPortal(t, configure(reportLimits))
		b := p.browser(t)
		csrf, key := b.formToken()
		pg := b.submit(map[string]string{"csrf": csrf, "key": key, "title": "Open redirect", "description": "/go?to=evil"})
		if pg.Status != http.StatusOK {
			t.Fatalf("status %d\n%s", pg.Status, pg.Body)
		}
		r, _ := p.DB.ReportByReceipt(context.Background(), match(t, codeRE, pg.Body))
		if r.Reporter.ID != 0 {
			t.Fatalf("an anonymous report created reporter %+v", r.Reporter)
		}
	})
}

// TestSubmitReportRejected checks that each bad input gets its message next
// to the field, keeps what was typed, answers 422 and stores nothing.
func TestSubmitReportRejected(t *testing.T) {
	for name, tc := range map[string]struct {
		mod   func(map[string]string)
		files []file
		field string
		text  string
	}{
		"ErrTitleRequired": {func(f map[string]string) { f["title"] = " " }, nil, "title", "short title"},
		"ErrDescription":   {func(f map[string]string) { f["description"] = "" }, nil, "description", "Describe"},
		"ErrVector":        {func(f map[string]string) { f["cvss"] = "CVSS:3.1/AV:X" }, nil, "cvss", "not a valid CVSS"},
		"ErrEmail":         {func(f map[string]string) { f["email"] = "not-an-address" }, nil, "email", "email address"},
		"ErrKeyGarbage":    {func(f map[string]string) { f["pgp_key"] = "hello" }, nil, "pgp_key", "ASCII-armored"},
		"ErrPrivateKey":    {func(f map[string]string) { f["pgp_key"] = "-----BEGIN PGP PRIVATE KEY BLOCK-----\nxx" }, nil, "pgp_key", "private key"},
		"ErrTruncatedKey": {func(f map[string]string) {
			f["pgp_key"] = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEZ\n-----END PGP PUBLIC KEY BLOCK-----"
		}, nil, "pgp_key", "could not be read"},
		"ErrFileTooBig":     {nil, []file{{"big.bin", strings.Repeat("x", 1025)}}, "attachments", "at most 1 KB"},
		"ErrTooManyFiles":   {nil, []file{{"a", "1"}, {"b", "2"}, {"c", "3"}}, "attachments", "at most 2 files"},
		"ErrCreditNoName":   {func(f map[string]string) { f["name"] = ""; f["credit"] = "name" }, nil, "credit", "give a name"},
		"ErrUnknownProgram": {func(f map[string]string) { f["program"] = "nope" }, nil, "program", "Choose a program"},
		"ErrHoneypot":       {func(f map[string]string) { f["website"] = "http://spam" }, nil, "form", "looks automated"},
	} {
		t.Run(name, func(t *testing.T) {
			p := newPortal(t, configure(reportLimits))
			b := p.browser(t)
			csrf, key := b.formToken()
			fields := validFields(csrf, key)
			fields["description"] = "Typed <b>carefully</b> over an hour"
			if tc.mod != nil {
				tc.mod(fields)
			}
			pg := b.submit(fields, tc.files...)
			body := pg.Body
			if pg.Status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422\n%.3000s", pg.Status, body)
			}
			if tc.field != "form" && !strings.Contains(body, `id="e-`+tc.field+`"`) {
				t.Fatalf("no error next to %s:\n%.3000s", tc.field, body)
			}
			if !strings.Contains(strings.ToLower(body), strings.ToLower(tc.text)) {
				t.Fatalf("page lacks %q", tc.text)
			}
			if fields["description"] != "" && !strings.Contains(body, "Typed &lt;b&gt;carefully&lt;/b&gt; over an hour") {
				t.Fatal("what was typed was not kept (escaped) in the form")
			}
			if n := p.count(); n != 0 {
				t.Fatalf("%d reports stored for a rejected form", n)
			}
		})
	}
	// With one file allowed (--max-files 1) the count agrees with its noun,
	// on every form that takes files: the handlers counted "1 files".
	t.Run("ErrOneFileOnly", func(t *testing.T) {
		p := newPortal(t, configure(reportLimits), configure(func(c *handlers.Config) { c.Limits.MaxFiles = 1 }))
		b := p.browser(t)
		csrf, key := b.formToken()
		pg := b.submit(validFields(csrf, key), file{"a", "1"}, file{"b", "2"})
		if pg.Status != http.StatusUnprocessableEntity || !strings.Contains(pg.Body, "Attach at most 1 file (you chose 2).") {
			t.Fatalf("status %d, want 422 saying \"Attach at most 1 file (you chose 2).\"\n%.3000s", pg.Status, pg.Body)
		}
	})
	t.Run("ErrBodyTooLarge", func(t *testing.T) {
		p := newPortal(t, configure(reportLimits), configure(func(c *handlers.Config) { c.Limits.MaxFileBytes = 1 << 20 }))
		b := p.browser(t)
		csrf, key := b.formToken()
		pg := b.submit(validFields(csrf, key), file{"big.bin", strings.Repeat("x", 100<<10)})
		if pg.Status != http.StatusRequestEntityTooLarge || !strings.Contains(pg.Body, "larger than this portal accepts") {
			t.Fatalf("status %d\n%.2000s", pg.Status, pg.Body)
		}
		if n := p.count(); n != 0 {
			t.Fatalf("%d reports stored", n)
		}
	})
}

func TestCSRF(t *testing.T) {
	p := newPortal(t, configure(reportLimits))
	b := p.browser(t)
	csrf, key := b.formToken()
	wrong := "x" + csrf[1:]
	if wrong == csrf { // one token in 64 starts with x
		wrong = "y" + csrf[1:]
	}
	for name, tc := range map[string]struct {
		token  string
		client *browser
		site   string
	}{
		"ErrWrongToken":  {wrong, b, ""},
		"ErrNoToken":     {"", b, ""},
		"ErrNoCookie":    {csrf, p.browser(t), ""},
		"ErrCrossSite":   {csrf, b, "cross-site"},
		"ErrSameSiteSub": {csrf, b, "same-site"},
	} {
		t.Run(name, func(t *testing.T) {
			fields := validFields(tc.token, key)
			ct, body := multipartBody(t, fields, nil)
			req, _ := http.NewRequest(http.MethodPost, p.Server.URL+"/report", body)
			req.Header.Set("Content-Type", ct)
			if tc.site != "" {
				req.Header.Set("Sec-Fetch-Site", tc.site)
			}
			if pg := tc.client.do(req); pg.Status != http.StatusForbidden {
				t.Fatalf("status %d, want 403", pg.Status)
			}
		})
	}
	if n := p.count(); n != 0 {
		t.Fatalf("%d reports stored without a valid token", n)
	}
	for _, path := range []string{"/status", "/status/reply", "/status/forget"} {
		if pg := b.send(http.MethodPost, path, "application/x-www-form-urlencoded", strings.NewReader(url.Values{"code": {"x"}}.Encode())); pg.Status != http.StatusForbidden {
			t.Errorf("POST %s without token: %d, want 403", path, pg.Status)
		}
	}
}

func TestXSSInert(t *testing.T) {
	b := newPortal(t, configure(reportLimits)).browser(t)
	csrf, key := b.formToken()
	fields := validFields(csrf, key)
	fields["title"] = `<script>alert(1)</script>`
	fields["description"] = `"><img src=x onerror=alert(1)>`
	fields["name"] = `<svg onload=alert(1)>`
	code := match(t, codeRE, b.submit(fields).Body)
	if pg := b.post("/status", url.Values{"csrf": {csrf}, "code": {code}}); pg.Status != http.StatusSeeOther {
		t.Fatalf("status login: %d", pg.Status)
	}
	page := b.get("/status").Body
	for _, bad := range []string{"<script>alert", "<img src=x", "<svg onload"} {
		if strings.Contains(page, bad) {
			t.Fatalf("status page carries live markup %q", bad)
		}
	}
	if !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Fatal("escaped title missing from the status page")
	}
}

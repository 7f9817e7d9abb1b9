package handlers_test

import (
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"testing"

	"github.com/disclose/disclose/handlers"
)

// formRefusedAllocs bounds what refusing an over-limit form may allocate,
// client and portal together: the form is refused by its declared length
// before it is read, or read up to the form's limit (64 KiB, or the report
// form's) when it comes chunked.
const formRefusedAllocs = 4 << 20

// TestPublicFormLimits: the URL-encoded forms strangers send are read
// whole into memory (about three times their size), so each has a limit
// that fits its largest legitimate content: the sign-in, receipt code and
// reset forms 64 KiB, the report form what its fields hold at the
// configured limits in the widest encoding (measured here by filling every
// field so). Over it, with or without a declared length, the answer is
// 413 with a page that says the form was not received; the heap it costs
// is measured. The largest legitimate report form still files a report.
// Before, each was read up to MaxBody (60 MB in serve).
func TestPublicFormLimits(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 20 MB forms")
	}
	p := newPortal(t, configure(func(c *handlers.Config) {
		c.MaxBody = 60 << 20 // serve's
		c.SubmitRate, c.StatusRate, c.ResetRate = handlers.RateLimit{}, handlers.RateLimit{}, handlers.RateLimit{}
	}))
	b := p.browser(t)
	b.get("/report")
	csrf, key := b.formToken()

	// The largest report form a researcher can send: every text field at
	// its limit, each character a 4-byte UTF-8 sequence (12 bytes once
	// URL-encoded), a public key of 48 KiB.
	wide := func(runes int) string { return strings.Repeat("😀", runes) }
	largest := url.Values{"csrf": {csrf}, "key": {key}, "program": {"default"}, "title": {wide(200)}, "asset": {"other"},
		"asset_other": {wide(200)}, "cwe": {"CWE-79"}, "description": {wide(p.Config.Limits.MaxTextRunes)},
		"steps": {wide(p.Config.Limits.MaxTextRunes)}, "impact": {wide(p.Config.Limits.MaxTextRunes)},
		"cvss": {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}, "name": {wide(100)},
		"email": {strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + ".example"}, "credit": {"name"},
		"already_public": {"on"}, "exploited": {"on"}}.Encode()
	limit := handlers.MaxReportForm(p.Config.Limits)
	t.Logf("largest report form: %d bytes; its limit %d bytes (%d KiB to spare)", len(largest), limit, (limit-int64(len(largest)))>>10)
	if int64(len(largest)) > limit {
		t.Fatalf("the largest report form (%d bytes) is over its limit (%d)", len(largest), limit)
	}

	// chunked is a body of no declared length, read by the client in small
	// pieces (a strings.Reader would copy itself whole on the way out).
	chunked := func(s string) io.Reader { return struct{ io.Reader }{strings.NewReader(s)} }
	big := "csrf=" + csrf + "&password=" + strings.Repeat("A", 20<<20)
	for _, tc := range []struct {
		name, path string
		body       io.Reader
		size       int
	}{
		{"sign-in, 20 MB", "/login", strings.NewReader(big), len(big)},
		{"sign-in, 20 MB chunked", "/login", chunked(big), len(big)},
		{"receipt code, 1 MB", "/status", strings.NewReader(big[:1<<20]), 1 << 20},
		{"reset request, 1 MB", "/login/forgot", strings.NewReader(big[:1<<20]), 1 << 20},
		{"passkey sign-in, 1 MB chunked", "/login/passkey", chunked(big[:1<<20]), 1 << 20},
		{"report, one byte over", "/report", strings.NewReader(largest + "&x=" + strings.Repeat("y", int(limit)-len(largest)-2)), int(limit) + 1},
		{"report, 20 MB", "/report", strings.NewReader(big), len(big)},
		{"reporter's reply, 20 MB", "/status/reply", strings.NewReader(big), len(big)},
	} {
		runtime.GC()
		before := heapAllocated()
		pg := b.send(http.MethodPost, tc.path, "application/x-www-form-urlencoded", tc.body)
		allocs := heapAllocated() - before
		t.Logf("%-30s %9d bytes: %d, %7d KiB allocated", tc.name, tc.size, pg.Status, allocs>>10)
		if pg.Status != http.StatusRequestEntityTooLarge || !strings.Contains(pg.Body, "was not received") {
			t.Errorf("%s: %d, want 413 saying the form was not received\n%.600s", tc.name, pg.Status, pg.Body)
		}
		if allocs > formRefusedAllocs {
			t.Errorf("%s: refusing it allocated %d KiB, want at most %d KiB", tc.name, allocs>>10, formRefusedAllocs>>10)
		}
	}

	runtime.GC()
	before := heapAllocated()
	pg := b.send(http.MethodPost, "/report", "application/x-www-form-urlencoded", strings.NewReader(largest))
	allocs := heapAllocated() - before
	t.Logf("%-30s %9d bytes: %d, %7d KiB allocated", "report, the largest", len(largest), pg.Status, allocs>>10)
	if pg.Status != http.StatusOK || !strings.Contains(pg.Body, "Report received") {
		t.Fatalf("the largest report form: %d\n%.600s", pg.Status, pg.Body)
	}
	if n := p.count(); n != 1 {
		t.Errorf("%d reports stored, want the largest one", n)
	}
}

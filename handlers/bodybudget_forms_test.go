package handlers_test

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"runtime"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
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
// is measured. The same forms sent as multipart/form-data are held to the
// same limits (the report and reply forms' text fields, not their files).
// The largest legitimate report form still files a report, URL-encoded
// and as multipart with its files. Before, each was read up to MaxBody (60
// MB in serve), and as multipart its text up to 10 MB (31-42 MiB of heap).
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
	// The same forms as multipart/form-data (read by readMultipart, not
	// ParseForm): 9 MB of text, under the 10 MB multipart forms may hold
	// elsewhere; the report form's text fields as the largest one's plus
	// one field that takes them one byte over the URL-encoded limit.
	const form = "application/x-www-form-urlencoded"
	mpType, mp := multipartBody(t, map[string]string{"csrf": csrf, "email": "a@example.org", "password": strings.Repeat("A", 9<<20)}, nil)
	bigMultipart := mp.String()
	var textBytes int
	overFields := map[string]string{"x": ""}
	fields, err := url.ParseQuery(largest)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range fields {
		overFields[k] = v[0]
		textBytes += len(v[0])
	}
	overFields["x"] = strings.Repeat("y", int(limit)-textBytes+1)
	// The report form's multipart text is read up to its limit (3.6 MiB
	// here) before it is refused, in a growing buffer: measured 9-13 MiB,
	// what the largest URL-encoded report costs when it is filed.
	reportTextAllocs := 4 * limit
	reportType, mp := multipartBody(t, overFields, []file{{"poc.txt", "print(1)"}})
	reportOver := mp.String()
	// A part header is read whole into memory too (mime/multipart allows
	// 10 MB): one of 9 MB.
	var headerBuf bytes.Buffer
	hw := multipart.NewWriter(&headerBuf)
	hw.WriteField("csrf", csrf)
	pw, err := hw.CreatePart(textproto.MIMEHeader{"Content-Disposition": {`form-data; name="title"`}, "X-Pad": {strings.Repeat("A", 9<<20)}})
	if err != nil {
		t.Fatal(err)
	}
	pw.Write([]byte("title"))
	hw.Close()
	bigHeader := headerBuf.String()
	for _, tc := range []struct {
		name, path, contentType string
		body                    io.Reader
		size                    int
		allocs                  int64 // formRefusedAllocs if 0
	}{
		{"sign-in, 20 MB", "/login", form, strings.NewReader(big), len(big), 0},
		{"sign-in, 20 MB chunked", "/login", form, chunked(big), len(big), 0},
		{"receipt code, 1 MB", "/status", form, strings.NewReader(big[:1<<20]), 1 << 20, 0},
		{"reset request, 1 MB", "/login/forgot", form, strings.NewReader(big[:1<<20]), 1 << 20, 0},
		{"passkey sign-in, 1 MB chunked", "/login/passkey", form, chunked(big[:1<<20]), 1 << 20, 0},
		{"report, one byte over", "/report", form, strings.NewReader(largest + "&x=" + strings.Repeat("y", int(limit)-len(largest)-2)), int(limit) + 1, 0},
		{"report, 20 MB", "/report", form, strings.NewReader(big), len(big), 0},
		{"reporter's reply, 20 MB", "/status/reply", form, strings.NewReader(big), len(big), 0},
		{"sign-in, multipart 9 MB", "/login", mpType, strings.NewReader(bigMultipart), len(bigMultipart), 0},
		{"sign-in, multipart 9 MB chunked", "/login", mpType, chunked(bigMultipart), len(bigMultipart), 0},
		{"receipt code, multipart 9 MB", "/status", mpType, strings.NewReader(bigMultipart), len(bigMultipart), 0},
		{"reset request, multipart 9 MB", "/login/forgot", mpType, strings.NewReader(bigMultipart), len(bigMultipart), 0},
		{"report, multipart text one over", "/report", reportType, strings.NewReader(reportOver), len(reportOver), reportTextAllocs},
		{"report, multipart 9 MB chunked", "/report", mpType, chunked(bigMultipart), len(bigMultipart), reportTextAllocs},
		{"report, multipart 9 MB header", "/report", hw.FormDataContentType(), strings.NewReader(bigHeader), len(bigHeader), 0},
		{"reporter's reply, multipart 9 MB", "/status/reply", mpType, strings.NewReader(bigMultipart), len(bigMultipart), 0},
	} {
		runtime.GC()
		before := heapAllocated()
		pg := b.send(http.MethodPost, tc.path, tc.contentType, tc.body)
		allocs := heapAllocated() - before
		t.Logf("%-33s %9d bytes: %d, %7d KiB allocated", tc.name, tc.size, pg.Status, allocs>>10)
		if pg.Status != http.StatusRequestEntityTooLarge || !strings.Contains(pg.Body, "was not received") {
			t.Errorf("%s: %d, want 413 saying the form was not received\n%.600s", tc.name, pg.Status, pg.Body)
		}
		if tc.allocs == 0 {
			tc.allocs = formRefusedAllocs
		}
		if raceEnabled {
			tc.allocs *= 2 // the race detector about doubles what reading the text allocates
		}
		if allocs > tc.allocs {
			t.Errorf("%s: refusing it allocated %d KiB, want at most %d KiB", tc.name, allocs>>10, tc.allocs>>10)
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

	// The same largest report as multipart, with as many files as it may
	// have, each of the largest size: its text is within its budget.
	b.get("/report")
	_, fields["key"][0] = b.formToken()
	withFiles := map[string]string{}
	for k, v := range fields {
		withFiles[k] = v[0]
	}
	var files []file
	for i := range p.Config.Limits.MaxFiles {
		files = append(files, file{fmt.Sprintf("poc%d.bin", i), strings.Repeat("z", int(p.Config.Limits.MaxFileBytes))})
	}
	ct, body := multipartBody(t, withFiles, files)
	pg = b.send(http.MethodPost, "/report", ct, body)
	if pg.Status != http.StatusOK || !strings.Contains(pg.Body, "Report received") {
		t.Fatalf("the largest report form with %d files, multipart: %d\n%.600s", len(files), pg.Status, pg.Body)
	}
	if n := p.count(); n != 2 {
		t.Errorf("%d reports stored, want the largest one twice", n)
	}
}

// TestSignedOutStaffFormLimits: csrf reads a form before the route's rule
// looks at the session, so a stranger's 20 MB form to a staff route was
// read whole (69 MiB of heap) before its 401. Without a valid session a
// form larger than the small forms' limit is refused (413, a page that
// says nobody is signed in), with or without a declared length; a small
// one still gets the route's own answer, and a signed-in user's large
// form is read as before.
func TestSignedOutStaffFormLimits(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 20 MB forms")
	}
	p := newPortal(t, configure(func(c *handlers.Config) { c.MaxBody = 60 << 20 }))
	p.mustUser(t, "tri@example.org", db.RoleTriager)
	stranger := p.browser(t)
	stranger.get("/login")
	big := "csrf=" + stranger.csrf + "&current=" + strings.Repeat("A", 20<<20)
	chunked := func(s string) io.Reader { return struct{ io.Reader }{strings.NewReader(s)} }
	for _, tc := range []struct {
		name string
		body io.Reader
	}{
		{"20 MB", strings.NewReader(big)},
		{"20 MB chunked", chunked(big)},
	} {
		runtime.GC()
		before := heapAllocated()
		pg := stranger.send(http.MethodPost, "/account/password", "application/x-www-form-urlencoded", tc.body)
		allocs := heapAllocated() - before
		t.Logf("no session, %s: %d, %d KiB allocated", tc.name, pg.Status, allocs>>10)
		if pg.Status != http.StatusRequestEntityTooLarge || !strings.Contains(pg.Body, "You are not signed in") {
			t.Errorf("no session, %s: %d, want 413 saying nobody is signed in\n%.400s", tc.name, pg.Status, pg.Body)
		}
		if limit := int64(formRefusedAllocs); allocs > limit {
			t.Errorf("no session, %s: refusing it allocated %d KiB, want at most %d KiB", tc.name, allocs>>10, limit>>10)
		}
	}
	if pg := stranger.post("/account/password", url.Values{"current": {"x"}}); pg.Status != http.StatusUnauthorized {
		t.Errorf("no session, a small form: %d, want the route's 401", pg.Status)
	}

	staff := p.browser(t)
	staff.mustLogin("tri@example.org")
	staff.get("/account/password")
	pg := staff.post("/account/password", url.Values{"current": {strings.Repeat("A", 200<<10)}, "password": {"x"}, "confirm": {"x"}})
	if pg.Status == http.StatusRequestEntityTooLarge {
		t.Errorf("signed in, a 200 KiB form: 413, want it read\n%.400s", pg.Body)
	}
}

package main

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"
)

// hostClient is a browser of one host name of the portal: every request
// carries that Host header.
type hostClient struct {
	t    *testing.T
	s    *server
	host string
	c    *http.Client
}

func newHostClient(t *testing.T, s *server, host string) *hostClient {
	jar, _ := cookiejar.New(nil)
	return &hostClient{t: t, s: s, host: host, c: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (h *hostClient) do(method, path, contentType string, body *bytes.Buffer) (int, string) {
	h.t.Helper()
	req := mustReq(h.t, method, h.s.URL+path, nil)
	if body != nil {
		req = mustReq(h.t, method, h.s.URL+path, body)
		req.Header.Set("Content-Type", contentType)
	}
	if h.host != "" {
		req.Host = h.host
	}
	resp, text := fetch(h.t, h.c, req)
	return resp.StatusCode, text
}

func (h *hostClient) get(path string) (int, string) { return h.do("GET", path, "", nil) }

func (h *hostClient) postForm(path string, form url.Values) (int, string) {
	h.t.Helper()
	_, page := h.get(strings.Split(path, "?")[0])
	if !csrfRE.MatchString(page) {
		_, page = h.get("/login")
	}
	form.Set("csrf", find(h.t, csrfRE, page))
	return h.do("POST", path, "application/x-www-form-urlencoded", bytes.NewBufferString(form.Encode()))
}

// file sends the report form of the host and returns the reference.
func (h *hostClient) file(title string) string {
	h.t.Helper()
	_, form := h.get("/report")
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range map[string]string{"csrf": find(h.t, csrfRE, form), "key": find(h.t, keyRE, form), "title": title,
		"description": "Steps are in the title.", "credit": "anonymous"} {
		w.WriteField(k, v)
	}
	w.Close()
	status, receipt := h.do("POST", "/report", w.FormDataContentType(), &buf)
	if status != http.StatusOK {
		h.t.Fatalf("%s: submit %d", h.host, status)
	}
	return find(h.t, refRE, receipt)
}

// TestOrganisationsEndToEnd runs the real binary with two organisations
// on two host names, set up from the CLI: each host serves its own
// security.txt and files reports into its own organisation; the client's
// user sees the client's reports only, the agency's triager both.
func TestOrganisationsEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	data := t.TempDir()
	cli := func(args ...string) string {
		t.Helper()
		out, err := runCmd(t, append(args, "--data", data, "--base-url", "https://portal.example")...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return out
	}
	cli("org", "add", "--slug", "agency", "--name", "Agency", "--host", "reports.agency.example", "--contact", "security@agency.example")
	cli("org", "add", "--slug", "client", "--name", "Client", "--parent", "agency", "--host", "reports.client.example",
		"--contact", "security@client.example", "--languages", "de, en")
	cli("program", "add", "--org", "agency", "--slug", "agency-web", "--name", "Agency web", "--prefix", "AGY")
	cli("program", "add", "--org", "client", "--slug", "shop", "--name", "Shop", "--prefix", "SHOP")
	links := map[string]string{}
	for email, args := range map[string][]string{
		"tri@agency.example": {"--org", "agency", "--role", "triager"},
		"dev@client.example": {"--org", "client", "--role", "viewer"},
	} {
		links[email] = setupLinkRE.FindString(cli(append([]string{"user", "add", "--email", email}, args...)...))
	}
	s := startServerIn(t, data)
	agency, client := newHostClient(t, s, "reports.agency.example"), newHostClient(t, s, "reports.client.example")

	for h, want := range map[*hostClient][]string{
		client: {"Contact: mailto:security@client.example\n", "Canonical: http://reports.client.example/.well-known/security.txt\n", "Preferred-Languages: de, en\n"},
		agency: {"Contact: mailto:security@agency.example\n", "Canonical: http://reports.agency.example/.well-known/security.txt\n"},
	} {
		status, txt := h.get("/.well-known/security.txt")
		if status != http.StatusOK {
			t.Fatalf("%s security.txt: %d", h.host, status)
		}
		for _, w := range want {
			if !strings.Contains(txt, w) {
				t.Errorf("%s security.txt lacks %q:\n%s", h.host, w, txt)
			}
		}
	}
	shop, agy := client.file("XSS in the shop cart"), agency.file("Open redirect on the agency site")
	if !strings.HasPrefix(shop, "SHOP-") || !strings.HasPrefix(agy, "AGY-") {
		t.Fatalf("references %s and %s, want SHOP-n and AGY-n", shop, agy)
	}

	signIn := func(email string) *hostClient {
		t.Helper()
		h := newHostClient(t, s, "")
		u, _ := url.Parse(links[email])
		if status, _ := h.postForm(u.Path, url.Values{"email": {email}, "password": {"correct horse battery staple"},
			"password2": {"correct horse battery staple"}}); status != http.StatusSeeOther {
			t.Fatalf("setup of %s: %d", email, status)
		}
		if status, _ := h.postForm("/login", url.Values{"email": {email}, "password": {"correct horse battery staple"}}); status != http.StatusSeeOther {
			t.Fatalf("sign-in of %s: %d", email, status)
		}
		return h
	}
	for email, sees := range map[string]map[string]bool{
		"dev@client.example": {shop: true, agy: false},
		"tri@agency.example": {shop: true, agy: true},
	} {
		h := signIn(email)
		_, queue := h.get("/triage?state=all")
		for ref, want := range sees {
			if got := strings.Contains(queue, ref+"<"); got != want {
				t.Errorf("%s: %s in the queue = %v, want %v", email, ref, got, want)
			}
			status, _ := h.get("/triage/reports/" + ref)
			if wantStatus := map[bool]int{true: 200, false: 404}[want]; status != wantStatus {
				t.Errorf("%s: report %s = %d, want %d", email, ref, status, wantStatus)
			}
		}
	}
}

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptrace"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/disclose/disclose/db"
)

// formClient is a researcher's browser against a running portal.
type formClient struct {
	base string
	http *http.Client
}

func newFormClient(base string) *formClient {
	jar, _ := cookiejar.New(nil)
	return &formClient{base: strings.TrimRight(base, "/"), http: &http.Client{Jar: jar, Timeout: time.Minute,
		Transport: &http.Transport{ExpectContinueTimeout: time.Minute}}}
}

// form fetches /report and returns its csrf token and one-time key.
func (c *formClient) form() (csrf, key string, err error) {
	resp, err := c.http.Get(c.base + "/report")
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		return "", "", err
	}
	return doc.Find(`input[name=csrf]`).AttrOr("value", ""), doc.Find(`input[name=key]`).AttrOr("value", ""), nil
}

// receipt returns the ref of a receipt page answered with 200, or "".
func receipt(resp *http.Response) string {
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return ""
	}
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(doc.Find(`[data-testid=ref]`).First().Text())
}

func (c *formClient) submit(title string) (string, error) {
	csrf, key, err := c.form()
	if err != nil {
		return "", err
	}
	resp, err := c.http.PostForm(c.base+"/report", url.Values{"csrf": {csrf}, "key": {key}, "title": {title},
		"description": {"Submitted during the shutdown test."}, "credit": {"anonymous"}})
	if err != nil {
		return "", err
	}
	return receipt(resp), nil
}

// TestShutdownDuringLoad sends SIGTERM to the real binary while clients keep
// submitting and while one upload is half-sent, and checks that every
// submission acknowledged with a receipt is in the database afterwards, that
// the half-sent one was finished, and that the database was closed cleanly.
func TestShutdownDuringLoad(t *testing.T) {
	bin := buildBinary(t)
	data := t.TempDir()
	p := startServe(t, bin, "--data", data, "--addr", "127.0.0.1:0", "--submit-rate", "0", "--shutdown-timeout", "30s")

	var (
		mu    sync.Mutex
		acked []string
		wg    sync.WaitGroup
	)
	enough := make(chan struct{})
	var once sync.Once
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newFormClient(p.url)
			for i := 0; ; i++ {
				ref, err := c.submit(fmt.Sprintf("worker %d report %d", w, i))
				if err != nil {
					return // the portal stopped accepting
				}
				if ref != "" {
					mu.Lock()
					acked = append(acked, ref)
					if len(acked) >= 40 {
						once.Do(func() { close(enough) })
					}
					mu.Unlock()
				}
			}
		}()
	}
	select {
	case <-enough:
	case <-time.After(60 * time.Second):
		t.Fatalf("fewer than 40 submissions in 60 s:\n%s", p.log())
	}

	// One upload in flight: the server has started reading its body (it
	// answered 100 Continue) when SIGTERM arrives; the rest follows after.
	slow := newFormClient(p.url)
	csrf, key, err := slow.form()
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range map[string]string{"csrf": csrf, "key": key, "title": "In flight at SIGTERM", "description": "Half sent when the signal came.", "credit": "anonymous"} {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("attachments", "poc.txt")
	fw.Write(bytes.Repeat([]byte("A"), 64<<10))
	mw.Close()
	pr, pw := io.Pipe()
	gotContinue := make(chan struct{})
	ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{Got100Continue: func() { close(gotContinue) }})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(p.url, "/")+"/report", pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Expect", "100-continue")
	req.ContentLength = int64(body.Len())
	slowResp := make(chan *http.Response, 1)
	slowErr := make(chan error, 1)
	go func() {
		resp, err := slow.http.Do(req)
		if err != nil {
			slowErr <- err
			return
		}
		slowResp <- resp
	}()
	select {
	case <-gotContinue:
	case err := <-slowErr:
		t.Fatal(err)
	case <-time.After(30 * time.Second):
		t.Fatal("no 100 Continue in 30 s")
	}

	p.signal(t, syscall.SIGTERM)
	p.waitLog(t, "shutting down")
	// New connections are refused once the listener is closed (bounded wait).
	addr := strings.TrimSuffix(strings.TrimPrefix(p.url, "http://"), "/")
	refused := false
	for i := 0; i < 500 && !refused; i++ {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			refused = true
			break
		}
		conn.Close()
		time.Sleep(10 * time.Millisecond)
	}
	if !refused {
		t.Fatal("still accepting connections after SIGTERM")
	}
	if _, err := pw.Write(body.Bytes()); err != nil {
		t.Fatalf("server dropped the in-flight upload: %v", err)
	}
	pw.Close()
	select {
	case resp := <-slowResp:
		ref := receipt(resp)
		if ref == "" {
			t.Fatalf("in-flight upload answered %d without a receipt", resp.StatusCode)
		}
		mu.Lock()
		acked = append(acked, ref)
		mu.Unlock()
	case err := <-slowErr:
		t.Fatalf("in-flight upload failed: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("in-flight upload not answered in 30 s")
	}
	wg.Wait()
	if err := p.wait(t); err != nil {
		t.Fatalf("serve exited with %v:\n%s", err, p.log())
	}
	p.waitLog(t, "stopped")

	if _, err := os.Stat(filepath.Join(data, "disclose.db-wal")); !os.IsNotExist(err) {
		t.Errorf("WAL file left behind: the database was not closed cleanly (%v)", err)
	}
	d, err := db.Open(context.Background(), filepath.Join(data, "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, ref := range acked {
		if _, err := d.ReportByRef(context.Background(), ref); err != nil {
			t.Errorf("%s was acknowledged but is not stored: %v", ref, err)
		}
	}
	t.Logf("%d submissions acknowledged, all stored", len(acked))
}

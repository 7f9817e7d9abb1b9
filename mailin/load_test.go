package mailin

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// The load runs below are documented measurements, not part of `go test`:
//
//	DISCLOSE_BENCH=1 go test -run 'TestLoad' -v ./mailin/
//
// TestLoadIngest delivers 1,000 messages of about 10 KB into a real Dovecot,
// fetches them once with a bare go-imap client (the floor), then times
// intake until every message committed. TestLoadRSS ingests a message with a
// 25 MB attachment in a separate process and reads its peak RSS (VmHWM).

func needLoad(t *testing.T) {
	if os.Getenv("DISCLOSE_BENCH") != "1" {
		t.Skip("load run: set DISCLOSE_BENCH=1")
	}
}

func tenKB(i int) string {
	b := make([]byte, 7000)
	rand.Read(b)
	body := base64.StdEncoding.EncodeToString(b) // ~9.3 KB of text
	var lines []string
	for len(body) > 76 {
		lines = append(lines, body[:76])
		body = body[76:]
	}
	lines = append(lines, body)
	return mailText(fmt.Sprintf("r%d@load.test", i), fmt.Sprintf("Load report %d", i), fmt.Sprintf("<load-%d@load.test>", i), "",
		"Finding "+strconv.Itoa(i)+"\n"+strings.Join(lines, "\n")+"\n")
}

func TestLoadIngest(t *testing.T) {
	needLoad(t)
	const n = 1000
	dc := startDovecot(t)
	for i := 0; i < n; i++ {
		dc.deliver(t, tenKB(i))
	}

	// The floor: a bare go-imap fetch of the same messages, bodies discarded.
	start := time.Now()
	c, err := imapclient.DialInsecure(dc.addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login("security", "secret").Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatal(err)
	}
	cmd := c.Fetch(imap.UIDSet{imap.UIDRange{Start: 1, Stop: 0}}, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}})
	fetched, bytes := 0, int64(0)
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		for item := msg.Next(); item != nil; item = msg.Next() {
			if body, ok := item.(imapclient.FetchItemDataBodySection); ok {
				m, _ := io.Copy(io.Discard, body.Literal)
				bytes += m
			}
		}
		fetched++
	}
	if err := cmd.Close(); err != nil {
		t.Fatal(err)
	}
	c.Logout().Wait()
	c.Close()
	bare := time.Since(start)
	if fetched != n {
		t.Fatalf("bare fetch got %d messages, want %d", fetched, n)
	}

	d := mustOpenDB(t)
	in := newTestIntake(t, dc.addr, d)
	start = time.Now()
	stats := pollOnce(t, in)
	ingest := time.Since(start)
	if got := reportCount(t, d); got != n || stats.Reports != n {
		t.Fatalf("reports = %d (stats %+v), want %d", got, stats, n)
	}
	rate := float64(n) / ingest.Seconds()
	ratio := ingest.Seconds() / bare.Seconds()
	t.Logf("messages: %d, %.1f KB average", n, float64(bytes)/float64(n)/1024)
	t.Logf("bare go-imap fetch: %v (%.0f messages/s)", bare.Round(time.Millisecond), float64(n)/bare.Seconds())
	t.Logf("flag \\Seen + MOVE of all %d on the server: %v, overlapping the commits; %v of it after the last commit", n,
		stats.FinishTime.Round(time.Millisecond), stats.FinishWait.Round(time.Millisecond))
	t.Logf("database commits: %v; MIME parsing (its own goroutine, overlapping): %v", stats.StoreTime.Round(time.Millisecond), stats.ParseTime.Round(time.Millisecond))
	t.Logf("intake until committed and moved: %v (%.0f messages/s), %.2fx the bare fetch", ingest.Round(time.Millisecond), rate, ratio)
	if rate < 300 {
		t.Errorf("intake rate %.0f messages/s is under the 300/s target", rate)
	}
	if ratio > 3 {
		t.Errorf("intake took %.2fx the bare fetch, over the 3x target", ratio)
	}
}

func TestLoadRSS(t *testing.T) {
	needLoad(t)
	if os.Getenv("DISCLOSE_RSS_CHILD") == "1" {
		rssChild(t)
		return
	}
	dc := startDovecot(t)
	att := make([]byte, 25<<20)
	rand.Read(att)
	var b strings.Builder
	b.WriteString("From: big@load.test\nTo: security@example.org\nSubject: Core dump attached\nMessage-ID: <big@load.test>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=BIG\n\n--BIG\nContent-Type: text/plain\n\nThe dump is attached.\n--BIG\nContent-Type: application/octet-stream; name=core.bin\nContent-Transfer-Encoding: base64\n\n")
	writeBase64Lines(&b, att)
	b.WriteString("--BIG--\n")
	dc.deliver(t, b.String())
	b.Reset()
	sum := sha256.Sum256(att)
	dbPath := filepath.Join(t.TempDir(), "rss.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestLoadRSS$", "-test.v")
	cmd.Env = append(os.Environ(), "DISCLOSE_RSS_CHILD=1", "DISCLOSE_RSS_ADDR="+dc.addr, "DISCLOSE_RSS_DB="+dbPath, "DISCLOSE_RSS_SHA256="+hex.EncodeToString(sum[:]))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var hwm int64 = -1
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		if i := strings.Index(sc.Text(), "VmHWM-kB="); i >= 0 {
			hwm, _ = strconv.ParseInt(strings.TrimSpace(sc.Text()[i+len("VmHWM-kB="):]), 10, 64)
		}
	}
	if hwm < 0 {
		t.Fatalf("no VmHWM from the child:\n%s", out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "go-heap") {
			t.Log(line)
		}
	}
	t.Logf("peak RSS (VmHWM) of the process ingesting a 25 MB attachment: %.1f MB", float64(hwm)/1024)
	if hwm > 100*1024 {
		t.Errorf("peak RSS %d kB is over 100 MB", hwm)
	}
}

// rssChild ingests the big message and prints its own peak RSS.
func rssChild(t *testing.T) {
	d, err := db.Open(context.Background(), os.Getenv("DISCLOSE_RSS_DB"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	in, err := New(Config{Addr: os.Getenv("DISCLOSE_RSS_ADDR"), TLS: TLSNone, User: "security", Password: "secret", Interval: time.Hour,
		SpoolDir: t.TempDir(), Limits: Limits{MaxAttachmentBytes: 30 << 20, MaxMessageBytes: 60 << 20}},
		d, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	stats, err := in.PollOnce(context.Background())
	if err != nil || stats.Reports != 1 {
		t.Fatalf("poll: %+v %v", stats, err)
	}
	r, err := d.ReportByRef(context.Background(), "SEC-1")
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := d.Timeline(context.Background(), r.ID, false)
	if err != nil || len(msgs) == 0 || len(msgs[0].Attachments) != 1 || msgs[0].Attachments[0].Size != 25<<20 {
		t.Fatalf("the 25 MB attachment was not stored: %v", err)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("go-heap-sys-MB=%.1f go-total-sys-MB=%.1f\n", float64(ms.HeapSys)/(1<<20), float64(ms.Sys)/(1<<20))
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status")
	}
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			fmt.Println("VmHWM-kB=" + strings.TrimSuffix(strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:")), " kB"))
		}
	}
	// After the measurement: the bytes read back are the ones sent.
	_, data, err := d.AttachmentOf(context.Background(), r.ID, msgs[0].Attachments[0].ID, false)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != os.Getenv("DISCLOSE_RSS_SHA256") {
		t.Fatal("the attachment read back differs from the one sent")
	}
}

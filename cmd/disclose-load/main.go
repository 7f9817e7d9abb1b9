// Command disclose-load is the documented load run: it drives a running
// `disclose serve` with report submissions for a fixed time and prints the
// accepted submissions per second, beside the bare single-row insert rate of
// SQLite measured in the same run with the same pragmas.
//
//	disclose serve --submit-rate 0 --data /tmp/load &   # rate limits off for the run
//	go run -tags sqlite_fts5 ./cmd/disclose-load -url http://127.0.0.1:8080 -duration 10s
package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/disclose/disclose/db"
	_ "github.com/mattn/go-sqlite3"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:8080", "base URL of a running portal (loopback only)")
	duration := flag.Duration("duration", 10*time.Second, "how long to send submissions")
	warmup := flag.Duration("warmup", 3*time.Second, "send submissions this long first, not counted: the server's start-up work (reminders, outbox) and its first reads of the file are not in the numbers")
	workers := flag.Int("concurrency", 32, "submissions in flight at once")
	bare := flag.Duration("bare", 5*time.Second, "how long to measure the bare SQLite insert rate (0: skip)")
	pid := flag.Int("server-pid", 0, "the server's process id: print its CPU time per accepted submission (Linux), the number a shared machine does not distort")
	echoFor := flag.Duration("echo", 0, "also measure, for this long, the same client against an echo server that stores each form with one INSERT (the baseline of issue 18)")
	ingestDir := flag.String("ingest-data", "", "measure only the database part of mail intake: mails into this data directory (its serve stopped) against an empty one, in one run")
	ingestN := flag.Int("ingest", 4096, "with -ingest-data: how many mails into each")
	wrk := flag.Bool("wrk", false, "print a wrk Lua script that posts the same submission with this portal's CSRF cookie and token, and exit")
	flag.Parse()
	if *ingestDir != "" {
		full, empty, err := ingestRates(*ingestDir, *ingestN)
		if err != nil {
			fmt.Fprintln(os.Stderr, "disclose-load:", err)
			os.Exit(1)
		}
		fmt.Printf("mail ingest (database part, batches of 64): %s %.0f mails/s, empty database %.0f mails/s, ratio %.2f\n", *ingestDir, full, empty, full/empty)
		return
	}
	if err := run(*base, *duration, *warmup, *workers, *bare, *wrk, *pid, *echoFor); err != nil {
		fmt.Fprintln(os.Stderr, "disclose-load:", err)
		os.Exit(1)
	}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func run(base string, duration, warmup time.Duration, workers int, bare time.Duration, wrk bool, pid int, echoFor time.Duration) error {
	u, err := url.Parse(base)
	if err != nil {
		return err
	}
	if h := u.Hostname(); h != "127.0.0.1" && h != "localhost" && h != "::1" {
		return fmt.Errorf("refusing to load %s: loopback addresses only", h)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: workers, MaxConnsPerHost: workers, DisableCompression: true}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	resp, err := client.Get(base + "/report")
	if err != nil {
		return err
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfRE.FindSubmatch(page)
	if m == nil {
		return errors.New("no CSRF token on /report")
	}
	var cookie string
	for _, c := range resp.Cookies() {
		if strings.HasSuffix(c.Name, "disclose_csrf") {
			cookie = c.Name + "=" + c.Value
		}
	}
	if cookie == "" {
		return errors.New("no CSRF cookie from /report")
	}
	form := url.Values{}
	for k, v := range fields {
		form[k] = v
	}
	form.Set("csrf", string(m[1]))
	encoded := form.Encode()
	if wrk {
		// wrk (C, event-driven) costs the shared machine far less per
		// request than this Go client. Its requests carry no form key, so
		// each one is a new report, as a fresh form's would be.
		fmt.Printf("wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/x-www-form-urlencoded\"\n"+
			"wrk.headers[\"Cookie\"] = %q\nwrk.body = %q\n", cookie, encoded)
		return nil
	}

	if warmup > 0 {
		// Not counted: the server's start-up work (reminders due, the
		// outbox, statistics) and its first reads of the file end first.
		fmt.Printf("warm-up: %s, not counted\n", warmup)
		drive(client, base, cookie, encoded, workers, warmup)
	}
	fmt.Printf("load: %d workers for %s against %s\n", workers, duration, base)
	var cpu0 time.Duration
	if pid != 0 {
		if cpu0, err = processCPU(pid); err != nil {
			return err
		}
	}
	start := time.Now()
	accepted, refused, latencies := drive(client, base, cookie, encoded, workers, duration)
	elapsed := time.Since(start)
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	rate := float64(accepted) / elapsed.Seconds()
	fmt.Printf("accepted: %d in %.1fs = %.0f submissions/s (refused or failed: %d)\n", accepted, elapsed.Seconds(), rate, refused)
	if n := len(latencies); n > 0 {
		fmt.Printf("latency: p50 %s  p99 %s\n", latencies[n/2].Round(time.Microsecond), latencies[n*99/100].Round(time.Microsecond))
	}
	if pid != 0 && accepted > 0 {
		cpu, err := processCPU(pid)
		if err != nil {
			return err
		}
		fmt.Printf("server CPU time per accepted submission: %d µs\n", ((cpu - cpu0) / time.Duration(accepted)).Microseconds())
	}
	if bare > 0 {
		bareRate, err := bareInserts(bare)
		if err != nil {
			return err
		}
		fmt.Printf("bare SQLite single-row inserts (one transaction each, same pragmas): %.0f rows/s\n", bareRate)
		fmt.Printf("ratio bare/accepted: %.2fx\n", bareRate/rate)
	}
	if echoFor > 0 {
		echoRate, err := echoBaseline(workers, echoFor)
		if err != nil {
			return err
		}
		fmt.Printf("echo + one INSERT per form, same client and workers: %.0f requests/s\n", echoRate)
		fmt.Printf("accepted / echo baseline: %.2f\n", rate/echoRate)
	}
	return nil
}

// drive sends submissions from workers goroutines for d and returns how
// many were accepted and refused, and the accepted ones' latencies.
func drive(client *http.Client, base, cookie, encoded string, workers int, d time.Duration) (int64, int64, []time.Duration) {
	var accepted, refused atomic.Int64
	var mu sync.Mutex
	var latencies []time.Duration
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sub := &submitter{client: client, url: base + "/report", cookie: cookie, form: encoded}
			var local []time.Duration
			for ctx.Err() == nil {
				t0 := time.Now()
				ok, err := sub.submit()
				if err != nil && ctx.Err() != nil {
					break
				}
				if ok {
					accepted.Add(1)
					local = append(local, time.Since(t0))
				} else {
					refused.Add(1)
				}
			}
			mu.Lock()
			latencies = append(latencies, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return accepted.Load(), refused.Load(), latencies
}

var fields = url.Values{
	"title":       {"Stored XSS in the profile name"},
	"description": {"The display name is rendered into the profile page without escaping, so <script> runs for every visitor."},
	"steps":       {"1. Set the display name to <script>alert(1)</script>\n2. Open the profile page."},
	"impact":      {"Session theft of any user who views the profile."},
	"cwe":         {"CWE-79"},
	"cvss":        {"CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N"},
	"credit":      {"anonymous"},
}

// submitter sends submissions from one worker, spending as little of the
// shared machine's CPU as it can: the form is encoded once, the response read
// into a reused buffer.
type submitter struct {
	client *http.Client
	url    string
	cookie string // the CSRF cookie, sent as a browser would
	form   string // every field but the key, encoded
	buf    bytes.Buffer
}

var codeMarker = []byte(`data-testid="code">`)

func (s *submitter) submit() (bool, error) {
	// A browser sends back the key the form came with; this makes one the
	// same way the portal does instead of asking for a form each time.
	key, err := db.NewSubmissionKey(time.Now())
	if err != nil {
		return false, err
	}
	req, err := http.NewRequest(http.MethodPost, s.url, strings.NewReader(s.form+"&key="+key))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Cookie", s.cookie)
	resp, err := s.client.Do(req)
	if err != nil {
		return false, err
	}
	s.buf.Reset()
	_, err = s.buf.ReadFrom(resp.Body)
	resp.Body.Close()
	return err == nil && resp.StatusCode == http.StatusOK && bytes.Contains(s.buf.Bytes(), codeMarker), nil
}

// bareInserts measures SQLite alone: one row of report size per transaction,
// one after another, through the same driver and pragmas the portal uses.
func bareInserts(d time.Duration) (float64, error) {
	dir, err := os.MkdirTemp("", "disclose-bare")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	dsn := "file:" + filepath.Join(dir, "bare.db") + "?_busy_timeout=10000&_journal_mode=WAL&_foreign_keys=on&_synchronous=NORMAL&_txlock=immediate"
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, title TEXT, description TEXT, steps TEXT, impact TEXT, created_at TEXT)`); err != nil {
		return 0, err
	}
	stmt, err := db.Prepare(`INSERT INTO t (title, description, steps, impact, created_at) VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		return 0, err
	}
	defer stmt.Close()
	n := 0
	start := time.Now()
	for time.Since(start) < d {
		if _, err := stmt.Exec(fields.Get("title"), fields.Get("description"), fields.Get("steps"), fields.Get("impact"), time.Now().UTC().Format(time.RFC3339Nano)); err != nil {
			return 0, err
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// processCPU reads the CPU time (user and system) of a process from /proc
// (Linux; the kernel counts in USER_HZ, 100 a second).
func processCPU(pid int) (time.Duration, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The fields after the command name, which may hold spaces, in ")".
	f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	var utime, stime int64
	if _, err := fmt.Sscan(f[11], &utime); err != nil {
		return 0, err
	}
	if _, err := fmt.Sscan(f[12], &stime); err != nil {
		return 0, err
	}
	return time.Duration(utime+stime) * time.Second / 100, nil
}

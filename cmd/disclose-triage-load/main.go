// Command disclose-triage-load is the documented load run of the triage
// dashboard: against a running `disclose serve` on a database made by
// `disclose demo --reports 100000`, it signs in a load-test admin (a session
// made directly in the database), requests the queue (filtered, 50 rows), a
// full-text search and a report page with a 200-entry timeline, and prints
// p50/p99 per page. With --server-log it also reads the server's JSON log
// and prints the server-side durations the server measured itself. With
// --unlock (a sealed database, serve started with --seal and the key
// locked) it first unlocks the team key as an admin and times the build of
// the in-memory search index of sealed reports.
package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/disclose/disclose/db"
	_ "github.com/mattn/go-sqlite3"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "disclose-triage-load:", err)
		os.Exit(1)
	}
}

func run() error {
	data := flag.String("data", "./data", "data directory of the running portal")
	base := flag.String("base", "http://127.0.0.1:8080", "base URL of the running portal")
	n := flag.Int("n", 2000, "requests per page kind")
	conc := flag.Int("c", 2, "concurrent clients")
	serverLog := flag.String("server-log", "", "the server's log (--log-format json): print the server-side durations it recorded")
	unlock := flag.String("unlock", "", "file with the team key's passphrase: unlock it first and time the search index of sealed reports")
	noStats := flag.Bool("no-stats", false, "drop the planner's statistics (sqlite_stat1) before the run: the server's connections plan without them")
	views := flag.String("views", "", `"all": every queue filter and sort, a common and a rare word, relevance, metrics and the report page (make load-scale)`)
	paths := flag.String("paths", "", "comma-separated paths to time instead of the default pages (e.g. /triage/metrics,/orgs/default/metrics)")
	pid := flag.Int("server-pid", 0, "with --unlock: the server's process id, to print the CPU time and memory the index took (Linux)")
	flag.Parse()
	ctx := context.Background()

	d, err := db.Open(ctx, filepath.Join(*data, "disclose.db"))
	if err != nil {
		return err
	}
	u, err := d.UserByEmail(ctx, "load@demo.invalid")
	if db.ErrorCode(err) == db.ENOTFOUND {
		u, err = d.CreateUser(ctx, &db.NewUser{Email: "load@demo.invalid", Name: "Load test", Role: db.RoleAdmin}, db.ActorSystem)
	}
	if err != nil {
		return err
	}
	token, err := d.CreateSession(ctx, u.ID, "127.0.0.1")
	if err != nil {
		return err
	}
	long, err := d.LongTimelineRef(ctx, 200)
	if err != nil {
		return err
	}
	d.Close()
	if *noStats {
		// After Close: Open and Close refresh the statistics.
		raw, err := sql.Open("sqlite3", "file:"+filepath.Join(*data, "disclose.db")+"?_busy_timeout=10000")
		if err != nil {
			return err
		}
		_, err = raw.Exec(`DROP TABLE IF EXISTS sqlite_stat1`)
		raw.Close()
		if err != nil {
			return fmt.Errorf("drop statistics: %w", err)
		}
		fmt.Println("planner statistics dropped")
	}

	pages := []struct{ name, path string }{
		{"queue (open, program web, unassigned, 50 rows)", "/triage?state=open&program=web&assignee=none"},
		{"queue (triaged, by severity, 50 rows)", "/triage?state=triaged&sort=severity"},
		{"search (\"password reset token\", all states)", "/triage?state=all&q=password+reset+token"},
		{"search (\"the\": every report matches)", "/triage?state=all&q=the"},
		{"report page (200-entry timeline)", "/triage/reports/" + long},
	}
	if *views == "all" {
		pages = append(allViews(), pages[len(pages)-1])
	}
	if *paths != "" {
		pages = nil
		for _, p := range strings.Split(*paths, ",") {
			pages = append(pages, struct{ name, path string }{p, p})
		}
	}
	client := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if *unlock != "" {
		if err := unlockAndIndex(client, *base, token, *unlock, "password reset token", *pid); err != nil {
			return err
		}
	}
	fmt.Printf("%d requests per page, %d clients, against %s\n\n", *n, *conc, *base)
	fmt.Printf("%-50s %10s %10s %10s\n", "client-observed", "p50", "p99", "max")
	for _, p := range pages {
		durs, err := hammer(client, *base+p.path, token, *n, *conc)
		if err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
		printRow(p.name, durs)
	}
	if *serverLog != "" {
		names := make([]string, len(pages))
		for i, p := range pages {
			names[i] = p.name
		}
		return printServerLog(*serverLog, names, *n)
	}
	return nil
}

// hammer requests url n times from conc clients and returns the latencies.
func hammer(client *http.Client, url, token string, n, conc int) ([]time.Duration, error) {
	var mu sync.Mutex
	var durs []time.Duration
	var firstErr error
	jobs := make(chan struct{}, n)
	for i := 0; i < n; i++ {
		jobs <- struct{}{}
	}
	close(jobs)
	var wg sync.WaitGroup
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				req.AddCookie(&http.Cookie{Name: "disclose_session", Value: token})
				start := time.Now()
				resp, err := client.Do(req)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if err == nil && resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				el := time.Since(start)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				durs = append(durs, el)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return durs, firstErr
}

func printRow(name string, durs []time.Duration) {
	sort.Slice(durs, func(i, j int) bool { return durs[i] < durs[j] })
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }
	fmt.Printf("%-50s %10s %10s %10s\n", name, ms(durs[len(durs)/2]), ms(durs[len(durs)*99/100]), ms(durs[len(durs)-1]))
}

// printServerLog reads the JSON request log of `disclose serve` and prints
// the durations it measured. The pages ran one after the other, n requests
// each, so the last len(names)*n dashboard requests of the log are theirs,
// in order.
func printServerLog(path string, names []string, n int) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var all []time.Duration
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line struct {
			Msg      string  `json:"msg"`
			Route    string  `json:"route"`
			Status   int     `json:"status"`
			Duration float64 `json:"duration_ms"`
		}
		if json.Unmarshal(sc.Bytes(), &line) != nil || line.Msg != "request" || !(strings.HasPrefix(line.Route, "/triage") || line.Route == "/orgs/:org/metrics") || line.Status != 200 {
			continue
		}
		all = append(all, time.Duration(line.Duration*float64(time.Millisecond)))
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if len(all) < len(names)*n {
		return errors.New("fewer dashboard requests in the server log than were sent; start serve with --log-format json and log to this file")
	}
	all = all[len(all)-len(names)*n:]
	fmt.Printf("\n%-50s %10s %10s %10s\n", "server-side (the server's duration_ms)", "p50", "p99", "max")
	for i, name := range names {
		printRow(name, all[i*n:(i+1)*n])
	}
	return nil
}

// allViews are the pages of -views all: each queue filter alone (on the
// open tab and on every state), each sort, searches for a common and a rare
// word, and the metrics page.
func allViews() []struct{ name, path string } {
	var out []struct{ name, path string }
	add := func(q string) { out = append(out, struct{ name, path string }{"/triage?" + q, "/triage?" + q}) }
	for _, f := range []string{"", "program=web", "severity=critical", "severity=none", "severity=unrated", "assignee=me",
		"assignee=none", "source=email", "deadline=due_soon", "deadline=overdue", "page=200"} {
		add(strings.TrimSuffix("state=open&"+f, "&"))
		add(strings.TrimSuffix("state=all&"+f, "&"))
	}
	for _, st := range []string{"new", "triaged", "needs_info", "resolved", "closed"} {
		add("state=" + st)
	}
	for _, s := range []string{"oldest", "severity", "deadline"} {
		add("state=open&sort=" + s)
		add("state=all&sort=" + s)
	}
	for _, q := range []string{"the", "zebrafish", "password+reset+token"} {
		add("state=all&q=" + q)
		add("state=all&q=" + q + "&sort=relevance")
	}
	add("state=open&q=the&sort=severity")
	out = append(out, struct{ name, path string }{"/triage/metrics", "/triage/metrics"})
	return out
}

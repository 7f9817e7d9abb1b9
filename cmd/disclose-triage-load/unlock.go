package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"
)

var (
	csrfRE       = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	indexStateRE = regexp.MustCompile(`data-testid="index-state" data-state="([a-z]*)"`)
	indexLineRE  = regexp.MustCompile(`(?s)data-testid="index-state"[^>]*>\s*<p[^>]*>(.*?)</p>`)
	tagRE        = regexp.MustCompile(`<[^>]+>`)
)

// unlockAndIndex unlocks the team key as an admin does on /admin/key, then
// reads that page until the in-memory search index of sealed reports is
// ready, and prints the time from the unlock to a complete index. While it
// is being built it also searches once and checks that the answer says it
// is incomplete rather than waiting.
func unlockAndIndex(client *http.Client, base, token, passFile, search string, pid int) error {
	pass, err := os.ReadFile(passFile)
	if err != nil {
		return err
	}
	page, cookies, err := get(client, base+"/admin/key", token, nil)
	if err != nil {
		return err
	}
	if st := indexStateRE.FindStringSubmatch(page); st == nil || st[1] != "off" {
		return errors.New("the search index is not off: start serve with --seal and without the key passphrase, so that the run unlocks it")
	}
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		return errors.New("no CSRF token on /admin/key")
	}
	form := url.Values{"csrf": {m[1]}, "passphrase": {strings.TrimRight(string(pass), "\r\n")}}
	req, _ := http.NewRequest(http.MethodPost, base+"/admin/key/unlock", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "disclose_session", Value: token})
	for _, c := range cookies {
		req.AddCookie(c)
	}
	var cpu0 time.Duration
	var rss0 int64
	if pid != 0 {
		if cpu0, rss0, err = serverUsage(pid); err != nil {
			return err
		}
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("unlock: status %d (wrong passphrase?)", resp.StatusCode)
	}
	fmt.Printf("unlocked the team key through /admin/key/unlock (%.0f ms)\n", float64(time.Since(start).Microseconds())/1000)
	checked := false
	for deadline := start.Add(10 * time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		page, _, err := get(client, base+"/admin/key", token, nil)
		if err != nil {
			return err
		}
		st := indexStateRE.FindStringSubmatch(page)
		if st == nil {
			return errors.New("no index state on /admin/key")
		}
		switch st[1] {
		case "building":
			if !checked {
				checked = true
				t0 := time.Now()
				q, _, err := get(client, base+"/triage?state=all&q="+url.QueryEscape(search), token, nil)
				if err != nil {
					return err
				}
				fmt.Printf("a search during the build answered in %.1f ms, incomplete notice shown: %v; %s\n",
					float64(time.Since(t0).Microseconds())/1000, strings.Contains(q, `data-testid="search-incomplete"`), indexLine(page))
			}
		case "ready":
			fmt.Printf("unlock to complete index: %.2f s (client-observed)\n%s\n", time.Since(start).Seconds(), indexLine(page))
			if pid != 0 {
				cpu, rss, err := serverUsage(pid)
				if err != nil {
					return err
				}
				fmt.Printf("server CPU time from the unlock to a complete index: %.2f s; resident memory %d MB -> %d MB\n",
					(cpu - cpu0).Seconds(), rss0>>10, rss>>10)
			}
			fmt.Println()
			return nil
		default:
			return fmt.Errorf("index state %q: %s", st[1], indexLine(page))
		}
	}
	return errors.New("the index was not ready within 10 minutes")
}

// indexLine is the key page's sentence about the index, as text.
func indexLine(page string) string {
	m := indexLineRE.FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return strings.Join(strings.Fields(tagRE.ReplaceAllString(m[1], "")), " ")
}

// get fetches a page as the signed-in admin.
func get(client *http.Client, u, token string, cookies []*http.Cookie) (string, []*http.Cookie, error) {
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.AddCookie(&http.Cookie{Name: "disclose_session", Value: token})
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: status %d", u, resp.StatusCode)
	}
	return string(b), resp.Cookies(), err
}

// serverUsage reads the CPU time and resident memory of the server process
// from /proc (Linux), so that a run on a shared machine can say what the
// index cost in CPU seconds, which other processes do not inflate.
func serverUsage(pid int) (cpu time.Duration, rssKB int64, err error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	// The fields after the command name (which may hold spaces) in ")".
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	if len(f) < 22 {
		return 0, 0, errors.New("short /proc stat")
	}
	var utime, stime int64
	fmt.Sscan(f[11], &utime)
	fmt.Sscan(f[12], &stime)
	var pages int64
	fmt.Sscan(f[21], &pages)
	const ticks = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticks, pages * int64(os.Getpagesize()) / 1024, nil
}

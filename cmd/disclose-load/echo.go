package main

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
)

// echoBaseline is what the same client reaches against the least a
// submission can cost in this stack: an echo server on loopback whose
// handler parses the same form and stores it with one INSERT (same driver
// and pragmas, one connection, a transaction each), measured in the same
// run for the same time. The portal's rate is judged against it.
func echoBaseline(workers int, d time.Duration) (float64, error) {
	dir, err := os.MkdirTemp("", "disclose-echo")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	dsn := "file:" + filepath.Join(dir, "echo.db") + "?_busy_timeout=10000&_journal_mode=WAL&_foreign_keys=on&_synchronous=NORMAL&_txlock=immediate"
	sdb, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return 0, err
	}
	defer sdb.Close()
	sdb.SetMaxOpenConns(1)
	if _, err := sdb.Exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, title TEXT, description TEXT, steps TEXT, impact TEXT, created_at TEXT)`); err != nil {
		return 0, err
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.POST("/report", func(c echo.Context) error {
		if _, err := sdb.Exec(`INSERT INTO t (title, description, steps, impact, created_at) VALUES (?, ?, ?, ?, ?)`,
			c.FormValue("title"), c.FormValue("description"), c.FormValue("steps"), c.FormValue("impact"), time.Now().UTC().Format(time.RFC3339Nano)); err != nil {
			return err
		}
		return c.HTML(http.StatusOK, `<p data-testid="code">stored</p>`)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	srv := &http.Server{Handler: e}
	go srv.Serve(ln)
	defer srv.Close()
	form := url.Values{}
	for k, v := range fields {
		form[k] = v
	}
	body := form.Encode()
	tr := &http.Transport{MaxIdleConnsPerHost: workers, MaxConnsPerHost: workers, DisableCompression: true}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	target := "http://" + ln.Addr().String() + "/report"
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var ok, failed atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				resp, err := client.Post(target, "application/x-www-form-urlencoded", strings.NewReader(body))
				if err != nil {
					failed.Add(1)
					continue
				}
				var buf [256]byte
				for {
					if _, err := resp.Body.Read(buf[:]); err != nil {
						break
					}
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					ok.Add(1)
				} else {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if ok.Load() == 0 {
		return 0, errors.New("echo baseline: no request succeeded")
	}
	return float64(ok.Load()) / time.Since(start).Seconds(), nil
}

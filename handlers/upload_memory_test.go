package handlers_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/handlers"
	"github.com/disclose/disclose/mailin/pgp"
)

// uploadChild is what TestUploadMemory hands its child process.
type uploadChild struct {
	Sealed bool
}

// uploadResult is what the child measured (bytes).
type uploadResult struct {
	Idle, Peak, HeapPeak int64
	Err                  string
}

// TestUploadMemory submits the largest report the web form takes, five files
// of 10 MB, to the real handler in a child process, with sealing off and on,
// and measures the child's peak resident memory above idle (VmHWM, reset once
// the process is idle), as TestMailBombMemory does for mail, and its live
// heap. The form is read as a stream, each file spooled (encrypted) to disk
// and streamed from there into the database's chunks, so the submission
// holds a few buffers, not its files: at most uploadHeap of heap and
// uploadResident of resident memory above idle (before, the form was held
// in memory and each file copied out of it: 178-207 MiB of heap, 209-234
// MiB resident). Sealing must add no copy of the files either: each is
// sealed as it streams into the database (before that, each was sealed
// whole beside the plaintext, and the sealed submission cost about 50 MB
// more than the clear one).
func TestUploadMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("uploads 50 MB twice")
	}
	if _, err := os.Stat("/proc/self/clear_refs"); err != nil {
		t.Skip("needs /proc/self/clear_refs to measure the peak memory")
	}
	var res [2]uploadResult
	for i, sealed := range []bool{false, true} {
		res[i] = runUploadChild(t, uploadChild{Sealed: sealed})
		if res[i].Err != "" {
			t.Fatalf("sealed=%v: child: %s", sealed, res[i].Err)
		}
		t.Logf("sealed=%v: five files of 10 MB: peak resident memory %d MiB above idle (%d MiB), live heap peak %d MiB above idle",
			sealed, res[i].Peak>>20, res[i].Idle>>20, res[i].HeapPeak>>20)
	}
	for i, r := range res {
		if r.HeapPeak > uploadHeap {
			t.Errorf("sealed=%v: the submission held %d MiB of heap above idle, want at most %d MiB", i == 1, r.HeapPeak>>20, uploadHeap>>20)
		}
		if !raceEnabled && r.Peak > uploadResident {
			t.Errorf("sealed=%v: the submission took %d MiB of resident memory above idle, want at most %d MiB", i == 1, r.Peak>>20, uploadResident>>20)
		}
	}
	// The race detector's shadow memory makes the resident size
	// meaningless; the live heap is still measured.
	clear, sealed := res[0].Peak, res[1].Peak
	if raceEnabled {
		clear, sealed = res[0].HeapPeak, res[1].HeapPeak
	}
	if sealed > clear+sealingMemory {
		t.Errorf("the sealed submission cost %d MiB, the clear one %d MiB: sealing may add at most %d MiB", sealed>>20, clear>>20, sealingMemory>>20)
	}
}

// What a submission of five 10 MB files may hold above idle: generous
// bounds (measured: 7-8 MiB of heap, 11-13 MiB resident, clear and sealed)
// that fail on a form held in memory.
const (
	uploadHeap     = 32 << 20
	uploadResident = 48 << 20
)

// sealingMemory is what sealing may add to a submission: the OpenPGP
// writers and a chunk, and the noise of when the collector runs, not a copy
// of its 50 MB of files. Under the race detector the live heap compared
// varies by up to 43 MiB between runs of the same code (the old code's
// sealed submission held 128-156 MiB more than its clear one there).
var sealingMemory int64 = 32 << 20

func init() {
	if raceEnabled {
		sealingMemory = 64 << 20
	}
}

func runUploadChild(t *testing.T, cfg uploadChild) uploadResult {
	t.Helper()
	arg, _ := json.Marshal(cfg)
	cmd := exec.Command(os.Args[0], "-test.run=^TestUploadMemoryChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "DISCLOSE_UPLOAD_CHILD="+string(arg))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var res uploadResult
	var lines []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if line, ok := strings.CutPrefix(sc.Text(), "upload-result: "); ok {
			if err := json.Unmarshal([]byte(line), &res); err != nil {
				t.Fatal(err)
			}
		} else {
			lines = append(lines, sc.Text())
		}
	}
	if err := cmd.Wait(); err != nil && res.Err == "" {
		res.Err = fmt.Sprintf("%v\n%s", err, strings.Join(lines, "\n"))
	}
	return res
}

// TestUploadMemoryChild is the process TestUploadMemory measures: a portal
// with serve's limits, and a client streaming the upload from a generator,
// so that the client holds none of it.
func TestUploadMemoryChild(t *testing.T) {
	arg := os.Getenv("DISCLOSE_UPLOAD_CHILD")
	if arg == "" {
		t.Skip("run by TestUploadMemory")
	}
	res := uploadResult{}
	defer func() { b, _ := json.Marshal(res); fmt.Printf("upload-result: %s\n", b) }()
	var cfg uploadChild
	if err := json.Unmarshal([]byte(arg), &cfg); err != nil {
		res.Err = err.Error()
		return
	}
	// The writer's page cache (DISCLOSE_CACHE_MB, 64 MiB by default) fills
	// once with whatever is written and stays at its bound: a fixed cost of
	// the process, not of this input. Measured at SQLite's own 2 MiB, what
	// remains is what the input costs (with 64 MiB the same run reads up to
	// 64 MiB more, the cache filling with the stored files).
	db.WriterCacheMiB.Store(2)
	// The portal is built here rather than with the package's harness, so
	// that nothing else runs in the measured process.
	ctx := context.Background()
	d, err := db.Open(ctx, filepath.Join(t.TempDir(), "disclose.db"))
	if err != nil {
		res.Err = err.Error()
		return
	}
	defer d.Close()
	if cfg.Sealed {
		key, err := pgp.Generate(pgp.GenerateOptions{Email: "security@example.org"}, []byte("upload test passphrase"), time.Now())
		if err != nil {
			res.Err = err.Error()
			return
		}
		d.SetSealer(key, true) // unlocked, as a running portal is
	}
	ts := httptest.NewUnstartedServer(nil)
	base, _ := url.Parse("http://" + ts.Listener.Addr().String())
	// serve's defaults, and its spool directory under the data directory
	srv, err := handlers.New(ctx, handlers.Config{BaseURL: base, Limits: db.DefaultLimits, MaxBody: 60 << 20,
		SpoolDir: filepath.Join(t.TempDir(), "tmp")}, d,
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		res.Err = err.Error()
		return
	}
	ts.Config.Handler = srv
	ts.Start()
	defer ts.Close()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	form, err := client.Get(ts.URL + "/report")
	if err != nil {
		res.Err = err.Error()
		return
	}
	page, _ := io.ReadAll(form.Body)
	form.Body.Close()
	fields := map[string]string{"title": "Heap overflow in the image parser", "description": "The dumps show it.", "credit": "anonymous"}
	for _, name := range []string{"csrf", "key"} {
		m := regexp.MustCompile(`name="` + name + `" value="([^"]+)"`).FindSubmatch(page)
		if m == nil {
			res.Err = "no " + name + " in the report form"
			return
		}
		fields[name] = string(m[1])
	}
	size, _ := io.Copy(io.Discard, uploadBody(fields, nil))
	runtime.GC()
	debug.FreeOSMemory()
	res.Idle = procStatus("VmRSS:")
	heapIdle := heapObjects()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		res.Err = err.Error()
		return
	}
	var heapPeak atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			if h := heapObjects(); h > heapPeak.Load() {
				heapPeak.Store(h)
			}
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	var ct string
	req, err := http.NewRequest(http.MethodPost, ts.URL+"/report", uploadBody(fields, &ct))
	if err != nil {
		res.Err = err.Error()
		return
	}
	req.ContentLength = size
	req.Header.Set("Content-Type", ct)
	resp, err := client.Do(req)
	close(stop)
	<-sampled
	res.Peak = procStatus("VmHWM:") - res.Idle
	res.HeapPeak = heapPeak.Load() - heapIdle
	if err != nil {
		res.Err = err.Error()
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `data-testid="ref"`) {
		res.Err = fmt.Sprintf("submit: status %d\n%.2000s", resp.StatusCode, body)
		return
	}
	n, err := d.CountReports(ctx)
	if err != nil || n != 1 {
		res.Err = fmt.Sprintf("%d reports stored, %v", n, err)
	}
}

// uploadBody streams the report form with five files of 10 MB of
// pseudo-random bytes (the same on every call), so that the client side
// holds none of them; ct, when not nil, gets the content type.
func uploadBody(fields map[string]string, ct *string) io.Reader {
	pr, pw := io.Pipe()
	w := multipart.NewWriter(pw)
	if ct != nil {
		*ct = w.FormDataContentType()
	}
	go func() {
		for k, v := range fields {
			w.WriteField(k, v)
		}
		rng := rand.NewChaCha8([32]byte{1})
		buf := make([]byte, 64<<10)
		for i := range 5 {
			fw, err := w.CreateFormFile("attachments", "dump"+strconv.Itoa(i)+".bin")
			if err != nil {
				pw.CloseWithError(err)
				return
			}
			for n := 0; n < 10<<20; n += len(buf) {
				rng.Read(buf)
				if _, err := fw.Write(buf); err != nil {
					pw.CloseWithError(err)
					return
				}
			}
		}
		pw.CloseWithError(w.Close())
	}()
	return pr
}

// procStatus reads a "kB" field (VmRSS:, VmHWM:) of /proc/self/status.
func procStatus(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n << 10
		}
	}
	return 0
}

// heapObjects is the bytes of live and not yet swept heap objects.
func heapObjects() int64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}

package handlers_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// evidenceHeap is what exporting an incident's evidence may hold on the
// heap above idle, whatever its size. Measured (shared 2-core machine,
// collector at GOGC=10): 2-3 MiB for one file of 8 MiB and for four with
// 200 reports (a bundle of 32 MiB): flat. A file stored in one row (under
// 256 KiB now; databases from before migration 0011 may hold larger ones)
// is read whole, one at a time.
const evidenceHeap = 12 << 20

// TestEvidenceExportMemory exports the evidence of an incident with large
// attachments (four of 8 MiB, incompressible) and 200 reports, reading
// the zip as a stream and discarding it, and samples the live heap during
// the export: the bundle is streamed from the database into the zip, so
// the heap holds buffers, not the files.
func TestEvidenceExportMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("exports a 33 MB bundle")
	}
	ctx := context.Background()
	e := newIncidentEnv(t)
	// The files are spooled, as the web form's and mail's large files are
	// (the bytes stream into the database's chunks); their bytes come from
	// a seeded generator, so no copy is held anywhere.
	dump := func(seed byte) io.Reader { return io.LimitReader(rand.NewChaCha8([32]byte{seed}), 8<<20) }
	ids := []int64{e.exploited.ID, e.mailed.ID}
	for i := range 200 {
		in := &db.NewReport{ProgramID: e.own.ID, Source: db.SourceWeb, Title: "Report " + strconv.Itoa(i), Description: strings.Repeat("The dump shows it. ", 50),
			Reporter: db.Reporter{Credit: db.CreditAnonymous}}
		if i < 4 {
			h := sha256.New()
			io.Copy(h, dump(byte(i)))
			seed := byte(i)
			in.Attachments = []db.NewAttachment{db.SpooledAttachment("dump"+strconv.Itoa(i)+".bin", "application/octet-stream",
				&db.SpooledFile{Size: 8 << 20, SHA256: hex.EncodeToString(h.Sum(nil)), Open: func() io.Reader { return dump(seed) }})}
		}
		rc, err := e.env.DB.CreateReport(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, rc.ReportID)
	}
	inc, err := e.env.DB.CreateIncident(ctx, &db.NewIncident{OrgID: e.client.ID, Title: "Big breach", Severity: "critical", Reports: ids}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	path := "/incidents/" + inc.Ref()
	if pg := e.triager.get(path); pg.Status != http.StatusOK {
		t.Fatalf("incident page: %d", pg.Status)
	}
	req, err := http.NewRequest(http.MethodPost, e.env.Server.URL+path+"/evidence", strings.NewReader(url.Values{"csrf": {e.triager.csrf}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// A collection whenever the heap grew by a tenth: the sampled heap is
	// then what the export holds, not garbage waiting for the collector.
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	runtime.GC()
	idle := heapObjects()
	var peak atomic.Int64
	stop, sampled := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			if h := heapObjects(); h > peak.Load() {
				peak.Store(h)
			}
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	res, err := e.triager.c.Do(req)
	var n int64
	if err == nil {
		n, err = io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	close(stop)
	<-sampled
	if err != nil {
		t.Fatal(err)
	}
	held := peak.Load() - idle
	t.Logf("a bundle of %d MiB (4 files of 8 MiB, %d reports): live heap peak %d MiB above idle", n>>20, len(ids), held>>20)
	if res.StatusCode != http.StatusOK || n < 32<<20 {
		t.Fatalf("export: %d, %d bytes", res.StatusCode, n)
	}
	if held > evidenceHeap {
		t.Errorf("the export held %d MiB of heap above idle, want at most %d MiB", held>>20, evidenceHeap>>20)
	}
}

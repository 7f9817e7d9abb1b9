package db_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"io"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin"
	"github.com/disclose/disclose/mailin/pgp/pgptest"
)

func noise(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// storedChunks joins the chunks of one value as the database file holds
// them; data is what attachment_data holds beside them.
func storedChunks(t *testing.T, conn *sql.DB, table, owner string, id int64) (chunks int, joined []byte) {
	t.Helper()
	rows, err := conn.Query(`SELECT data FROM `+table+` WHERE `+owner+` = ? ORDER BY seq`, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			t.Fatal(err)
		}
		if len(b) > 256<<10 {
			t.Errorf("a chunk of %d bytes", len(b))
		}
		chunks++
		joined = append(joined, b...)
	}
	return chunks, joined
}

// TestSealedFilesStream: in sealed mode each file (web form, status page,
// mail, spooled or not) and each raw mail is sealed as it streams into
// 256 KB chunks; the chunks joined are one OpenPGP message that GnuPG
// holding the team key decrypts to the file, as the README promises. A
// download streams it back opened, and fails (rather than end early or give
// other bytes) when a chunk was changed; unseal and seal convert it as a
// stream too.
func TestSealedFilesStream(t *testing.T) {
	ctx := context.Background()
	d := MustOpenDB(t)
	key := newTeamKey(t)
	keyFile := filepath.Join(t.TempDir(), "team.asc")
	if err := key.Save(keyFile); err != nil {
		t.Fatal(err)
	}
	g, _ := pgptest.New(t, "Reporter <r@example.net>")
	g.Run("", "--passphrase", sealPassphrase, "--import", keyFile)
	d.SetSealer(key, true)
	p, _ := d.DefaultProgram(ctx)

	files := map[string][]byte{"web.bin": noise(3<<20 + 17), "status.bin": noise(600 << 10),
		"small.txt": []byte("a small file"), "empty.txt": {}, "spooled.bin": noise(2<<20 + 5)}
	in := validReport(p.ID)
	in.Attachments = []db.NewAttachment{{Filename: "web.bin", Data: files["web.bin"]}, {Filename: "small.txt", Data: files["small.txt"]},
		{Filename: "empty.txt", Data: files["empty.txt"]}}
	rc, err := d.CreateReport(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.AddReporterMessage(ctx, rc.ReportID, "more", []db.NewAttachment{{Filename: "status.bin", Data: files["status.bin"]}},
		db.SourceWeb, db.DefaultLimits); err != nil {
		t.Fatal(err)
	}
	raw := []byte("From: m@example.org\r\nSubject: dump\r\nMessage-ID: <dump@example.org>\r\n\r\n" + strings.Repeat("raw mail line\r\n", 200<<10))
	spooled := files["spooled.bin"]
	mailed, err := mailin.IngestMail(ctx, d, &db.InboundMail{Mailbox: "INBOX", UIDValidity: 1, UID: 1,
		OpenRaw: func() io.Reader { return bytes.NewReader(raw) }, RawSize: int64(len(raw)), RawSHA256: hexSum(raw),
		MessageID: "<dump@example.org>", FromEmail: "m@example.org", To: []string{"security@example.org"}, Subject: "dump", Body: "see file",
		Files:   []db.NewAttachment{{Filename: "spooled.bin"}},
		Spooled: []*db.SpooledFile{{Size: int64(len(spooled)), SHA256: hexSum(spooled), Open: func() io.Reader { return bytes.NewReader(spooled) }}},
	}, mailin.IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}

	conn, err := sql.Open("sqlite3", "file:"+d.Path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	attachments := map[string]*db.Attachment{}
	for _, id := range []int64{rc.ReportID, mailed.ReportID} {
		tl, err := d.Timeline(ctx, id, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range tl {
			for _, a := range m.Attachments {
				attachments[a.Filename] = a
			}
		}
	}
	gpgOpens := func(t *testing.T, what string, sealed, want []byte) {
		t.Helper()
		if got := g.Run(string(sealed), "--passphrase", sealPassphrase, "--decrypt"); got != string(want) {
			t.Errorf("gpg decrypts %s to %d bytes, want its %d", what, len(got), len(want))
		}
	}
	t.Run("GnuPG", func(t *testing.T) {
		for name, want := range files {
			a := attachments[name]
			if a == nil || a.Size != int64(len(want)) || a.SHA256 != hexSum(want) {
				t.Fatalf("%s listed as %+v", name, a)
			}
			var data []byte
			if err := conn.QueryRow(`SELECT data FROM attachment_data WHERE attachment_id = ?`, a.ID).Scan(&data); err != nil || len(data) != 0 {
				t.Errorf("%s: %d bytes in attachment_data, want them in chunks (%v)", name, len(data), err)
			}
			n, joined := storedChunks(t, conn, "attachment_chunks", "attachment_id", a.ID)
			if want := (len(want) + 64) / (256 << 10); n < want {
				t.Errorf("%s: %d chunks", name, n)
			}
			gpgOpens(t, name, joined, want)
		}
		var rawID int64
		if err := conn.QueryRow(`SELECT id FROM mail_raw WHERE message_id = '<dump@example.org>'`).Scan(&rawID); err != nil {
			t.Fatal(err)
		}
		_, joined := storedChunks(t, conn, "mail_raw_chunks", "raw_id", rawID)
		gpgOpens(t, "the raw mail", joined, raw)
		var eml bytes.Buffer
		if err := d.WriteRawMail(ctx, rawID, &eml); err != nil || !bytes.Equal(eml.Bytes(), raw) {
			t.Errorf("raw mail download: %d bytes, %v", eml.Len(), err)
		}
	})
	readBack := func(t *testing.T, reportID int64, name string) ([]byte, error) {
		t.Helper()
		_, r, err := d.AttachmentReader(ctx, reportID, attachments[name].ID, false)
		if err != nil {
			return nil, err
		}
		defer r.Close()
		return io.ReadAll(r)
	}
	t.Run("Download", func(t *testing.T) {
		for name, want := range files {
			report := rc.ReportID
			if name == "spooled.bin" {
				report = mailed.ReportID
			}
			if got, err := readBack(t, report, name); err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s streams back as %d bytes, %v", name, len(got), err)
			}
		}
	})
	t.Run("Unseal", func(t *testing.T) {
		if err := d.UnsealExisting(ctx, nil); err != nil {
			t.Fatal(err)
		}
		a := attachments["web.bin"]
		if _, joined := storedChunks(t, conn, "attachment_chunks", "attachment_id", a.ID); !bytes.Equal(joined, files["web.bin"]) {
			t.Errorf("unsealed, the chunks hold %d other bytes", len(joined))
		}
		if got, err := readBack(t, rc.ReportID, "web.bin"); err != nil || !bytes.Equal(got, files["web.bin"]) {
			t.Errorf("unsealed: %d bytes, %v", len(got), err)
		}
		if err := d.SealExisting(ctx, nil); err != nil {
			t.Fatal(err)
		}
		_, joined := storedChunks(t, conn, "attachment_chunks", "attachment_id", a.ID)
		gpgOpens(t, "web.bin sealed again", joined, files["web.bin"])
		if got, err := readBack(t, rc.ReportID, "web.bin"); err != nil || !bytes.Equal(got, files["web.bin"]) {
			t.Errorf("sealed again: %d bytes, %v", len(got), err)
		}
	})
	t.Run("ErrChanged", func(t *testing.T) {
		a := attachments["web.bin"]
		rw, err := sql.Open("sqlite3", "file:"+d.Path+"?_busy_timeout=5000")
		if err != nil {
			t.Fatal(err)
		}
		defer rw.Close()
		if _, err := rw.Exec(`UPDATE attachment_chunks SET data = substr(data, 1, 100) || zeroblob(1) || substr(data, 102) WHERE attachment_id = ? AND seq = 3`, a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := readBack(t, rc.ReportID, "web.bin"); err == nil {
			t.Error("a changed chunk read back without an error")
		}
		if _, _, err := d.AttachmentOf(ctx, rc.ReportID, a.ID, false); err == nil {
			t.Error("AttachmentOf gave a changed file")
		}
	})
}

// TestSealedDownloadMemory: streaming a sealed 24 MiB file holds a chunk at
// a time, not the file (before: its ciphertext joined, then the plaintext,
// then gopenpgp's copy: over 70 MiB of live heap).
func TestSealedDownloadMemory(t *testing.T) {
	ctx := context.Background()
	d := MustOpenDB(t)
	d.SetSealer(newTeamKey(t), true)
	p, _ := d.DefaultProgram(ctx)
	in := validReport(p.ID)
	in.Attachments = []db.NewAttachment{{Filename: "core.bin", Data: noise(24 << 20)}}
	rc, err := d.CreateReport(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	in = nil
	id := firstAttachment(t, d, rc.ReportID)
	runtime.GC()
	idle := heapObjects()
	var peak atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			if h := heapObjects() - idle; h > peak.Load() {
				peak.Store(h)
			}
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Microsecond):
			}
		}
	}()
	_, r, err := d.AttachmentReader(ctx, rc.ReportID, id, false)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, r)
	r.Close()
	close(stop)
	<-sampled
	if err != nil || n != 24<<20 {
		t.Fatalf("read %d bytes, %v", n, err)
	}
	t.Logf("streaming a sealed 24 MiB file: live heap peak %d KiB above idle", peak.Load()>>10)
	if got := peak.Load(); got > 16<<20 {
		t.Errorf("streaming a sealed 24 MiB file held %d MiB of heap, want under 16", got>>20)
	}
}

// heapObjects is the bytes of live and not yet swept heap objects.
func heapObjects() int64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}

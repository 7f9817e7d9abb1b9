package db_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/disclose/disclose/db"
)

// fullDiskEnv names the database a child process fills until the file size
// limit stops it.
const fullDiskEnv = "DISCLOSE_TEST_FULLDISK_DB"

// TestFullDisk runs a writer in a child process under RLIMIT_FSIZE (a full
// disk, as far as SQLite can tell) and checks that the writer gets a clear
// error, that the database is not damaged, that every report the child saw
// committed is there, and that writing works again once there is room.
func TestFullDisk(t *testing.T) {
	if os.Getenv(fullDiskEnv) != "" {
		t.Skip("parent-only test")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "disclose.db")
	d, err := db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	d.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^TestFullDiskChild$", "-test.v")
	cmd.Env = append(os.Environ(), fullDiskEnv+"="+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v\n%s\n%s", err, out, stderr.String())
	}
	var refs []string
	var problem string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if ref, ok := strings.CutPrefix(line, "COMMITTED "); ok {
			refs = append(refs, ref)
		} else if p, ok := strings.CutPrefix(line, "PROBLEM "); ok {
			problem = p
		}
	}
	if len(refs) == 0 {
		t.Fatalf("child committed nothing:\n%s", out)
	}
	if testing.Verbose() {
		t.Logf("child committed %d reports, then: %s", len(refs), problem)
	}
	if !strings.Contains(problem, "disk") {
		t.Fatalf("child's error is not explained as a disk problem: %q\n%s", problem, out)
	}

	d, err = db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.IntegrityCheck(ctx); err != nil {
		t.Fatalf("database damaged after the disk filled: %v", err)
	}
	for _, ref := range refs {
		if _, err := d.ReportByRef(ctx, ref); err != nil {
			t.Fatalf("%s was committed before the disk filled, now: %v", ref, err)
		}
	}
	p, _ := d.DefaultProgram(ctx)
	if _, err := d.CreateReport(ctx, validReport(p.ID)); err != nil {
		t.Fatalf("writing after space came back: %v", err)
	}
}

// TestFullDiskChild is the child of TestFullDisk.
func TestFullDiskChild(t *testing.T) {
	path := os.Getenv(fullDiskEnv)
	if path == "" {
		t.Skip("runs only as the child of TestFullDisk")
	}
	ctx := context.Background()
	d, err := db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	// Beyond the limit the kernel sends SIGXFSZ, which would kill us; ignored,
	// the write fails with EFBIG as it would with ENOSPC on a full disk.
	signal.Ignore(syscall.SIGXFSZ)
	var size int64
	for _, f := range []string{path, path + "-wal"} {
		if st, err := os.Stat(f); err == nil {
			size = max(size, st.Size())
		}
	}
	lim := syscall.Rlimit{Cur: uint64(size + 256<<10), Max: uint64(size + 256<<10)}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		t.Fatal(err)
	}
	p, err := d.DefaultProgram(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10_000; i++ {
		in := validReport(p.ID)
		in.Attachments = []db.NewAttachment{{Filename: "dump.bin", Data: bytes.Repeat([]byte{byte(i)}, 20<<10)}}
		rc, err := d.CreateReport(ctx, in)
		if err != nil {
			msg, ok := db.StorageProblem(err)
			if !ok {
				t.Fatalf("unexplained error: %v", err)
			}
			fmt.Printf("PROBLEM %s\n", msg)
			return
		}
		fmt.Printf("COMMITTED %s\n", rc.Ref)
	}
	t.Fatal("the file size limit never stopped the writer")
}

package mailin

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin/pgp"
	"github.com/disclose/disclose/views/wording"
)

// maxMailMemory is what taking in any one mail may cost the process: its
// peak resident memory above the idle process.
const maxMailMemory = 64 << 20

// bombChild is what TestMailBombMemory hands its child process.
type bombChild struct {
	Addr, Dir, Key string
	// Pending: the mail comes while the team key is locked; the measured
	// part is the DecryptPending pass after the key is unlocked.
	Pending bool
	// Sealed: the database seals what it stores (sealed mode).
	Sealed bool
	// KillFrom stops the child with SIGKILL, as the kernel's out-of-memory
	// killer does, in the middle of parsing a mail from that address: when
	// the parser asks for the keys known for the sender of a signed or
	// encrypted mail (in Pending mode, only in the pass after the unlock).
	KillFrom string
}

// bombResult is what the child measured.
type bombResult struct {
	Idle, Peak, HeapPeak int64 // bytes: resident when idle, its peak above idle, live heap peak above idle
	Err                  string
	Killed               bool // the child was killed by a signal (see KillFrom)
}

// TestMailBombMemory takes hostile mails in through the real intake (an
// IMAP server, the parser, the database) in a child process, and measures
// the child's peak resident memory above idle (VmHWM, reset once the
// process is idle): at most maxMailMemory for any of them, each mail kept
// and shown with the reason it was not read whole, in clear and in sealed
// mode (where every file and the raw mail are sealed as they stream into
// the database). Under the race detector it asserts the live heap instead.
// Before the per-mail decompression budget, the inline mail of 30 blocks
// drove a process to gigabytes; here the child is killed past 2 GiB.
func TestMailBombMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and reads gigabyte mail bombs")
	}
	if _, err := os.Stat("/proc/self/clear_refs"); err != nil {
		t.Skip("needs /proc/self/clear_refs to measure the peak memory")
	}
	team, err := pgp.Generate(pgp.GenerateOptions{Email: "security@example.org"}, []byte(teamPass), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	keyPath := filepath.Join(t.TempDir(), pgp.KeyFile)
	if err := team.Save(keyPath); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []struct {
		name   string
		sealed bool
	}{{"Clear", false}, {"Sealed", true}} {
		t.Run(mode.name, func(t *testing.T) {
			for _, bc := range bombCases {
				t.Run(bc.name, func(t *testing.T) { runBombCase(t, bc, team, keyPath, mode.sealed) })
			}
		})
	}
}

// runBombCase takes in the mail of bc in a child process and checks what it
// cost and what a triager sees.
func runBombCase(t *testing.T, bc bombCase, team *pgp.TeamKey, keyPath string, sealed bool) {
	raw := bc.mail(t, team)
	srv := startMemIMAP(t, nil)
	srv.deliver(t, "INBOX", raw)
	for i := 2; i <= bc.flood; i++ {
		srv.deliver(t, "INBOX", strings.Replace(raw, "Message-ID: <", fmt.Sprintf("Message-ID: <%d.", i), 1))
	}
	dir := t.TempDir()
	res := runBombChild(t, bombChild{Addr: srv.addr, Dir: dir, Key: keyPath, Pending: bc.pending, Sealed: sealed})
	t.Logf("%s: mail of %s; peak resident memory %d MiB above idle (%d MiB), live heap peak %d MiB above idle",
		bc.name, wording.Bytes(int64(len(raw))), res.Peak>>20, res.Idle>>20, res.HeapPeak>>20)
	if res.Err != "" {
		t.Fatalf("child: %s", res.Err)
	}
	switch {
	case raceEnabled && res.HeapPeak > maxMailMemory:
		// The race detector's shadow memory makes the resident size
		// meaningless; the live heap is still measured.
		t.Errorf("taking in the mail cost %d MiB of live heap, more than %d MiB", res.HeapPeak>>20, maxMailMemory>>20)
	case !raceEnabled && res.Peak > maxMailMemory:
		t.Errorf("taking in the mail cost %d MiB of memory, more than %d MiB", res.Peak>>20, maxMailMemory>>20)
	}
	d, err := db.Open(context.Background(), filepath.Join(dir, "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if sealed {
		d.SetSealer(team, true) // unlocked: the checks read what was sealed
	}
	bc.check(t, d)
}

// runBombChild runs TestMailBombChild in a new process of this test binary
// and returns what it measured; it kills the child past 2 GiB, so that the
// old code cannot take the machine down.
func runBombChild(t *testing.T, cfg bombChild) bombResult {
	t.Helper()
	arg, _ := json.Marshal(cfg)
	cmd := exec.Command(os.Args[0], "-test.run=^TestMailBombChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "DISCLOSE_BOMB_CHILD="+string(arg))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var killed atomic.Int64
	go func() {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if rss := statusBytes(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid), "VmHWM:"); rss > 2<<30 {
					killed.Store(rss)
					cmd.Process.Kill()
					return
				}
			}
		}
	}()
	var res bombResult
	var lines []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if line, ok := strings.CutPrefix(sc.Text(), "bomb-result: "); ok {
			if err := json.Unmarshal([]byte(line), &res); err != nil {
				t.Fatal(err)
			}
		} else {
			lines = append(lines, sc.Text())
		}
	}
	err = cmd.Wait()
	close(done)
	if n := killed.Load(); n > 0 {
		return bombResult{Peak: n, Err: fmt.Sprintf("killed after it grew to %d MiB", n>>20)}
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return bombResult{Killed: true}
	}
	if err != nil && res.Err == "" {
		res.Err = fmt.Sprintf("%v\n%s", err, strings.Join(lines, "\n"))
	}
	return res
}

// TestMailBombChild is the process TestMailBombMemory measures: the intake
// of serve (the same database, key, limits and spool directory), reading
// the mailbox once.
func TestMailBombChild(t *testing.T) {
	arg := os.Getenv("DISCLOSE_BOMB_CHILD")
	if arg == "" {
		t.Skip("run by TestMailBombMemory")
	}
	res := bombResult{}
	defer func() { b, _ := json.Marshal(res); fmt.Printf("bomb-result: %s\n", b) }()
	var cfg bombChild
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
	ctx := context.Background()
	d, err := db.Open(ctx, filepath.Join(cfg.Dir, "disclose.db"))
	if err != nil {
		res.Err = err.Error()
		return
	}
	defer d.Close()
	team, err := pgp.LoadTeamKey(cfg.Key)
	if err == nil && team != nil {
		err = team.Unlock([]byte(teamPass))
	}
	if err != nil {
		res.Err = err.Error()
		return
	}
	spool := filepath.Join(cfg.Dir, "tmp")
	os.MkdirAll(spool, 0o700)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	in, err := New(Config{Addr: cfg.Addr, TLS: TLSNone, User: "security", Password: "secret", Interval: time.Hour,
		MessageIDDomain: "portal.test", OwnAddresses: []string{"security@example.org"}, SpoolDir: spool}, d, log)
	if err != nil {
		res.Err = err.Error()
		return
	}
	var armed atomic.Bool
	armed.Store(!cfg.Pending)
	known := func(ctx context.Context, q db.KeyQuery) ([]string, error) {
		if armed.Load() && q.From == cfg.KillFrom {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
		}
		return d.KnownKeys(ctx, q)
	}
	if cfg.Sealed {
		d.SetSealer(team, true)
	}
	p := &PGP{Key: team, Known: known, Now: d.Now, SpoolDir: spool}
	in.UsePGP(p)
	measure := func(run func() error) error {
		runtime.GC()
		debug.FreeOSMemory()
		res.Idle = statusBytes("/proc/self/status", "VmRSS:")
		heapIdle := liveHeap()
		if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
			return err
		}
		stop := make(chan struct{})
		var heapPeak atomic.Int64
		go func() {
			for {
				if h := liveHeap(); h > heapPeak.Load() {
					heapPeak.Store(h)
				}
				select {
				case <-stop:
					return
				case <-time.After(time.Millisecond):
				}
			}
		}()
		err := run()
		close(stop)
		res.Peak = statusBytes("/proc/self/status", "VmHWM:") - res.Idle
		res.HeapPeak = heapPeak.Load() - heapIdle
		return err
	}
	poll := func() error {
		stats, err := in.PollOnce(ctx)
		if err == nil && stats.Reports+stats.SetAside == 0 && stats.Moved == 0 && cfg.KillFrom == "" {
			err = fmt.Errorf("poll: %+v, want the mail taken", stats)
		}
		return err
	}
	if cfg.Pending {
		team.Lock()
		if err := poll(); err != nil {
			res.Err = err.Error()
			return
		}
		team.Unlock([]byte(teamPass))
		armed.Store(true)
		err = measure(func() error {
			n, err := DecryptPending(ctx, d, p, DefaultLimits, log)
			if err == nil && n != 1 {
				err = fmt.Errorf("decrypt pending: %d entries done, want 1", n)
			}
			return err
		})
	} else {
		err = measure(poll)
	}
	if err != nil {
		res.Err = err.Error()
	}
}

// liveHeap is the bytes of live and not yet swept heap objects.
func liveHeap() int64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}

// statusBytes reads a "kB" field (VmRSS:, VmHWM:) of a /proc status file.
func statusBytes(path, field string) int64 {
	b, err := os.ReadFile(path)
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

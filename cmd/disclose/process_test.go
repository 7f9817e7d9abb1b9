package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binDir    string
	binPath   string
	buildErr  error
)

// TestMain removes the binary the process tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// buildBinary builds the real disclose binary once per test run.
func buildBinary(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	buildOnce.Do(func() {
		if binDir, buildErr = os.MkdirTemp("", "disclose-bin-"); buildErr != nil {
			return
		}
		os.Chmod(binDir, 0o755) // tests may run the binary as another user
		binPath = filepath.Join(binDir, "disclose")
		cmd := exec.Command("go", "build", "-tags", "sqlite_fts5", "-o", binPath, ".")
		cmd.Env = append(os.Environ(), "GOFLAGS=")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// serveProc is a running `disclose serve` child.
type serveProc struct {
	cmd    *exec.Cmd
	url    string
	done   chan error    // receives Wait's result once
	exited chan struct{} // closed when the process has exited

	mu    sync.Mutex
	lines []string
	seen  chan struct{} // pinged on every new log line
}

var listeningRE = regexp.MustCompile(`listening on (https?://\S+/)`)

func startServe(t *testing.T, bin string, args ...string) *serveProc {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve"}, args...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serveProc{cmd: cmd, done: make(chan error, 1), exited: make(chan struct{}), seen: make(chan struct{}, 1)}
	urlc := make(chan string, 1)
	var readers sync.WaitGroup
	readers.Add(2)
	// Wait only after both pipes are drained (os/exec requires it).
	go func() { readers.Wait(); p.done <- cmd.Wait(); close(p.exited) }()
	go func() {
		defer readers.Done()
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := listeningRE.FindStringSubmatch(sc.Text()); m != nil {
				urlc <- m[1]
			}
		}
		close(urlc)
	}()
	go func() {
		defer readers.Done()
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			p.mu.Unlock()
			select {
			case p.seen <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			cmd.Process.Kill()
			<-p.exited
		}
	})
	select {
	case u, ok := <-urlc:
		if !ok {
			t.Fatalf("serve exited before listening:\n%s", p.log())
		}
		p.url = u
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not start in 30 s:\n%s", p.log())
	}
	return p
}

func (p *serveProc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// waitLog waits (bounded) for a log line containing all of parts.
func (p *serveProc) waitLog(t *testing.T, parts ...string) string {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		p.mu.Lock()
		for _, l := range p.lines {
			ok := true
			for _, part := range parts {
				ok = ok && strings.Contains(l, part)
			}
			if ok {
				p.mu.Unlock()
				return l
			}
		}
		p.mu.Unlock()
		select {
		case <-p.seen:
		case <-deadline:
			t.Fatalf("no log line with %q in 20 s:\n%s", parts, p.log())
		}
	}
}

func (p *serveProc) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// wait waits (bounded) for the process to exit and returns its error.
func (p *serveProc) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-p.done:
		return err
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not exit in 60 s:\n%s", p.log())
	}
	return nil
}

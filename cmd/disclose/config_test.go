package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func testEnv(vars map[string]string) (*environment, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return &environment{stdout: &out, stderr: &errb, getenv: func(k string) string { return vars[k] }}, &out, &errb
}

func TestConfigErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		args []string
		env  map[string]string
		want string
	}{
		"ErrAddr":        {[]string{"--addr", "nope"}, nil, "DISCLOSE_ADDR (--addr)"},
		"ErrBaseURL":     {nil, map[string]string{"DISCLOSE_BASE_URL": "ftp://x"}, "DISCLOSE_BASE_URL (--base-url)"},
		"ErrEmail":       {nil, map[string]string{"DISCLOSE_SECURITY_EMAIL": "Security <s@x.org>"}, "DISCLOSE_SECURITY_EMAIL"},
		"ErrLogLevel":    {nil, map[string]string{"DISCLOSE_LOG_LEVEL": "loud"}, "DISCLOSE_LOG_LEVEL"},
		"ErrEnvNotInt":   {nil, map[string]string{"DISCLOSE_MAX_FILES": "many"}, "DISCLOSE_MAX_FILES: invalid value"},
		"ErrRate":        {[]string{"--submit-rate", "-1"}, nil, "DISCLOSE_SUBMIT_RATE"},
		"ErrCacheMB":     {nil, map[string]string{"DISCLOSE_CACHE_MB": "1"}, "DISCLOSE_CACHE_MB (--cache-mb)"},
		"ErrUnknownFlag": {[]string{"--colour", "blue"}, nil, "flag provided but not defined"},
		"ErrMetricsLoopbackBehindLocalProxy": {[]string{"--metrics-loopback", "--trusted-proxies", "127.0.0.1"}, nil,
			"DISCLOSE_METRICS_LOOPBACK (--metrics-loopback)"},
	} {
		t.Run(name, func(t *testing.T) {
			env, _, _ := testEnv(tc.env)
			err := run(context.Background(), env, append([]string{"serve", "--data", t.TempDir()}, tc.args...))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err=%v, want it to name %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is not one line: %q", err)
			}
		})
	}
}

func TestConfigSources(t *testing.T) {
	t.Run("FlagBeatsEnv", func(t *testing.T) {
		var c serveConfig
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		c.flags(fs)
		if err := parseFlags(fs, []string{"--addr", "127.0.0.1:9"}, func(k string) string {
			return map[string]string{"DISCLOSE_ADDR": "127.0.0.1:7", "DISCLOSE_SECURITY_EMAIL": "sec@example.org"}[k]
		}); err != nil {
			t.Fatal(err)
		}
		if c.Addr != "127.0.0.1:9" || c.SecurityEmail != "sec@example.org" {
			t.Fatalf("addr=%q email=%q", c.Addr, c.SecurityEmail)
		}
	})
	t.Run("SecretFromFile", func(t *testing.T) {
		secretFlags["test-secret"] = true
		defer delete(secretFlags, "test-secret")
		file := filepath.Join(t.TempDir(), "s")
		os.WriteFile(file, []byte("hunter2\n"), 0o600)
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		secret := fs.String("test-secret", "", "")
		if err := parseFlags(fs, nil, func(k string) string {
			return map[string]string{"DISCLOSE_TEST_SECRET_FILE": file}[k]
		}); err != nil {
			t.Fatal(err)
		}
		if *secret != "hunter2" {
			t.Fatalf("secret=%q", *secret)
		}
	})
}

func TestHelp(t *testing.T) {
	env, out, _ := testEnv(nil)
	if err := run(context.Background(), env, []string{"--help"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range commands {
		if !strings.Contains(out.String(), c.name) {
			t.Errorf("--help does not list %s", c.name)
		}
	}
	out.Reset()
	if err := run(context.Background(), env, []string{"serve", "--help"}); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("serve --help: %v", err)
	}
	for _, want := range []string{"--addr", "[DISCLOSE_ADDR]", "--base-url", "--security-email", "--data", "--log-level"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("serve --help lacks %s", want)
		}
	}
}

// TestREADMEConfigTable keeps the README's configuration table complete:
// every setting `disclose serve --help` lists must have its row.
func TestREADMEConfigTable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	env, out, _ := testEnv(nil)
	run(context.Background(), env, []string{"serve", "--help"})
	names := regexp.MustCompile(`\[(DISCLOSE_[A-Z0-9_]+)\]`).FindAllStringSubmatch(out.String(), -1)
	if len(names) < 10 {
		t.Fatalf("serve --help lists only %d settings", len(names))
	}
	for _, m := range names {
		name := strings.TrimSuffix(m[1], "_FILE")
		if !strings.Contains(string(readme), "`"+name+"`") {
			t.Errorf("README has no row for %s", name)
		}
	}
}

// TestInvalidConfigExits checks the binary itself: one line on stderr, exit 78.
func TestInvalidConfigExits(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	cmd := exec.Command(discloseBinary(t), "serve", "--data", t.TempDir())
	cmd.Env = append(os.Environ(), "DISCLOSE_BASE_URL=not a url")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 78 { // EX_CONFIG: systemd is told not to restart on it
		t.Fatalf("exit: %v", err)
	}
	if lines := strings.Split(strings.TrimSpace(stderr.String()), "\n"); len(lines) != 1 || !strings.Contains(lines[0], "DISCLOSE_BASE_URL") {
		t.Fatalf("stderr: %q", stderr.String())
	}
}

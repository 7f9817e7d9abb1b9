package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSSOCommands: a provider from the CLI, listed without its secret,
// removed; a bad role mapping names its flag.
func TestSSOCommands(t *testing.T) {
	data := t.TempDir()
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("very-secret-client-value\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := func(args ...string) string {
		t.Helper()
		out, err := runCmd(t, append(args, "--data", data)...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return out
	}
	out := cmd("sso", "add", "--name", "Okta", "--org", "default", "--issuer", "https://example.okta.com", "--client-id", "0oa1",
		"--client-secret-file", secret, "--domains", "a.example,b.example", "--roles", "groups:groups=admin:G1,triager:G2")
	if !strings.Contains(out, "Added sign-in provider 1") {
		t.Fatalf("add: %s", out)
	}
	list := cmd("sso", "list")
	for _, want := range []string{"Okta", "default", "https://example.okta.com", "a.example,b.example", "admin:G1", "triager:G2"} {
		if !strings.Contains(list, want) {
			t.Errorf("sso list lacks %q:\n%s", want, list)
		}
	}
	if strings.Contains(list, "very-secret") {
		t.Error("sso list shows the client secret")
	}
	if _, err := runCmd(t, "sso", "add", "--data", data, "--name", "X", "--issuer", "https://x.example", "--client-id", "c",
		"--client-secret-file", secret, "--domains", "x.example", "--roles", "groups:g=boss:G"); err == nil || !strings.Contains(err.Error(), "--roles") {
		t.Errorf("a bad role: %v", err)
	}
	cmd("sso", "remove", "1")
	if list := cmd("sso", "list"); strings.Contains(list, "Okta") {
		t.Errorf("removed provider listed:\n%s", list)
	}
}

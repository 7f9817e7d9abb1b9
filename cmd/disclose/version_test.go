package main

import (
	"os/exec"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionLine(t *testing.T) {
	for _, tc := range []struct {
		name string
		info *debug.BuildInfo
		want string
	}{
		{"Checkout", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20261206164822-43c496ebcee7"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "43c496e"}, {Key: "vcs.time", Value: "2026-12-06T16:48:22Z"}, {Key: "vcs.modified", Value: "false"}}},
			"disclose v0.0.0-20261206164822-43c496ebcee7 commit 43c496e (2026-12-06T16:48:22Z) go1.26.8"},
		{"Modified", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "43c496e"}, {Key: "vcs.time", Value: "2026-12-06T16:48:22Z"}, {Key: "vcs.modified", Value: "true"}}},
			"disclose (devel) commit 43c496e (2026-12-06T16:48:22Z, with uncommitted changes) go1.26.8"},
		{"Release", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.0"}}, "disclose v1.2.0 go1.26.8"},
		{"NoInfo", nil, "disclose (no build information)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := versionLine(tc.info); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestVersionOfBuiltBinary: a binary built in this checkout names the
// commit it was built from (it printed "dev" whatever it was).
func TestVersionOfBuiltBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	rev, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	bin := t.TempDir() + "/disclose"
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := string(out); !strings.Contains(got, "commit "+strings.TrimSpace(string(rev))) || strings.Contains(got, " dev") {
		t.Fatalf("version = %q, want the commit %s", got, rev)
	}
}

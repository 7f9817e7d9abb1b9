package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
)

// runStdout runs a command in-process and returns what it wrote to
// standard output only (exports are piped to files).
func runStdout(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut lockedBuffer
	env := &environment{stdout: &out, stderr: &errOut, stdin: strings.NewReader(""), getenv: func(string) string { return "" }}
	err := run(context.Background(), env, args)
	return out.String(), err
}

func TestDemoAndExport(t *testing.T) {
	data := t.TempDir()
	out, err := runStdout(t, "demo", "--data", data, "--reports", "300")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "100%  300 reports") || !strings.Contains(out, "Made 300 demo reports") {
		t.Fatalf("demo printed %q, want progress and a summary", out)
	}
	t.Run("JSON", func(t *testing.T) {
		out, err := runStdout(t, "export", "--data", data, "--format", "json", "--state", "needs_info")
		if err != nil {
			t.Fatal(err)
		}
		var reports []map[string]any
		if err := json.Unmarshal([]byte(out), &reports); err != nil {
			t.Fatalf("not JSON: %v", err)
		}
		if len(reports) == 0 {
			t.Fatal("no report in needs_info")
		}
		for _, r := range reports {
			if r["state"] != "needs_info" || len(r["timeline"].([]any)) == 0 {
				t.Fatalf("report %v: state %v, %d entries", r["ref"], r["state"], len(r["timeline"].([]any)))
			}
		}
	})
	t.Run("CSV", func(t *testing.T) {
		out, err := runStdout(t, "export", "--data", data, "--format", "csv")
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(rows), 301; got != want {
			t.Fatalf("rows=%d, want %d (header + every report)", got, want)
		}
	})
	t.Run("ErrFormat", func(t *testing.T) {
		if _, err := runStdout(t, "export", "--data", data, "--format", "xml"); err == nil || !strings.Contains(err.Error(), "--format") {
			t.Fatalf("err=%v, want one naming --format", err)
		}
	})
	t.Run("ErrFilter", func(t *testing.T) {
		if _, err := runStdout(t, "export", "--data", data, "--state", "bogus"); err == nil || !strings.Contains(err.Error(), "state") {
			t.Fatalf("err=%v, want one about the state", err)
		}
	})
}

package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

// TestOrgHostRemove: the operator ends a host name's mapping; the host then
// serves the default organisation, the other host of the organisation keeps
// its mapping, and a host of another organisation cannot be removed by
// naming the wrong one.
func TestOrgHostRemove(t *testing.T) {
	data := t.TempDir()
	cmd := func(args ...string) (string, error) { return runCmd(t, append(args, "--data", data)...) }
	if out, err := cmd("org", "add", "--slug", "client", "--name", "Client", "--host", "reports.client.example", "--host", "bugs.client.example"); err != nil {
		t.Fatal(err, out)
	}
	if out, err := cmd("org", "add", "--slug", "other", "--name", "Other", "--host", "reports.other.example"); err != nil {
		t.Fatal(err, out)
	}
	if _, err := cmd("org", "host-remove", "--org", "client", "--host", "reports.other.example"); err == nil || !strings.Contains(err.Error(), "not a host name of client") {
		t.Errorf("removing another organisation's host through this one: %v", err)
	}
	if out, err := cmd("org", "host-remove", "--org", "client", "--host", "Reports.Client.Example"); err != nil || !strings.Contains(out, "Removed host reports.client.example") {
		t.Fatalf("host-remove: %v %s", err, out)
	}
	d, err := db.Open(context.Background(), filepath.Join(data, "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for host, want := range map[string]string{"reports.client.example": "default", "bugs.client.example": "client", "reports.other.example": "other"} {
		o, err := d.OrgForHost(context.Background(), host)
		if err != nil || o.Slug != want {
			t.Errorf("%s serves %v (%v), want %s", host, o, err, want)
		}
	}
}

package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"net/url"
	"sort"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/handlers"
)

// TestRouteTable: the router holds exactly the route table, and every row
// has a rule and appears once.
func TestRouteTable(t *testing.T) {
	base, _ := url.Parse("http://127.0.0.1")
	s, err := handlers.New(context.Background(), handlers.Config{BaseURL: base, Limits: db.DefaultLimits, MaxBody: 1 << 20},
		openDB(t), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	var table, router []string
	seen := map[string]bool{}
	for _, r := range s.Routes() {
		key := r.Method + " " + r.Path
		if !r.Access.Valid() {
			t.Errorf("%s has no access rule", key)
		}
		if seen[key] {
			t.Errorf("%s is in the table twice", key)
		}
		seen[key] = true
		table = append(table, key)
	}
	for _, r := range handlers.EchoOf(s).Routes() {
		router = append(router, r.Method+" "+r.Path)
	}
	sort.Strings(table)
	sort.Strings(router)
	if len(table) != len(router) {
		t.Fatalf("the router has %d routes, the table %d:\nrouter %v\ntable  %v", len(router), len(table), router, table)
	}
	for i := range table {
		if table[i] != router[i] {
			t.Fatalf("router %q, table %q", router[i], table[i])
		}
	}
}

package handlers_test

import (
	"sort"
	"testing"

	"github.com/disclose/disclose/handlers"
)

// TestRouteTable: the router holds exactly the route table, and every row
// has a rule and appears once.
func TestRouteTable(t *testing.T) {
	s := newPortal(t).Handler
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

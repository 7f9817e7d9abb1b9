package handlers_test

import (
	"flag"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/disclose/disclose/handlers"
	"github.com/labstack/echo/v4"
)

var updateRoutes = flag.Bool("update-routes", false, "rewrite testdata/routes.txt from the route table")

// TestRouteTable: the router holds exactly the route table, every row has
// a rule and appears once, and the rules are those of testdata/routes.txt.
// The authorization matrix derives what each rule means from the table, so
// it cannot notice a rule changed by mistake (an admin page made Staff):
// the file makes every change of a rule a visible diff in review. After a
// deliberate change: go test ./handlers -run TestRouteTable -update-routes.
func TestRouteTable(t *testing.T) {
	s := newPortal(t).Handler
	var table, router, lines []string
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
		method := r.Method
		if method == echo.RouteNotFound {
			method = "*"
		}
		lines = append(lines, method+" "+r.Path+" "+r.Access.String())
	}
	for _, r := range handlers.EchoOf(s).Routes() {
		router = append(router, r.Method+" "+r.Path)
	}
	sort.Strings(table)
	sort.Strings(router)
	if strings.Join(table, "\n") != strings.Join(router, "\n") {
		t.Errorf("the router is not the table:\nrouter %v\ntable  %v", router, table)
	}
	got := strings.Join(lines, "\n") + "\n"
	if *updateRoutes {
		if err := os.WriteFile("testdata/routes.txt", []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("testdata/routes.txt")
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) || i < len(wl); i++ {
			g, w := "", ""
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("line %d: the table says %q, testdata/routes.txt %q (after a deliberate change: -update-routes)", i+1, g, w)
			}
		}
	}
}

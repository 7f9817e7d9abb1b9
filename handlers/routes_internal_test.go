package handlers

import (
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// TestRouteWithoutRuleStopsStart: a row of the table without an access rule
// (the zero value) must keep the server from starting, not open the route.
func TestRouteWithoutRuleStopsStart(t *testing.T) {
	s := &Server{}
	e := echo.New()
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "GET /forgotten has no access rule") {
			t.Fatalf("recovered %v, want a panic naming the route", r)
		}
		if len(e.Routes()) != 0 {
			t.Fatalf("the route was registered: %v", e.Routes())
		}
	}()
	s.mount(e, []route{{method: get, path: "/forgotten", handler: notFound}})
}

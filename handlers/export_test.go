package handlers

import "github.com/labstack/echo/v4"

// EchoOf gives tests the route table of s, so that a test can walk every
// registered route (TestEveryRouteInAMatrix).
func EchoOf(s *Server) *echo.Echo { return s.echo }

package handlers

import "github.com/labstack/echo/v4"

// EchoOf gives tests the router of s, so that TestRouteTable can check it
// holds exactly the route table.
func EchoOf(s *Server) *echo.Echo { return s.echo }

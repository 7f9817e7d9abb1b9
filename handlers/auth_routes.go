package handlers

import (
	"github.com/disclose/disclose/db"
	"github.com/labstack/echo/v4"
)

// authRoutes is the part of the route table for sign-in, the user's own
// account and the admin pages. Each admin route sits behind requireStaff
// and requireRole(admin): the authorization of the admin pages is here.
func (s *Server) authRoutes(e *echo.Echo) {
	e.GET("/login", s.loginForm)
	e.POST("/login", s.login)
	e.GET("/login/code", s.loginCodeForm)
	e.POST("/login/code", s.loginCode)
	e.POST("/logout", s.logout)

	admin := e.Group("/admin", s.requireStaff, s.requireRole(db.RoleAdmin))
	admin.GET("", s.adminHome)
}

package handlers

import (
	"github.com/disclose/disclose/db"
	"github.com/labstack/echo/v4"
)

// authRoutes is the part of the route table for sign-in, the user's own
// account and the admin pages. Every admin route sits behind requireStaff
// and requireRole(admin): the authorization of the admin pages is here.
func (s *Server) authRoutes(e *echo.Echo) {
	e.GET("/login", s.loginForm)
	e.POST("/login", s.login)
	e.GET("/login/code", s.loginCodeForm)
	e.POST("/login/code", s.loginCode)
	e.POST("/logout", s.logout)
	e.GET("/setup/:token", s.setupForm)
	e.POST("/setup/:token", s.setup)

	// The user's own account: every handler acts on the session's user only.
	account := e.Group("/account", s.requireStaff)
	account.GET("/2fa", s.twoFactor)
	account.GET("/2fa/qr.png", s.twoFactorQR)
	account.POST("/2fa", s.confirmTwoFactor)
	account.POST("/2fa/replace", s.replaceTwoFactor)
	account.GET("/reauth", s.reauthForm)
	account.POST("/reauth", s.reauth)
	account.GET("/password", s.passwordForm)
	account.POST("/password", s.changePassword)
	account.GET("/sessions", s.sessionsPage)
	account.POST("/sessions/end-others", s.endOtherSessions)
	account.POST("/sessions/:id/end", s.endSession)

	admin := e.Group("/admin", s.requireStaff, s.requireRole(db.RoleAdmin))
	admin.GET("", s.adminHome)
	admin.GET("/users", s.adminUsers)
	admin.POST("/users", s.inviteUser)
	admin.GET("/users/:id", s.adminUser)
	admin.POST("/users/:id", s.updateUser)
	admin.POST("/users/:id/disable", s.userAction(true))
	admin.POST("/users/:id/enable", s.userAction(false))
	admin.POST("/users/:id/reset-password", s.resetPassword)
	admin.POST("/users/:id/reset-2fa", s.resetTwoFactor)
	admin.GET("/programs", s.adminPrograms)
	admin.GET("/programs/new", s.newProgram)
	admin.POST("/programs", s.saveProgram)
	admin.GET("/programs/:id", s.editProgram)
	admin.POST("/programs/:id", s.saveProgram)
	admin.GET("/audit", s.adminAudit)
	admin.GET("/settings", s.adminSettings)
	admin.POST("/settings", s.saveSettings)
	admin.GET("/retention", s.adminRetention)
	admin.POST("/retention/hold", s.legalHold(true))
	admin.POST("/retention/release", s.legalHold(false))
	admin.POST("/retention/:id", s.saveRetention)
	admin.GET("/intake", s.adminIntake)
	admin.GET("/intake/mail/:id", s.adminIntakeMail)
	s.keyRoutes(admin)
}

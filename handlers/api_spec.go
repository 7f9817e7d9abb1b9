package handlers

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

// OpenAPISpec is the OpenAPI 3.1 document of /api/v1/: written by hand as
// the contract (field names, statuses, problem documents), and checked
// against every answer the API tests receive (api_contract_test.go).
//
//go:embed openapi/v1.json
var OpenAPISpec []byte

// apiSpec serves the OpenAPI document.
func (s *Server) apiSpec(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/json", OpenAPISpec)
}

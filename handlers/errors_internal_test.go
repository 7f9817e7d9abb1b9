package handlers

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/disclose/disclose/db"
)

// TestErrorStatusTable: every code of db.Error has its row in codeStatus,
// and a wrapped domain error, field errors and all, gets the status of its
// code (an invalid form was answered 500: its error was another type).
func TestErrorStatusTable(t *testing.T) {
	for _, code := range []string{db.ECONFLICT, db.EFORBIDDEN, db.EINTERNAL, db.EINVALID, db.ELOCKED, db.ENOTFOUND, db.EUNAUTHORIZED} {
		if _, ok := codeStatus[code]; !ok {
			t.Errorf("code %q has no status", code)
		}
	}
	for _, tt := range []struct {
		err  error
		want int
	}{
		{fmt.Errorf("db: save: %w", db.Invalid(db.FieldErrors{"name": "Give a name."})), http.StatusUnprocessableEntity},
		{&db.Error{Code: db.ECONFLICT, Message: "This report was already received, as SEC-1.", Ref: "SEC-1"}, http.StatusConflict},
		{&db.Error{Code: db.ELOCKED, Message: "Wait.", RetryAfter: 30}, http.StatusTooManyRequests},
		{fmt.Errorf("disk on fire"), http.StatusInternalServerError},
	} {
		if got := errorStatus(tt.err); got != tt.want {
			t.Errorf("%v: status %d, want %d", tt.err, got, tt.want)
		}
	}
	if got := db.ErrorMessage(fmt.Errorf("x: %w", db.Invalid(db.FieldErrors{"url": "Give the URL.", "format": "Choose one."}))); got != "Choose one." {
		t.Errorf("message %q, want the first field's (by name after the report form's order)", got)
	}
}

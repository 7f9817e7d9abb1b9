package db_test

import (
	"testing"

	"github.com/disclose/disclose/db"
)

func TestSafeFilename(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"OK", "report.pdf", "report.pdf"},
		{"OKPathDropped", `..\..\etc/passwd`, "passwd"},
		{"ErrRightToLeftOverride", "invoice\u202Efdp.exe", "invoicefdp.exe"},
		{"ErrIsolates", "a\u2067b\u2069.txt", "ab.txt"},
		{"ErrZeroWidth", "x\u200B\u200Fy.sh", "xy.sh"},
		{"ErrOnlyFormatCharacters", "\u202E\u202D", "attachment"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := db.SafeFilename(tc.in); got != tc.want {
				t.Errorf("SafeFilename(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

package views

import (
	"fmt"
	"strconv"

	"github.com/disclose/disclose/db"
)

// AdminKey is the team key page.
type AdminKey struct {
	StaffPage
	HasKey      bool
	Fingerprint string
	Algorithm   string
	UserIDs     []string
	CreatedText string
	ExpiresText string
	ExpiresSoon bool
	Expired     bool
	Unlocked    bool
	CanControl  bool
	Notice      string
	Errors      db.FieldErrors
	// Sealing is on: the page shows the in-memory search index of sealed
	// reports.
	Sealing bool
	Index   db.SealedIndexStatus
}

// thousands writes n with comma separators, as the progress is read aloud.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// indexProgress is the build's progress in words.
func indexProgress(st db.SealedIndexStatus) string {
	return "search index of sealed reports: " + thousands(st.Done) + " of " + thousands(st.Total) + " reports"
}

// indexReady describes a finished index.
func indexReady(st db.SealedIndexStatus) string {
	return fmt.Sprintf("Ready: %s reports gone through in %.1f s; %.1f MB in memory.", thousands(st.Total), st.Took.Seconds(), float64(st.Bytes)/(1<<20))
}

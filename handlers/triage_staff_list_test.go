package handlers_test

import (
	"net/http"
	"strings"
	"testing"
)

// The queue's assignee filter lists colleagues: a triager sees admins and
// the members of their own programs, never the staff of a program they are
// not in.
func TestQueueStaffList(t *testing.T) {
	f := newTriageFixture(t)
	for _, tc := range []struct {
		name, who string
		shown     []string
		hidden    []string
	}{
		{"OK", "admin-member", []string{"triager-member@example.org", "triager-outsider@example.org", "admin-outsider@example.org"}, nil},
		{"ErrOtherProgramsStaff", "triager-member", []string{"admin-outsider@example.org", "triager-member@example.org"}, []string{"triager-outsider@example.org"}},
		{"ErrOtherProgramsStaffForViewer", "viewer-outsider", []string{"triager-outsider@example.org"}, []string{"triager-member@example.org"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := f.browsers[tc.who].get("/triage")
			if p.Status != http.StatusOK {
				t.Fatalf("status %d", p.Status)
			}
			for _, s := range tc.shown {
				if !strings.Contains(p.Body, s) {
					t.Errorf("%s does not see %s", tc.who, s)
				}
			}
			for _, s := range tc.hidden {
				if strings.Contains(p.Body, s) {
					t.Errorf("%s sees %s, of a program they are not in", tc.who, s)
				}
			}
		})
	}
}

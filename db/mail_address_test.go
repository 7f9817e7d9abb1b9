package db_test

import (
	"testing"

	"github.com/disclose/disclose/db"
)

// TestNormalAddress: the spellings of one mailbox count as one.
func TestNormalAddress(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"victim@example.net", "victim@example.net"},
		{"  Victim@Example.NET ", "victim@example.net"},
		{"Victim <victim+reports@example.net>", "victim@example.net"},
		{"victim@example.net.", "victim@example.net"},
		{"V.i.c.t.i.m+x@googlemail.com", "victim@gmail.com"},
		{"v.ictim@example.net", "v.ictim@example.net"},
		{"+tag@example.net", "+tag@example.net"},
		{"", ""},
	} {
		if got := db.NormalAddress(c.in); got != c.want {
			t.Errorf("NormalAddress(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

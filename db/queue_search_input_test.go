package db_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

// TestQueueSearchInput: whatever a search box sends, the queue answers
// with matches or a field error, never an internal error (review6 F5).
// Control characters are spaces: before, a NUL ended FTS5's reading of
// the query inside a quoted word ("unterminated string"). A relevance
// search of more words than SQLite allows arms in one compound SELECT
// (500) counts its distinct words only, at most MaxSearchWords; before,
// 600 words were "too many terms in compound SELECT".
func TestQueueSearchInput(t *testing.T) {
	ctx := context.Background()
	f := newTriageFixture(t)
	r := f.report(t, f.P1.ID, "Stored XSS in profile", "The name field runs script.")
	many := make([]string, 600)
	for i := range many {
		many[i] = fmt.Sprintf("w%d", i)
	}
	for _, q := range []string{"a\x00b", "\x00", "abc\x00\"", "xss\x00", "x\u2028y", "\xff\xfe", strings.Join(many, " "),
		strings.Repeat("xss ", 600)} {
		for _, sort := range []db.QueueSort{db.SortNewest, db.SortRelevance} {
			queue, err := f.DB.Queue(ctx, db.QueueFilter{Search: q, Sort: sort})
			if err != nil {
				t.Fatalf("search %.40q sorted %s: %v", q, sort, err)
			}
			if want := strings.HasPrefix(q, "xss"); want != (len(queue.Rows) == 1 && queue.Rows[0].ID == r.ID) {
				t.Fatalf("search %.40q sorted %s: %d rows, want the report: %v", q, sort, len(queue.Rows), want)
			}
		}
	}
}

// TestParseQueueParamsSearchBounded: a search of more than MaxSearchWords
// words or MaxSearchBytes bytes is a field error of q saying the limit;
// one at the limits is accepted.
func TestParseQueueParamsSearchBounded(t *testing.T) {
	ctx := context.Background()
	f := newTriageFixture(t)
	words := strings.TrimSpace(strings.Repeat("xss ", db.MaxSearchWords))
	if qf, err := f.DB.ParseQueueParams(ctx, db.QueueParams{Search: words}, 1); err != nil || qf.Search != words {
		t.Fatalf("%d words: %v %q", db.MaxSearchWords, err, qf.Search)
	}
	for q, want := range map[string]string{
		words + " xss":                           fmt.Sprintf("at most %d words", db.MaxSearchWords),
		strings.Repeat("x", db.MaxSearchBytes+1): fmt.Sprintf("at most %d characters", db.MaxSearchBytes),
	} {
		_, err := f.DB.ParseQueueParams(ctx, db.QueueParams{Search: q}, 1)
		if msg := fieldError(err, "q"); !strings.Contains(msg, want) || db.ErrorCode(err) != db.EINVALID {
			t.Fatalf("search of %d bytes: %v (q: %q), want a field error with %q", len(q), err, msg, want)
		}
	}
}

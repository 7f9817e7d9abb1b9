package views

import (
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// heapAllocated is the bytes the process has allocated on the heap so far.
func heapAllocated() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// markdownBombs are the worst n bytes (maxMarkdownSource, the most that is
// rendered as markdown) a writer of markdown found: runs of delimiters,
// deep nesting, and a table whose rows are padded to a wide header.
func markdownBombs(n int) map[string]string {
	return map[string]string{
		"table":        "|" + strings.Repeat("a|", n/4) + "\n|" + strings.Repeat("-|", n/4) + "\n" + strings.Repeat("|\n", n/4),
		"tables":       strings.Repeat("|"+strings.Repeat("a|", 100)+"\n|"+strings.Repeat("-|", 100)+"\n"+strings.Repeat("|\n", 100)+"\n", n/800),
		"brackets":     strings.Repeat("[", n),
		"link openers": strings.Repeat("[a](", n/4),
		"images":       strings.Repeat("![", n/2),
		"stars":        strings.Repeat("*a", n/2),
		"underscores":  strings.Repeat("_", n),
		"emphasis":     strings.Repeat("*a **a ", n/7),
		"blockquotes":  strings.Repeat(">", n),
		"quote lines":  strings.Repeat("> ", n/2),
		"lists":        strings.Repeat("1. ", n/3),
		"bullets":      strings.Repeat("- ", n/2),
		"link refs":    strings.Repeat("[a]: /u\n", n/8) + strings.Repeat("[a] ", n/8),
		"backticks":    strings.Repeat("`", n/2) + strings.Repeat("a`", n/4),
		"html":         strings.Repeat("<a ", n/3),
	}
}

// What one render of the longest markdown rendered (maxMarkdownSource) may
// allocate and take. Measured (shared 2-core machine, load 8-10): the
// worst 16 KiB (deep blockquotes, "> " lines, nested lists, runs of
// "[a](") take 0.2-0.25 s; the bound leaves room for a busier machine.
// Before (review6 F12) 64 KiB were rendered and took 3-4 s each; before
// maxTableCells the table asked for 268 million cells and was killed past
// 11 minutes.
const (
	markdownAllocs = 96 << 20
	markdownTime   = time.Second
)

// TestMarkdownCost renders each bomb once and measures what it allocated.
func TestMarkdownCost(t *testing.T) {
	if testing.Short() {
		t.Skip("renders pathological markdown")
	}
	// Under the race detector, which slows goldmark tenfold, the time is
	// not checked (the allocations are).
	n, bound := maxMarkdownSource, uint64(markdownAllocs)
	for name, src := range markdownBombs(n) {
		runtime.GC()
		before := heapAllocated()
		start := time.Now()
		out := RenderMarkdown(src)
		took := time.Since(start)
		allocs := heapAllocated() - before
		t.Logf("%-12s %6d bytes in, %8d out: %5d KiB allocated, %v", name, len(src), len(out), allocs>>10, took.Round(time.Millisecond))
		if allocs > bound {
			t.Errorf("%s: one render allocated %d MiB, want at most %d MiB", name, allocs>>20, bound>>20)
		}
		if took > markdownTime && !raceEnabled {
			t.Errorf("%s: one render took %v, want at most %v", name, took, markdownTime)
		}
	}
}

// TestMarkdownLongSource: a text past maxMarkdownSource (a program policy
// may hold 200 KB) is shown as escaped text, quickly; before, the worst
// 200 KB took 70 s to render.
func TestMarkdownLongSource(t *testing.T) {
	src := strings.Repeat("[a](", 50_000) + "<script>alert(1)</script>"
	start := time.Now()
	out := RenderMarkdown(src)
	if took := time.Since(start); took > time.Second && !raceEnabled {
		t.Errorf("a policy of %d bytes took %v to render, want at most 1s", len(src), took)
	}
	if !strings.HasPrefix(out, "<pre>[a](") || strings.Contains(out, "<script>") {
		t.Fatalf("a long text is not shown as escaped text: %.100s", out)
	}
}

// TestMarkdownTableBudget: tables within the budget are tables, the one
// past it stays text.
func TestMarkdownTableBudget(t *testing.T) {
	small := "| a | b |\n|---|---|\n| 1 | 2 |\n"
	if out := RenderMarkdown(small); !strings.Contains(out, "<td>1</td>") {
		t.Fatalf("a small table is not a table: %s", out)
	}
	wide := "|" + strings.Repeat("a|", 1000) + "\n|" + strings.Repeat("-|", 1000) + "\n" + strings.Repeat("|\n", 100)
	if out := RenderMarkdown(wide); strings.Contains(out, "<table>") {
		t.Fatalf("a table of 100 000 cells was made: %.200s", out)
	}
	if out := RenderMarkdown(small + "\n" + wide + "\n" + small); strings.Count(out, "<table>") != 2 {
		t.Fatalf("the tables within the budget beside the one past it are not tables: %.300s", out)
	}
}

// TestMarkdownCacheBounded: rendering ever new sources keeps the cache
// within its bytes.
func TestMarkdownCacheBounded(t *testing.T) {
	c := renderCache{max: 1 << 20}
	src := strings.Repeat("x", 10<<10)
	for i := range 1000 {
		c.put(src+strconv.Itoa(i), src)
	}
	if c.size > c.max || len(c.items) > c.max/(20<<10) {
		t.Fatalf("the cache holds %d bytes in %d items, want at most %d bytes", c.size, len(c.items), c.max)
	}
	if _, ok := c.get(src + "999"); !ok {
		t.Fatal("the last render is not cached")
	}
}

// TestMarkdownRenderedOnce: concurrent first views of one costly source
// share one render: together they allocate about what one render does.
// Before (review6 F12) each view rendered it (4 views, 4 renders of
// seconds each).
func TestMarkdownRenderedOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("renders pathological markdown")
	}
	n := maxMarkdownSource
	if raceEnabled {
		n /= 4
	}
	one := strings.Repeat(">", n-1) + "a"
	runtime.GC()
	before := heapAllocated()
	RenderMarkdown(one)
	single := heapAllocated() - before

	src := strings.Repeat(">", n-1) + "b"
	const views = 4
	var start, done sync.WaitGroup
	start.Add(1)
	for range views {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			RenderMarkdown(src)
		}()
	}
	runtime.GC()
	before = heapAllocated()
	start.Done()
	done.Wait()
	together := heapAllocated() - before
	t.Logf("one render allocated %d KiB, %d concurrent first views %d KiB", single>>10, views, together>>10)
	if together > 2*single {
		t.Errorf("%d concurrent first views allocated %d KiB, one render %d KiB: each view rendered the source", views, together>>10, single>>10)
	}
}

// TestMarkdownCacheKeepsRecent: a stream of new sources (a tenant saving
// its policy again and again) pushes out the least recently used renders
// only; a policy that is being viewed stays cached. Before (review6 F12)
// the cache was emptied whole when full.
func TestMarkdownCacheKeepsRecent(t *testing.T) {
	c := renderCache{max: 1 << 20}
	page := strings.Repeat("y", 10<<10)
	c.put("viewed policy", page)
	bomb := strings.Repeat("x", 100<<10)
	for i := range 50 {
		c.put(bomb+strconv.Itoa(i), "<p>"+bomb+"</p>")
		if _, ok := c.get("viewed policy"); !ok {
			t.Fatalf("after %d new sources the policy being viewed is no longer cached", i+1)
		}
		if i > 0 {
			if _, ok := c.get(bomb + strconv.Itoa(i-1)); !ok {
				t.Fatalf("after %d new sources the one before the last is no longer cached", i+1)
			}
		}
	}
	if c.size > c.max {
		t.Fatalf("the cache holds %d bytes, want at most %d", c.size, c.max)
	}
}

package db

import (
	"log/slog"
	"sort"
	"sync"
	"time"
)

// Problem is a condition of the environment an admin must act on: a full
// disk, a mail server refusing the password, an expired certificate.
type Problem struct {
	Key     string // stable name: "storage", "imap", "smtp", "tls", "retention", ...
	Message string // one line an operator can act on; never secrets or report text
	Since   time.Time
	Count   int // how often it was reported since it began
}

// Problems is the shared registry of current problems. Workers Set a problem
// each time they hit it and Clear it once things work again; the dashboard
// shows List as banners. A problem is logged once when it begins (and when
// its message changes) and once when it clears, so a worker retrying every
// few seconds gives one clear line, not a flood. A nil *Problems does nothing,
// so workers can take one optionally. Safe for concurrent use.
type Problems struct {
	log *slog.Logger
	now func() time.Time

	mu sync.Mutex
	m  map[string]*Problem
}

// NewProblems makes an empty registry logging to log.
func NewProblems(log *slog.Logger) *Problems {
	return &Problems{log: log, now: time.Now, m: map[string]*Problem{}}
}

// Set records that problem key is happening now.
func (p *Problems) Set(key, message string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	cur, ok := p.m[key]
	if ok && cur.Message == message {
		cur.Count++
		return
	}
	if !ok {
		cur = &Problem{Key: key, Since: p.now()}
		p.m[key] = cur
	}
	cur.Message, cur.Count = message, cur.Count+1
	p.log.Error("problem: "+message, "problem", key)
}

// Clear records that problem key is over; clearing an absent one is a no-op.
func (p *Problems) Clear(key string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if cur, ok := p.m[key]; ok {
		delete(p.m, key)
		p.log.Info("problem resolved", "problem", key, "since", cur.Since.UTC().Format(time.RFC3339), "count", cur.Count)
	}
}

// List returns the current problems ordered by key.
func (p *Problems) List() []Problem {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Problem, 0, len(p.m))
	for _, v := range p.m {
		out = append(out, *v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

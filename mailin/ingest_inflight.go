package mailin

import "sync"

// maxInflight bounds the memory of the messages parsed ahead of their
// commit. The reader parses while the database commits, up to a channel of
// messages ahead: each may hold up to a few MB in memory (its raw bytes
// under spool.DefaultMemory, its text, its small attachments), so a flood of such
// mails would multiply the bound of one mail by the depth of the pipeline.
const maxInflight = 8 << 20

// inflight counts the memory of the messages between parse and commit; the
// reader waits while the count is over maxInflight and some message is in
// flight (a single message always passes, so nothing can wait forever).
type inflight struct {
	mu   sync.Mutex
	cond *sync.Cond
	used int64
	n    int
}

func newInflight() *inflight {
	f := &inflight{}
	f.cond = sync.NewCond(&f.mu)
	return f
}

// acquire waits for room for n bytes and takes it.
func (f *inflight) acquire(n int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for f.n > 0 && f.used+n > maxInflight {
		f.cond.Wait()
	}
	f.used += n
	f.n++
}

// release gives back what acquire took.
func (f *inflight) release(n int64) {
	f.mu.Lock()
	f.used -= n
	f.n--
	f.mu.Unlock()
	f.cond.Broadcast()
}

// memoryOf estimates what a parsed message holds in memory: what of its raw
// bytes did not spill to the spool, its text and its attachments in memory.
func memoryOf(f *fetched) int64 {
	n := int64(0)
	if !f.sp.OnDisk() {
		n += f.sp.Size()
	}
	if m := f.mail; m != nil {
		n += int64(len(m.Body) + len(m.Subject))
		for _, a := range m.Files {
			n += int64(len(a.Data))
		}
		for _, s := range m.Omitted {
			n += int64(len(s))
		}
	}
	return n
}

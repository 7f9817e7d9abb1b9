package handlers

import (
	"strconv"
	"sync"
)

// bodyBudget shares the memory that large request bodies may hold at once
// (uploads are read into memory, see bodyLimit) between clients, so that no
// client can take it all:
//
//   - each holder (an anonymous client network, as the rate limits count
//     it, or a signed-in staff user) holds at most perHolder bytes, so eight
//     slow uploads from one client no longer refuse every other upload for
//     the whole read timeout;
//   - anonymous requests never take the staff reserve, so replies with
//     attachments go through while strangers from many addresses fill the
//     rest.
//
// A body is weighed by its announced length (or the largest allowed when it
// announces none) before it is read, so a refusal costs nothing.
type bodyBudget struct {
	total     int64
	reserve   int64 // of total, for staff only
	perHolder int64

	mu        sync.Mutex
	used      int64
	anonymous int64 // of used, held by anonymous requests
	holders   map[string]int64
}

// newBodyBudget splits total: a quarter kept for staff (as long as one body
// of maxBody still fits the anonymous rest), and an eighth per holder (at
// least one body of maxBody).
func newBodyBudget(total, maxBody int64) *bodyBudget {
	return &bodyBudget{total: total, reserve: max(min(total/4, total-maxBody), 0), perHolder: max(total/8, maxBody),
		holders: map[string]int64{}}
}

// bodyHolder names who holds a share: a staff user by id, anyone else by
// client network.
func bodyHolder(network string, staffID int64) string {
	if staffID != 0 {
		return "user:" + strconv.FormatInt(staffID, 10)
	}
	return "net:" + network
}

// acquire takes n bytes for holder, or reports that it may not now.
func (b *bodyBudget) acquire(holder string, staff bool, n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.used+n > b.total, b.holders[holder]+n > b.perHolder:
		return false
	case !staff && b.anonymous+n > b.total-b.reserve:
		return false
	}
	b.used += n
	b.holders[holder] += n
	if !staff {
		b.anonymous += n
	}
	return true
}

func (b *bodyBudget) release(holder string, staff bool, n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.used -= n
	if !staff {
		b.anonymous -= n
	}
	if b.holders[holder] -= n; b.holders[holder] <= 0 {
		delete(b.holders, holder)
	}
}

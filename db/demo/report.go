package demo

import (
	"fmt"
	"time"

	"github.com/disclose/disclose/db"
)

// demoState picks a final state that fits a report's age: recent reports
// are mostly new, old ones mostly finished.
func (g *demoGen) demoState(age time.Duration) db.State {
	x := g.rng.IntN(100)
	pick := func(weights ...int) db.State {
		states := []db.State{db.StateNew, db.StateTriaged, db.StateNeedsInfo, db.StateResolved, db.StateDisclosed}
		for i, w := range weights {
			if x < w {
				return states[i]
			}
			x -= w
		}
		return closedStates[g.rng.IntN(len(closedStates))]
	}
	switch {
	case age < 3*24*time.Hour:
		return pick(60, 25, 10, 0, 0)
	case age < 60*24*time.Hour:
		return pick(10, 35, 10, 20, 0)
	}
	return pick(2, 8, 3, 25, 30)
}

// report writes one demo report with its timeline; it returns its reference
// and whether it got a long timeline.
func (g *demoGen) report(b *genBatch, i int) (string, bool) {
	rng := g.rng
	p := g.programs[rng.IntN(len(g.programs))]
	step := g.now.Sub(g.start) / time.Duration(g.total)
	created := g.start.Add(step * time.Duration(i)).Add(time.Duration(rng.Int64N(int64(max(step, 1)))))
	age := g.now.Sub(created)
	long := i%g.longEvery == g.longEvery/2
	state := g.demoState(age)
	if long {
		state = db.StateTriaged
	}
	k := demoKinds[rng.IntN(len(demoKinds))]
	title, asset, description, steps, impact := demoReportText(rng, k)
	source := db.SourceWeb
	if rng.IntN(4) == 0 {
		source = db.SourceEmail
	}
	var reporterID any
	var reporterEmail string
	if rng.IntN(10) < 8 {
		name := demoNames[rng.IntN(len(demoNames))]
		credit := []db.Credit{db.CreditName, db.CreditHandle, db.CreditAnonymous}[rng.IntN(3)]
		reporterEmail = fmt.Sprintf("%s%d@researcher.example", name, rng.IntN(1000))
		reporterID = b.reporter(fmt.Sprintf("%s%d", name, rng.IntN(1000)), reporterEmail, string(credit), db.FormatTime(created))
	}

	// Milestones in order, none after now.
	var firstResp, triaged, resolved, closed, paused, disclosure time.Time
	prev := db.State("")
	respondBy := created.Add(time.Hour + time.Duration(rng.Int64N(int64(120*time.Hour))))
	triageBy := created.Add(24*time.Hour + time.Duration(rng.Int64N(int64(12*24*time.Hour))))
	clamp := func(t time.Time) time.Time {
		if t.After(g.now) {
			return g.between(created, g.now)
		}
		return t
	}
	switch {
	case state == db.StateNew:
		if rng.IntN(3) == 0 {
			firstResp = clamp(respondBy)
		}
	case state.Closed():
		firstResp = clamp(respondBy)
		closed = clamp(firstResp.Add(time.Duration(rng.Int64N(int64(20 * 24 * time.Hour)))))
		if closed.Before(firstResp) {
			closed = firstResp
		}
	default:
		firstResp = clamp(respondBy)
		if state != db.StateNeedsInfo || rng.IntN(2) == 0 {
			triaged = clamp(triageBy)
			if triaged.Before(firstResp) {
				triaged = firstResp
			}
		}
		if state == db.StateResolved || state == db.StateDisclosed {
			resolved = clamp(triaged.Add(time.Duration(rng.Int64N(int64(100 * 24 * time.Hour)))))
		}
		if state == db.StateDisclosed {
			disclosure = clamp(resolved.Add(30 * 24 * time.Hour))
		}
		if state == db.StateNeedsInfo {
			prev = db.StateNew
			last := firstResp
			if !triaged.IsZero() {
				prev, last = db.StateTriaged, triaged
			}
			paused = g.between(last, g.now)
		}
	}

	// Severity: most reports carry a vector, from the reporter or triage.
	var vector, severity, cve, closeReason, credit string
	var score any
	if rng.IntN(10) < 7 && state != db.StateSpam {
		c := g.cvssOf(k.vector)
		vector, score, severity = c.Vector, c.Score, string(c.Severity)
	}
	if state == db.StateDisclosed {
		cve = fmt.Sprintf("CVE-%d-%d", disclosure.Year(), 10000+rng.IntN(90000))
		credit = "Thanks to the reporter"
	}
	var assignee, dupOf any
	if state != db.StateNew && len(p.triagers) > 0 && rng.IntN(10) < 8 {
		assignee = p.triagers[rng.IntN(len(p.triagers))]
	}
	if state.Closed() {
		closeReason = map[db.State]string{db.StateDuplicate: "This was reported before.", db.StateInformative: "Useful, but not a vulnerability we will fix.",
			db.StateNotApplicable: "The behaviour is intended.", db.StateOutOfScope: "This asset is not in the program's scope.",
			db.StateSpam: "Not a security report.", db.StateWontFix: "We accept this risk."}[state]
		if state == db.StateDuplicate && len(p.recent) > 0 {
			dupOf = p.recent[rng.IntN(len(p.recent))]
		} else if state == db.StateDuplicate {
			state, closeReason = db.StateInformative, "Useful, but not a vulnerability we will fix."
		}
	}

	// The timeline, in time order.
	msgs := []demoMsg{{at: created, kind: db.KindInbound, public: true, event: "submitted", attachment: rng.IntN(30) == 0}}
	author := func() int64 {
		if a, ok := assignee.(int64); ok {
			return a
		} else if len(p.triagers) > 0 {
			return p.triagers[rng.IntN(len(p.triagers))]
		}
		return 0
	}
	stateEv := func(at time.Time, from, to db.State, reason string) {
		msgs = append(msgs, demoMsg{at: at, kind: db.KindEvent, public: true, author: author(), event: "state", from: from, to: to, body: reason})
	}
	if !firstResp.IsZero() {
		msgs = append(msgs, demoMsg{at: firstResp, kind: db.KindReply, public: true, author: author(), body: demoReplies[rng.IntN(len(demoReplies))]})
	}
	if assignee != nil {
		msgs = append(msgs, demoMsg{at: g.between(created, clamp(firstResp.Add(time.Hour))), kind: db.KindEvent, author: author(), event: "assign", body: "Assigned."})
	}
	if rng.IntN(2) == 0 && !firstResp.IsZero() {
		msgs = append(msgs, demoMsg{at: g.between(firstResp, g.now), kind: db.KindNote, author: author(), body: demoNotes[rng.IntN(len(demoNotes))]})
	}
	if !triaged.IsZero() {
		stateEv(triaged, db.StateNew, db.StateTriaged, "")
	}
	if !resolved.IsZero() {
		stateEv(resolved, db.StateTriaged, db.StateResolved, "")
	}
	if !disclosure.IsZero() {
		stateEv(disclosure, db.StateResolved, db.StateDisclosed, "")
	}
	if !closed.IsZero() {
		stateEv(closed, db.StateNew, state, closeReason)
	}
	if !paused.IsZero() {
		stateEv(paused, prev, db.StateNeedsInfo, "Could you send the exact request?")
	}
	if long {
		for j := len(msgs); j < 200; j++ {
			m := demoMsg{at: g.between(created, g.now), public: true, author: author()}
			switch j % 4 {
			case 0:
				m.kind, m.author, m.body = db.KindInbound, 0, demoInbound[rng.IntN(len(demoInbound))]
			case 1:
				m.kind, m.body = db.KindReply, demoReplies[rng.IntN(len(demoReplies))]
			case 2:
				m.kind, m.public, m.body = db.KindNote, false, demoNotes[rng.IntN(len(demoNotes))]
			default:
				m.kind, m.public, m.event, m.body = db.KindEvent, false, "edit:asset", "Asset: "+asset
			}
			msgs = append(msgs, m)
		}
	}
	sortDemoMsgs(msgs)
	updated := msgs[len(msgs)-1].at

	id := b.report(p.id, p.next, reporterID, string(source), string(state), string(prev), title, asset, k.cwe,
		description, steps, impact, vector, score, severity, cve, assignee, dupOf, closeReason, nullTime(disclosure), tzIf(disclosure),
		credit, 1+len(msgs)-1, db.FormatTime(created), db.FormatTime(updated), nullTime(firstResp), nullTime(triaged), nullTime(resolved),
		nullTime(closed), nullTime(paused))
	ref := fmt.Sprintf("%s-%d", p.prefix, p.next)
	p.next++
	if p.recent = append(p.recent, id); len(p.recent) > 200 {
		p.recent = p.recent[1:]
	}
	w := rowWriter{g: g, b: b, reportID: id, ref: ref, to: reporterEmail, triagers: p.triagers, title: title, created: created}
	for j, m := range msgs {
		var authorID, msgID any
		if m.author != 0 && m.kind != db.KindInbound {
			authorID = m.author
		}
		if j == 0 && source == db.SourceEmail {
			msgID = fmt.Sprintf("<demo-%d@researcher.example>", id)
		}
		entryID := b.message(id, string(m.kind), m.public, authorID, string(source), m.body, m.event, string(m.from), string(m.to), msgID, db.FormatTime(m.at))
		w.around(j, m, entryID, msgID, source)
		if m.attachment {
			data := []byte("GET " + "/" + asset + " HTTP/1.1\r\nHost: " + asset + "\r\n\r\n")
			b.attachments = append(b.attachments, attachment{entry: entryID, at: m.at, data: data})
		}
	}
	return ref, long
}

func tzIf(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return "UTC"
}

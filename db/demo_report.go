package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// demoState picks a final state that fits a report's age: recent reports
// are mostly new, old ones mostly finished.
func (g *demoGen) demoState(age time.Duration) State {
	x := g.rng.IntN(100)
	pick := func(weights ...int) State {
		states := []State{StateNew, StateTriaged, StateNeedsInfo, StateResolved, StateDisclosed}
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
func (g *demoGen) report(ctx context.Context, tx *Tx, insReporter, insReport, insMsg *sql.Stmt, i int) (string, bool, error) {
	rng := g.rng
	p := g.programs[rng.IntN(len(g.programs))]
	step := g.now.Sub(g.start) / time.Duration(g.total)
	created := g.start.Add(step * time.Duration(i)).Add(time.Duration(rng.Int64N(int64(max(step, 1)))))
	age := g.now.Sub(created)
	long := i%g.longEvery == g.longEvery/2
	state := g.demoState(age)
	if long {
		state = StateTriaged
	}
	k := demoKinds[rng.IntN(len(demoKinds))]
	title, asset, description, steps, impact := demoReportText(rng, k)
	source := SourceWeb
	if rng.IntN(4) == 0 {
		source = SourceEmail
	}
	var reporterID any
	if rng.IntN(10) < 8 {
		name := demoNames[rng.IntN(len(demoNames))]
		credit := []Credit{CreditName, CreditHandle, CreditAnonymous}[rng.IntN(3)]
		res, err := insReporter.ExecContext(ctx, fmt.Sprintf("%s%d", name, rng.IntN(1000)), fmt.Sprintf("%s%d@researcher.example", name, rng.IntN(1000)), string(credit), formatTime(created))
		if err != nil {
			return "", false, fmt.Errorf("db: demo reporter: %w", err)
		}
		id, _ := res.LastInsertId()
		reporterID = id
	}

	// Milestones in order, none after now.
	var firstResp, triaged, resolved, closed, paused, disclosure time.Time
	prev := State("")
	respondBy := created.Add(time.Hour + time.Duration(rng.Int64N(int64(120*time.Hour))))
	triageBy := created.Add(24*time.Hour + time.Duration(rng.Int64N(int64(12*24*time.Hour))))
	clamp := func(t time.Time) time.Time {
		if t.After(g.now) {
			return g.between(created, g.now)
		}
		return t
	}
	switch {
	case state == StateNew:
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
		if state != StateNeedsInfo || rng.IntN(2) == 0 {
			triaged = clamp(triageBy)
			if triaged.Before(firstResp) {
				triaged = firstResp
			}
		}
		if state == StateResolved || state == StateDisclosed {
			resolved = clamp(triaged.Add(time.Duration(rng.Int64N(int64(100 * 24 * time.Hour)))))
		}
		if state == StateDisclosed {
			disclosure = clamp(resolved.Add(30 * 24 * time.Hour))
		}
		if state == StateNeedsInfo {
			prev = StateNew
			last := firstResp
			if !triaged.IsZero() {
				prev, last = StateTriaged, triaged
			}
			paused = g.between(last, g.now)
		}
	}

	// Severity: most reports carry a vector, from the reporter or triage.
	var vector, severity, cve, closeReason, credit string
	var score any
	if rng.IntN(10) < 7 && state != StateSpam {
		c := g.cvssOf(k.vector)
		vector, score, severity = c.Vector, c.Score, string(c.Severity)
	}
	if state == StateDisclosed {
		cve = fmt.Sprintf("CVE-%d-%d", disclosure.Year(), 10000+rng.IntN(90000))
		credit = "Thanks to the reporter"
	}
	var assignee, dupOf any
	if state != StateNew && len(p.triagers) > 0 && rng.IntN(10) < 8 {
		assignee = p.triagers[rng.IntN(len(p.triagers))]
	}
	if state.Closed() {
		closeReason = map[State]string{StateDuplicate: "This was reported before.", StateInformative: "Useful, but not a vulnerability we will fix.",
			StateNotApplicable: "The behaviour is intended.", StateOutOfScope: "This asset is not in the program's scope.",
			StateSpam: "Not a security report.", StateWontFix: "We accept this risk."}[state]
		if state == StateDuplicate && len(p.recent) > 0 {
			dupOf = p.recent[rng.IntN(len(p.recent))]
		} else if state == StateDuplicate {
			state, closeReason = StateInformative, "Useful, but not a vulnerability we will fix."
		}
	}

	// The timeline, in time order.
	msgs := []demoMsg{{at: created, kind: KindInbound, public: true, event: "submitted", attachment: rng.IntN(30) == 0}}
	author := func() int64 {
		if a, ok := assignee.(int64); ok {
			return a
		} else if len(p.triagers) > 0 {
			return p.triagers[rng.IntN(len(p.triagers))]
		}
		return 0
	}
	stateEv := func(at time.Time, from, to State, reason string) {
		msgs = append(msgs, demoMsg{at: at, kind: KindEvent, public: true, author: author(), event: "state", from: from, to: to, body: reason})
	}
	if !firstResp.IsZero() {
		msgs = append(msgs, demoMsg{at: firstResp, kind: KindReply, public: true, author: author(), body: demoReplies[rng.IntN(len(demoReplies))]})
	}
	if assignee != nil {
		msgs = append(msgs, demoMsg{at: g.between(created, clamp(firstResp.Add(time.Hour))), kind: KindEvent, author: author(), event: "assign", body: "Assigned."})
	}
	if rng.IntN(2) == 0 && !firstResp.IsZero() {
		msgs = append(msgs, demoMsg{at: g.between(firstResp, g.now), kind: KindNote, author: author(), body: demoNotes[rng.IntN(len(demoNotes))]})
	}
	if !triaged.IsZero() {
		stateEv(triaged, StateNew, StateTriaged, "")
	}
	if !resolved.IsZero() {
		stateEv(resolved, StateTriaged, StateResolved, "")
	}
	if !disclosure.IsZero() {
		stateEv(disclosure, StateResolved, StateDisclosed, "")
	}
	if !closed.IsZero() {
		stateEv(closed, StateNew, state, closeReason)
	}
	if !paused.IsZero() {
		stateEv(paused, prev, StateNeedsInfo, "Could you send the exact request?")
	}
	if long {
		for j := len(msgs); j < 200; j++ {
			m := demoMsg{at: g.between(created, g.now), public: true, author: author()}
			switch j % 4 {
			case 0:
				m.kind, m.author, m.body = KindInbound, 0, demoInbound[rng.IntN(len(demoInbound))]
			case 1:
				m.kind, m.body = KindReply, demoReplies[rng.IntN(len(demoReplies))]
			case 2:
				m.kind, m.public, m.body = KindNote, false, demoNotes[rng.IntN(len(demoNotes))]
			default:
				m.kind, m.public, m.event, m.body = KindEvent, false, "edit:asset", "Asset: "+asset
			}
			msgs = append(msgs, m)
		}
	}
	sortDemoMsgs(msgs)
	updated := msgs[len(msgs)-1].at

	id, err := g.insertReport(ctx, insReport, p.id, p.next, reporterID, string(source), string(state), string(prev), title, asset, k.cwe,
		description, steps, impact, vector, score, severity, cve, assignee, dupOf, closeReason, nullTime(disclosure), tzIf(disclosure),
		credit, 1+len(msgs)-1, formatTime(created), formatTime(updated), nullTime(firstResp), nullTime(triaged), nullTime(resolved),
		nullTime(closed), nullTime(paused))
	if err != nil {
		return "", false, err
	}
	ref := fmt.Sprintf("%s-%d", p.prefix, p.next)
	p.next++
	if p.recent = append(p.recent, id); len(p.recent) > 200 {
		p.recent = p.recent[1:]
	}
	for _, m := range msgs {
		var authorID any
		if m.author != 0 && m.kind != KindInbound {
			authorID = m.author
		}
		res, err := insMsg.ExecContext(ctx, id, string(m.kind), m.public, authorID, string(source), m.body, m.event, string(m.from), string(m.to), formatTime(m.at))
		if err != nil {
			return "", false, fmt.Errorf("db: demo message: %w", err)
		}
		if m.attachment {
			msgID, _ := res.LastInsertId()
			data := []byte("GET " + "/" + asset + " HTTP/1.1\r\nHost: " + asset + "\r\n\r\n")
			if err := tx.addAttachment(ctx, msgID, &NewAttachment{Filename: "request.http", ContentType: "text/plain", Data: data}, formatTime(m.at), false, nil); err != nil {
				return "", false, err
			}
		}
	}
	return ref, long, nil
}

func tzIf(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return "UTC"
}

package demo

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/disclose/disclose/db"
)

// rowWriter writes what the portal writes around each timeline entry of a
// demo report: its audit rows, the mail it sent (to the reporter and to
// staff, sent or still waiting) and, for a report that came by mail, the
// raw message.
type rowWriter struct {
	g        *demoGen
	b        *genBatch
	reportID int64
	ref      string
	to       string // the reporter's address; "" for anonymous reports
	triagers []int64
	title    string
	created  time.Time
}

func staffActor(id int64) db.Actor {
	return db.Actor{UserID: id, Name: fmt.Sprintf("user-%d@demo.invalid", id), ClientAddr: "192.0.2.10"}
}

// around writes the rows of entry j.
func (w *rowWriter) around(j int, m demoMsg, entryID int64, msgID any, source db.Source) {
	switch {
	case j == 0:
		w.b.audit(db.ActorReporter, "report.submit", w.ref, "source="+string(source))
		if source == db.SourceEmail {
			w.rawMail(entryID, msgID.(string), m.at)
		}
		w.mail(j, "ack", w.to, 0, "Your report "+w.ref+" was received", m.at)
		// A triager of the program is told of a new report.
		if len(w.triagers) > 0 {
			u := w.triagers[w.g.rng.IntN(len(w.triagers))]
			w.mail(j, "notify", fmt.Sprintf("user-%d@demo.invalid", u), u, "New report "+w.ref+": "+w.title, m.at)
		}
	case m.kind == db.KindReply && j < 8:
		// The first replies of a long timeline only: 200 mails to one
		// reporter add rows, not realism.
		w.mail(j, "reply", w.to, 0, "Re: ["+w.ref+"] "+w.title, m.at)
	case m.kind == db.KindEvent && m.event == "state":
		w.b.audit(staffActor(m.author), "report.state", w.ref, string(m.from)+" -> "+string(m.to))
	}
}

// mail queues one outgoing message; mail older than an hour was sent.
func (w *rowWriter) mail(j int, kind, to string, userID int64, subject string, at time.Time) {
	if to == "" {
		return
	}
	status, sent := "pending", any(nil)
	if w.g.now.Sub(at) > time.Hour {
		status, sent = "sent", db.FormatTime(at.Add(2*time.Second))
	}
	var user any
	if userID != 0 {
		user = userID
	}
	t := db.FormatTime(at)
	attempts := 0
	if sent != nil {
		attempts = 1
	}
	w.b.outbox.add(w.reportID, user, kind, "<demo-"+strconv.FormatInt(w.reportID, 10)+"-"+strconv.Itoa(j)+"-"+kind+"@portal.example>", to, subject,
		"This is demo mail about "+w.ref+".", kind == "ack", status, attempts, t, t, t, sent)
}

// rawMail keeps the message a mailed report came in.
func (w *rowWriter) rawMail(entryID int64, msgID string, at time.Time) {
	from := w.to
	if from == "" {
		from = "anonymous@researcher.example"
	}
	raw := []byte("From: " + from + "\r\nTo: security@example.org\r\nSubject: " + w.title + "\r\nMessage-ID: " + msgID +
		"\r\nDate: " + at.Format(time.RFC1123Z) + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease see the report " + w.ref + ".\r\n")
	sum := sha256.Sum256(raw)
	w.b.rawMail(raw, "demo:"+msgID, hex.EncodeToString(sum[:]), len(raw), msgID, from, w.title, w.reportID, entryID,
		w.reportID, db.FormatTime(at))
}

package mailin

import (
	"fmt"
	"strings"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views/wording"
)

// The texts reporters read. They name the reference, say how to answer and
// link the status page; they never carry the receipt code. Nothing a
// reporter typed (name, title, text) is in them: the address they go to is
// whatever the report's sender typed, and a stranger's words must not reach
// a victim in a mail the team key signs. Staff's own words (replies,
// reasons) are what these mails are for.

const greeting = "Hello,\n\n"

// howToReply tells the reporter the two ways to answer.
func (n *Notifier) howToReply(r *db.Report) string {
	var b strings.Builder
	if n.ReplyAddress != "" {
		fmt.Fprintf(&b, "To answer, reply to this email and keep [%s] in the subject.\n", r.Ref())
	}
	fmt.Fprintf(&b, "You can follow the report and answer on the status page:\n%s\n", n.absURL("/status"))
	b.WriteString("Sign in there with the receipt code you were shown when you sent the report. We never send that code by email.\n")
	return b.String()
}

func (n *Notifier) signature(r *db.Report) string {
	return fmt.Sprintf("\n-- \n%s\n%s · %s\n", n.team(), oneLine(r.ProgramName), r.Ref())
}

func (n *Notifier) ackBody(ev *db.Event) string {
	r := ev.Report
	var b strings.Builder
	b.WriteString(greeting)
	fmt.Fprintf(&b, "Thank you for your report. We received it and filed it as %s.\n\n", r.Ref())
	b.WriteString("The security team reviews every report. We will write to you at this address when it is triaged, when we need more information from you, and when it is resolved.\n\n")
	b.WriteString(n.howToReply(r))
	b.WriteString(n.signature(r))
	return b.String()
}

func (n *Notifier) replyBody(ev *db.Event) string {
	r := ev.Report
	var b strings.Builder
	b.WriteString(strings.TrimSpace(strings.ReplaceAll(ev.Body, "\r\n", "\n")))
	b.WriteString("\n")
	if len(ev.Attachments) > 0 {
		b.WriteString("\nAttached:\n")
		for _, a := range ev.Attachments {
			fmt.Fprintf(&b, "- %s (%s)\n", oneLine(a.Filename), wording.Bytes(a.Size))
		}
	}
	b.WriteString("\n")
	b.WriteString(n.howToReply(r))
	b.WriteString(n.signature(r))
	return b.String()
}

// stateBody is the text of a state change, and false for changes that do
// not concern the reporter (back to new, or a move the reporter's own
// answer caused).
func (n *Notifier) stateBody(ev *db.Event) (string, bool) {
	r := ev.Report
	if ev.Actor.UserID == 0 && ev.Actor.Name == db.ActorReporter.Name {
		return "", false
	}
	reason := strings.TrimSpace(ev.Reason)
	if reason == "" && ev.ToState.Closed() && r.CloseReason != db.SealedText {
		reason = strings.TrimSpace(r.CloseReason)
	}
	var b strings.Builder
	b.WriteString(greeting)
	switch to := ev.ToState; {
	case to == db.StateNeedsInfo:
		fmt.Fprintf(&b, "We need more information from you to continue with %s.\n", r.Ref())
		if reason != "" {
			fmt.Fprintf(&b, "\n%s\n", reason)
		}
		b.WriteString("\nThe report waits for your answer.\n")
	case to == db.StateTriaged:
		fmt.Fprintf(&b, "We reproduced %s and accepted it as valid. It is now with the people who will fix it.\n", r.Ref())
	case to == db.StateResolved:
		fmt.Fprintf(&b, "The vulnerability you reported as %s has been fixed.\n", r.Ref())
	case to == db.StateDisclosed:
		fmt.Fprintf(&b, "%s has been disclosed publicly. Thank you for helping us protect our users.\n", r.Ref())
	case to.Closed():
		fmt.Fprintf(&b, "We closed %s as %s.\n", r.Ref(), strings.ToLower(strings.TrimPrefix(wording.State(to), "Closed: ")))
		if reason != "" {
			fmt.Fprintf(&b, "\nReason: %s\n", reason)
		}
	default:
		return "", false
	}
	if ev.ToState == db.StateTriaged || ev.ToState == db.StateResolved || ev.ToState == db.StateNeedsInfo {
		if reason != "" && ev.ToState != db.StateNeedsInfo {
			fmt.Fprintf(&b, "\nNote from the team: %s\n", reason)
		}
	}
	b.WriteString("\n")
	b.WriteString(n.howToReply(r))
	b.WriteString(n.signature(r))
	return b.String(), true
}

func (n *Notifier) reminderBody(ev *db.Event) string {
	r := ev.Report
	var b strings.Builder
	b.WriteString(greeting)
	fmt.Fprintf(&b, "%s is still waiting for information from you. The team cannot continue until you answer; its deadlines are paused meanwhile.\n\n", r.Ref())
	b.WriteString(n.howToReply(r))
	b.WriteString(n.signature(r))
	return b.String()
}

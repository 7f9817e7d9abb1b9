package views

import (
	"fmt"
	"strings"
	"time"

	"github.com/disclose/disclose/db"
)

// Draft is the text of a notification for a person to review and send: the
// recipient, then each item the regime asks for with what the incident
// says about it. The portal never sends it to an authority itself.
func Draft(i *db.Incident, o *db.Obligation, reports []db.LinkedReport, loc *time.Location) string {
	var b strings.Builder
	fmt.Fprintf(&b, "To: %s\n", o.Recipient)
	fmt.Fprintf(&b, "Subject: %s: %s (%s)\n\n", o.Title, i.Title, i.Ref())
	fmt.Fprintf(&b, "Regime: %s (%s)\n", o.Regime, o.Source)
	if !i.AwareAt.IsZero() {
		fmt.Fprintf(&b, "Became aware: %s, from: %s\n", DueIn(i.AwareAt, loc), i.AwareSource)
	}
	fmt.Fprintf(&b, "Severity: %s. Status: %s.\n", i.Severity, i.Status)
	if len(reports) > 0 {
		refs := make([]string, len(reports))
		for k, r := range reports {
			refs[k] = r.Ref
		}
		fmt.Fprintf(&b, "Vulnerability reports: %s\n", strings.Join(refs, ", "))
	}
	for _, item := range strings.Split(strings.TrimSpace(o.Content), "\n") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		fmt.Fprintf(&b, "\n## %s\n%s\n", item, draftAnswer(i, item))
	}
	return b.String()
}

// draftAnswer fills an item of a regime's required content from the
// incident, by the words the item uses; what the incident does not say is
// left for the person to write.
func draftAnswer(i *db.Incident, item string) string {
	l := strings.ToLower(item)
	c := i.Checklist
	var parts []string
	add := func(label, v string) {
		if strings.TrimSpace(v) != "" {
			parts = append(parts, label+": "+strings.TrimSpace(v))
		}
	}
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(l, w) {
				return true
			}
		}
		return false
	}
	if has("nature", "type of", "description", "what happened", "general information") {
		add("Incident", i.Title)
		add("Scope", c.Scope)
	}
	if has("time", "timing") && !i.AwareAt.IsZero() {
		add("Became aware", i.AwareAt.UTC().Format(time.RFC3339))
	}
	if has("systems", "product", "network", "location", "affected") {
		add("Affected systems", c.Systems)
	}
	if has("categor", "number", "data", "extent") {
		add("Data categories", c.DataCategories)
		if i.PeopleKnown {
			parts = append(parts, fmt.Sprintf("People affected: about %d", i.PeopleAffected))
		}
	}
	if has("measure", "actions taken", "mitigat", "corrective", "remedial", "what has been done") {
		add("Containment", c.Containment)
		add("Remediation", c.Remediation)
	}
	if has("root cause", "reasons", "threat", "circumstances") {
		add("Root cause", c.RootCause)
	}
	if has("consequence", "impact", "severity") {
		parts = append(parts, "Severity: "+i.Severity)
	}
	if has("contact") && i.OwnerName != "" {
		parts = append(parts, "Contact: "+i.OwnerName)
	}
	if len(parts) == 0 {
		return "[to be written]"
	}
	return strings.Join(parts, "\n")
}

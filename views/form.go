package views

import (
	"fmt"
	"sort"

	"github.com/a-h/templ"
	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views/wording"
)

// fieldAttrs ties an input to its hint and error for screen readers.
func fieldAttrs(errs db.FieldErrors, name string, hint bool) templ.Attributes {
	hintID := ""
	if hint {
		hintID = "h-" + name
	}
	a := errAttrs(errs, name, hintID)
	a["id"], a["name"] = "f-"+name, name
	return a
}

func fieldClass(errs db.FieldErrors, name string) string {
	if errs[name] != "" {
		return "field invalid"
	}
	return "field"
}

// errorOrder is the order of the error summary: the order of the form.
var errorOrder = []string{"program", "title", "asset", "cwe", "description", "steps", "impact", "cvss", "attachments",
	"name", "email", "pgp_key", "credit", "body", "form"}

type fieldError struct{ Field, Message string }

func orderedErrors(errs db.FieldErrors) []fieldError {
	var out []fieldError
	seen := map[string]bool{}
	for _, k := range errorOrder {
		if m, ok := errs[k]; ok {
			out = append(out, fieldError{k, wording.Say(m)})
			seen[k] = true
		}
	}
	var rest []string
	for k := range errs {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest) // a stable order for forms errorOrder does not know
	for _, k := range rest {
		out = append(out, fieldError{k, wording.Say(errs[k])})
	}
	return out
}

func limitsText(l db.Limits, maxBody int64) string {
	return fmt.Sprintf("Up to %d %s, %s each, %s in all.", l.MaxFiles, plural(l.MaxFiles, "file", "files"),
		wording.Bytes(l.MaxFileBytes), wording.Bytes(maxBody))
}

func fileLimitsText(l db.Limits) string {
	return fmt.Sprintf("Up to %d %s, %s each.", l.MaxFiles, plural(l.MaxFiles, "file", "files"), wording.Bytes(l.MaxFileBytes))
}

func selected(cur, v string) bool { return cur == v }

func assetIsOther(f *ReportForm) bool {
	if f.V("asset") == "" || f.Program == nil {
		return false
	}
	for _, a := range f.Program.Assets() {
		if a == f.V("asset") {
			return false
		}
	}
	return true
}

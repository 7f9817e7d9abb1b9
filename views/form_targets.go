package views

import (
	"strings"

	"github.com/a-h/templ"

	"github.com/disclose/disclose/db"
)

// errorTarget is the id of the field an error-summary link jumps to. The
// reply and note forms share field names (body, attachments) on one page,
// so their controls carry the form's prefix; the other report forms use the
// field name as it is. The queue's page number is in the URL only, not a
// field.
func errorTarget(form, field string) string {
	switch {
	case field == "form", form == "queue" && field == "page":
		return ""
	case strings.HasPrefix(form, "-"): // forms repeated on a page suffix their ids
		return "f-" + field + form
	case (form == "reply" || form == "note") && field == "body":
		return "f-" + form + "-body"
	case (form == "reply" || form == "note") && field == "attachments":
		return "f-" + form + "-files"
	case field == "disclosure":
		return "f-disclosure_date"
	}
	return "f-" + field
}

// describedBy joins the ids of a control's hint and, when the field has an
// error, its message, for aria-describedby.
func describedBy(hintID string, hasErr bool, errID string) string {
	if hasErr {
		return hintID + " " + errID
	}
	return hintID
}

// ariaInvalid spells the state out: an empty aria-invalid means "false".
func ariaInvalid(invalid bool) string {
	if invalid {
		return "true"
	}
	return "false"
}

// errAttrs ties a report-page control to its hint (if any) and to its error
// message, and marks it invalid, so a screen reader announces the problem
// on the field itself.
func errAttrs(errs db.FieldErrors, name, hintID string) templ.Attributes {
	a := templ.Attributes{}
	desc := hintID
	if errs[name] != "" {
		a["aria-invalid"] = "true"
		if desc != "" {
			desc += " "
		}
		desc += "e-" + name
	}
	if desc != "" {
		a["aria-describedby"] = desc
	}
	return a
}

// codeErrs makes the one message of a code page (sign-in, or turning two-
// factor on) a field error, so the code input is marked invalid and
// described by it. The sign-in input takes no numeric inputmode: recovery
// codes have letters, and a phone's number pad would keep a user who lost
// their authenticator from typing one.
func codeErrs(msg string) db.FieldErrors {
	if msg == "" {
		return nil
	}
	return db.FieldErrors{"code": msg}
}

package views

// errorTarget is the id of the field an error-summary link jumps to. The
// reply and note forms share field names (body, attachments) on one page,
// so their controls carry the form's prefix; the other report forms use the
// field name as it is.
func errorTarget(form, field string) string {
	switch {
	case (form == "reply" || form == "note") && field == "body":
		return "f-" + form + "-body"
	case (form == "reply" || form == "note") && field == "attachments":
		return "f-" + form + "-files"
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

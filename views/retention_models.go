package views

import (
	"strconv"

	"github.com/disclose/disclose/db"
)

// AdminRetention is the retention page: a rule per program, what the next
// run would dispose of, and the reports on legal hold.
type AdminRetention struct {
	StaffPage
	Rules  []*db.RetentionRule
	Due    []db.Disposal
	Holds  []db.HeldReport
	Values map[string]string // what was typed, by field key
	Errors db.FieldErrors
	Notice string
}

// RetentionField is the key of one program's day field in Values and Errors.
func RetentionField(name string, programID int64) string {
	return name + "-" + strconv.FormatInt(programID, 10)
}

// value is what a day field shows: what was typed after a refused save,
// else the stored rule.
func (m AdminRetention) value(name string, r *db.RetentionRule) string {
	if v, ok := m.Values[RetentionField(name, r.ProgramID)]; ok {
		return v
	}
	switch name {
	case "attachments_days":
		return strconv.Itoa(r.AttachmentsDays)
	case "anonymise_days":
		return strconv.Itoa(r.AnonymiseDays)
	}
	return strconv.Itoa(r.SpamDeleteDays)
}

// dueCount counts due disposals by action.
func (m AdminRetention) dueCount(a db.DisposalAction) int {
	n := 0
	for _, d := range m.Due {
		if d.Action == a {
			n++
		}
	}
	return n
}

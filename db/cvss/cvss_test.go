package cvss_test

import (
	"errors"
	"testing"

	"github.com/disclose/disclose/db/cvss"
)

func TestParse(t *testing.T) {
	for name, c := range map[string]struct {
		vector   string
		score    float64
		severity cvss.Severity
		err      error
	}{
		"OK31":       {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, cvss.SeverityCritical, nil},
		"OK31Spaces": {"  CVSS:3.1/AV:N/AC:H/PR:L/UI:R/S:U/C:L/I:N/A:N \n", 2.6, cvss.SeverityLow, nil},
		"OK40":       {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.3, cvss.SeverityCritical, nil},
		"ErrPrefix":  {"AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 0, "", cvss.ErrPrefix},
		"ErrV30":     {"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 0, "", cvss.ErrPrefix},
		"ErrV31":     {"CVSS:3.1/AV:N/AC:L", 0, "", cvss.ErrV31},
		"ErrV40":     {"CVSS:4.0/AV:N", 0, "", cvss.ErrV40},
	} {
		t.Run(name, func(t *testing.T) {
			v, err := cvss.Parse(c.vector)
			if !errors.Is(err, c.err) {
				t.Fatalf("err = %v, want %v", err, c.err)
			}
			if err == nil && (v.Score != c.score || v.Severity != c.severity) {
				t.Fatalf("got %v %q, want %v %q", v.Score, v.Severity, c.score, c.severity)
			}
		})
	}
	if _, err := cvss.Parse31("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"); !errors.Is(err, cvss.ErrPrefix) {
		t.Fatalf("Parse31 of a v4.0 vector: err = %v, want ErrPrefix (the report form offers v3.1 only)", err)
	}
}

func TestSeverityOf(t *testing.T) {
	for score, want := range map[float64]cvss.Severity{0: cvss.SeverityNone, 0.1: cvss.SeverityLow, 3.9: cvss.SeverityLow,
		4.0: cvss.SeverityMedium, 6.9: cvss.SeverityMedium, 7.0: cvss.SeverityHigh, 8.9: cvss.SeverityHigh, 9.0: cvss.SeverityCritical, 10: cvss.SeverityCritical} {
		if got := cvss.SeverityOf(score); got != want {
			t.Errorf("SeverityOf(%v) = %q, want %q", score, got, want)
		}
	}
}

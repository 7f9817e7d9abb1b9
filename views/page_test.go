package views

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
)

// page is a rendered component parsed the way a browser parses it. The
// helpers read it the way a screen reader does: controls by their
// accessible name, errors by the ids a control is described by.
type page struct {
	t    *testing.T
	html string
	doc  *goquery.Document
}

// render renders c into a buffer, parses it, and checks what every page
// must get right: unique ids, references that resolve, each field error
// tied to an invalid control, and nothing a strict CSP blocks.
func render(t *testing.T, c templ.Component) *page {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		t.Fatalf("render: %v", err)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(buf.String()))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	p := &page{t: t, html: buf.String(), doc: doc}
	p.checkMarkup()
	return p
}

// text is what s reads as, with white space collapsed.
func text(s *goquery.Selection) string { return strings.Join(strings.Fields(s.Text()), " ") }

func (p *page) byID(id string) *goquery.Selection {
	if id == "" {
		return p.doc.Find("#never-an-id-here")
	}
	return p.doc.FindMatcher(goquery.Single("[id=\"" + id + "\"]"))
}

// testID is the one element with data-testid id; the test fails if there
// is not exactly one.
func (p *page) testID(id string) *goquery.Selection {
	p.t.Helper()
	s := p.doc.Find(`[data-testid="` + id + `"]`)
	if s.Length() != 1 {
		p.t.Fatalf("%d elements with data-testid=%q, want 1", s.Length(), id)
	}
	return s
}

// has says whether an element with data-testid id is on the page.
func (p *page) has(id string) bool { return p.doc.Find(`[data-testid="`+id+`"]`).Length() > 0 }

// idsText joins the texts of the elements a space-separated id list names.
func (p *page) idsText(ids string) string {
	var out []string
	for _, id := range strings.Fields(ids) {
		out = append(out, text(p.byID(id)))
	}
	return strings.Join(out, " ")
}

// name is the accessible name of a control, link, button or group, in the
// order the accessible-name computation uses: aria-labelledby, aria-label,
// a label (by for= or around it), a fieldset's legend, else its text.
func (p *page) name(s *goquery.Selection) string {
	if ids := s.AttrOr("aria-labelledby", ""); ids != "" {
		return p.idsText(ids)
	}
	if l := s.AttrOr("aria-label", ""); l != "" {
		return l
	}
	switch goquery.NodeName(s) {
	case "input", "select", "textarea":
		var parts []string
		if id := s.AttrOr("id", ""); id != "" {
			p.doc.Find(`label[for="` + id + `"]`).Each(func(_ int, l *goquery.Selection) { parts = append(parts, text(l)) })
		}
		if l := s.ParentsFiltered("label"); l.Length() > 0 {
			parts = append(parts, text(l.First()))
		}
		return strings.Join(parts, " ")
	case "fieldset":
		return text(s.ChildrenFiltered("legend"))
	}
	return text(s)
}

// controls are the form controls a user can reach (not hidden inputs).
func (p *page) controls() *goquery.Selection {
	return p.doc.Find("input, select, textarea").FilterFunction(func(_ int, s *goquery.Selection) bool {
		return s.AttrOr("type", "") != "hidden"
	})
}

// control is the one control whose accessible name is name.
func (p *page) control(name string) *goquery.Selection {
	p.t.Helper()
	return p.controlIn(p.doc.Selection, name)
}

// controlIn is the one control inside scope (a form, say) named name.
func (p *page) controlIn(scope *goquery.Selection, name string) *goquery.Selection {
	p.t.Helper()
	all := scope.Find("input, select, textarea").FilterFunction(func(_ int, s *goquery.Selection) bool {
		return s.AttrOr("type", "") != "hidden"
	})
	s := all.FilterFunction(func(_ int, s *goquery.Selection) bool { return p.name(s) == name })
	if s.Length() != 1 {
		var names []string
		all.Each(func(_ int, s *goquery.Selection) { names = append(names, p.name(s)) })
		p.t.Fatalf("%d controls named %q, want 1; there are %q", s.Length(), name, names)
	}
	return s
}

// named finds the one element of sel (like "button" or "a") named name.
func (p *page) named(sel, name string) *goquery.Selection {
	p.t.Helper()
	s := p.doc.Find(sel).FilterFunction(func(_ int, s *goquery.Selection) bool { return p.name(s) == name })
	if s.Length() != 1 {
		var names []string
		p.doc.Find(sel).Each(func(_ int, s *goquery.Selection) { names = append(names, p.name(s)) })
		p.t.Fatalf("%d %s named %q, want 1; the page has %q", s.Length(), sel, name, names)
	}
	return s
}

// countNamed counts the elements of sel named name.
func (p *page) countNamed(sel, name string) int {
	return p.doc.Find(sel).FilterFunction(func(_ int, s *goquery.Selection) bool { return p.name(s) == name }).Length()
}

// description is what a screen reader reads after a control's name.
func (p *page) description(s *goquery.Selection) string {
	return p.idsText(s.AttrOr("aria-describedby", ""))
}

// value is what a control shows: an input's value, a textarea's text, a
// select's chosen option, "checked" for a ticked box.
func value(s *goquery.Selection) string {
	switch goquery.NodeName(s) {
	case "textarea":
		return s.Text()
	case "select":
		opt := s.Find("option[selected]")
		if opt.Length() == 0 {
			opt = s.Find("option").First()
		}
		return opt.AttrOr("value", "")
	}
	switch s.AttrOr("type", "") {
	case "checkbox", "radio":
		if _, ok := s.Attr("checked"); ok {
			return "checked"
		}
		return ""
	}
	return s.AttrOr("value", "")
}

// options lists a select's option values, joined by "|".
func options(s *goquery.Selection) string {
	var out []string
	s.Find("option").Each(func(_ int, o *goquery.Selection) { out = append(out, o.AttrOr("value", "")) })
	return strings.Join(out, "|")
}

// headings lists the headings as "h2 Timeline", in page order.
func (p *page) headings() []string {
	var out []string
	p.doc.Find("h1, h2, h3, h4").Each(func(_ int, s *goquery.Selection) {
		out = append(out, goquery.NodeName(s)+" "+text(s))
	})
	return out
}

// summaryLinks maps the text of each link in the error summaries to the
// ids it jumps to (two fields may be refused with the same words).
func (p *page) summaryLinks() map[string][]string {
	out := map[string][]string{}
	p.doc.Find(`[data-testid="error-summary"] a`).Each(func(_ int, s *goquery.Selection) {
		out[text(s)] = append(out[text(s)], strings.TrimPrefix(s.AttrOr("href", ""), "#"))
	})
	return out
}

// fieldError checks what a user of a screen reader gets from a refused
// field: the control named label is invalid, its description reads msg,
// the message stands in the same field (next to the control), and, when
// linked, the error summary links msg to the control.
func (p *page) fieldError(label, msg string, linked bool) {
	p.t.Helper()
	c := p.control(label)
	p.errorOn(c, label, msg, linked)
}

// groupError is fieldError for a group of radio buttons named by its legend.
func (p *page) groupError(legend, msg string, linked bool) {
	p.t.Helper()
	p.errorOn(p.named("fieldset", legend), legend, msg, linked)
}

func (p *page) errorOn(c *goquery.Selection, label, msg string, linked bool) {
	p.t.Helper()
	if got := c.AttrOr("aria-invalid", ""); got != "true" {
		p.t.Errorf("%s: aria-invalid=%q, want true", label, got)
	}
	if got := p.description(c); !strings.Contains(got, msg) {
		p.t.Errorf("%s: described as %q, want it to say %q", label, got, msg)
	}
	field := c.Closest(".field, fieldset")
	if field.Length() == 0 || !strings.Contains(text(field.Find(".error")), msg) {
		p.t.Errorf("%s: the message %q is not shown in its field", label, msg)
	}
	if !linked {
		return
	}
	targets, ok := p.summaryLinks()[msg]
	if !ok {
		p.t.Errorf("%s: the error summary has no link %q; it has %v", label, msg, p.summaryLinks())
	} else if id := c.AttrOr("id", ""); !slices.Contains(targets, id) {
		p.t.Errorf("%s: the summary link goes to %q, the control is #%s", label, targets, id)
	}
}

// valid checks that a control carries no error.
func (p *page) valid(label string) {
	p.t.Helper()
	c := p.control(label)
	if got := c.AttrOr("aria-invalid", "false"); got != "false" {
		p.t.Errorf("%s: aria-invalid=%q on a field without error", label, got)
	}
	if c.Closest(".field").HasClass("invalid") {
		p.t.Errorf("%s: its field is marked invalid", label)
	}
}

// tableRows reads a table as a list of rows, each a map from its column
// header to the cell's text, the way a screen reader announces a cell.
func tableRows(table *goquery.Selection) []map[string]string {
	var heads []string
	table.Find("thead th").Each(func(_ int, s *goquery.Selection) { heads = append(heads, text(s)) })
	var out []map[string]string
	table.Find("tbody tr").Each(func(_ int, tr *goquery.Selection) {
		row := map[string]string{}
		tr.Children().Each(func(i int, td *goquery.Selection) {
			if i < len(heads) {
				row[heads[i]] = text(td)
			}
		})
		out = append(out, row)
	})
	return out
}

// checkMarkup fails the test on what no page may have.
func (p *page) checkMarkup() {
	p.t.Helper()
	if n := p.doc.Find("h1").Length(); n != 1 {
		p.t.Errorf("%d h1 headings, want 1", n)
	}
	if p.doc.Find("html").AttrOr("lang", "") == "" || strings.TrimSpace(p.doc.Find("title").Text()) == "" {
		p.t.Errorf("no language or no title")
	}
	ids := map[string]int{}
	p.doc.Find("[id]").Each(func(_ int, s *goquery.Selection) { ids[s.AttrOr("id", "")]++ })
	for id, n := range ids {
		if n > 1 {
			p.t.Errorf("id %q is used %d times", id, n)
		}
	}
	p.doc.Find("[aria-describedby], [aria-labelledby], label[for]").Each(func(_ int, s *goquery.Selection) {
		for _, attr := range []string{"aria-describedby", "aria-labelledby", "for"} {
			for _, id := range strings.Fields(s.AttrOr(attr, "")) {
				if ids[id] == 0 {
					p.t.Errorf("%s %s=%q: no element has that id", goquery.NodeName(s), attr, id)
				}
			}
		}
	})
	p.doc.Find(`a[href^="#"]`).Each(func(_ int, s *goquery.Selection) {
		if id := strings.TrimPrefix(s.AttrOr("href", ""), "#"); id != "" && ids[id] == 0 {
			p.t.Errorf("link %q jumps to #%s, which is not on the page", text(s), id)
		}
	})
	// Every field error is read out on an invalid control.
	p.doc.Find(`.error[id^="e-"]`).Each(func(_ int, e *goquery.Selection) {
		id := e.AttrOr("id", "")
		tied := p.doc.Find(`[aria-invalid="true"]`).FilterFunction(func(_ int, c *goquery.Selection) bool {
			for _, d := range strings.Fields(c.AttrOr("aria-describedby", "")) {
				if d == id {
					return true
				}
			}
			return false
		})
		if tied.Length() == 0 {
			p.t.Errorf("error %q (#%s) describes no invalid control", text(e), id)
		}
	})
	p.doc.Find(`[data-testid="error-summary"]`).Each(func(_ int, s *goquery.Selection) {
		seen := map[string]bool{}
		s.Find("a").Each(func(_ int, a *goquery.Selection) {
			if seen[text(a)] {
				p.t.Errorf("two links of an error summary read %q: neither says which field it jumps to", text(a))
			}
			seen[text(a)] = true
		})
	})
	p.doc.Find("[style], style").Each(func(_ int, s *goquery.Selection) {
		p.t.Errorf("inline style on %s: the CSP blocks it", goquery.NodeName(s))
	})
	p.doc.Find("script").Each(func(_ int, s *goquery.Selection) {
		if s.AttrOr("src", "") == "" {
			p.t.Errorf("inline <script>: the CSP blocks it")
		}
	})
	p.doc.Find("*").Each(func(_ int, s *goquery.Selection) {
		for _, a := range s.Get(0).Attr {
			if strings.HasPrefix(a.Key, "on") {
				p.t.Errorf("%s has an inline %s handler: the CSP blocks it", goquery.NodeName(s), a.Key)
			}
		}
	})
	p.doc.Find("button").Each(func(_ int, s *goquery.Selection) {
		if p.name(s) == "" {
			p.t.Errorf("a button has no name")
		}
	})
	p.controls().Each(func(_ int, s *goquery.Selection) {
		if p.name(s) == "" {
			p.t.Errorf("%s name=%q has no label", goquery.NodeName(s), s.AttrOr("name", ""))
		}
	})
}

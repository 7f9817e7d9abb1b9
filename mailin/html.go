package mailin

import (
	"strings"

	"golang.org/x/net/html"
)

// htmlToText turns an HTML-only mail into plain text with the tokenizer of
// golang.org/x/net/html: text is kept, markup, scripts and styles are not, and
// links keep their target in brackets so a triager sees where they point. The
// result is shown escaped like any other text, never as HTML.
func htmlToText(src string) string {
	z := html.NewTokenizer(strings.NewReader(src))
	var b strings.Builder
	skip := 0 // inside script, style, head or title
	var href string
	for {
		switch z.Next() {
		case html.ErrorToken:
			return tidyText(b.String())
		case html.TextToken:
			if skip == 0 {
				b.WriteString(collapseSpace(string(z.Text())))
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			tag := string(name)
			switch tag {
			case "script", "style", "head", "title", "template", "noscript":
				skip++
			case "br":
				b.WriteString("\n")
			case "p", "div", "tr", "table", "ul", "ol", "blockquote", "pre", "section", "article",
				"h1", "h2", "h3", "h4", "h5", "h6", "hr":
				b.WriteString("\n\n")
			case "li":
				b.WriteString("\n- ")
			case "td", "th":
				b.WriteString("\t")
			case "a":
				href = ""
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					if string(k) == "href" {
						href = string(v)
					}
				}
			case "img":
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					if string(k) == "alt" && len(v) > 0 {
						b.WriteString("[" + string(v) + "]")
					}
				}
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style", "head", "title", "template", "noscript":
				if skip > 0 {
					skip--
				}
			case "p", "div", "table", "ul", "ol", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6":
				b.WriteString("\n\n")
			case "a":
				if href != "" && !strings.HasPrefix(href, "#") && !strings.HasPrefix(strings.ToLower(href), "mailto:") {
					b.WriteString(" <" + href + ">")
				}
				href = ""
			}
		}
	}
}

// collapseSpace folds runs of white space as a browser would.
func collapseSpace(s string) string {
	if strings.TrimSpace(s) == "" {
		if s == "" {
			return ""
		}
		return " "
	}
	lead := len(s) > 0 && strings.ContainsRune(" \t\r\n", rune(s[0]))
	trail := len(s) > 0 && strings.ContainsRune(" \t\r\n", rune(s[len(s)-1]))
	out := strings.Join(strings.Fields(s), " ")
	if lead {
		out = " " + out
	}
	if trail {
		out += " "
	}
	return out
}

// tidyText trims each line and keeps at most one blank line in a row.
func tidyText(s string) string {
	var out []string
	blank := 0
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			blank++
			if blank > 1 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, line)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

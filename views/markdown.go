package views

import (
	"bytes"
	"context"
	"io"
	"sync"

	"github.com/a-h/templ"
	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

var (
	md        = goldmark.New(goldmark.WithExtensions(extension.GFM))
	sanitizer = bluemonday.UGCPolicy()
	mdCache   sync.Map // source → sanitized HTML; policies change rarely
)

// RenderMarkdown turns operator-written markdown into HTML that bluemonday
// has sanitised, so even a policy with raw HTML cannot run script.
func RenderMarkdown(src string) string {
	if v, ok := mdCache.Load(src); ok {
		return v.(string)
	}
	var buf bytes.Buffer
	if err := md.Convert([]byte(src), &buf); err != nil {
		return sanitizer.Sanitize(src)
	}
	out := sanitizer.Sanitize(buf.String())
	mdCache.Store(src, out)
	return out
}

// Markdown is a component of rendered, sanitised markdown.
func Markdown(src string) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		_, err := io.WriteString(w, RenderMarkdown(src))
		return err
	})
}

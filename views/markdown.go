package views

import (
	"bytes"
	"context"
	"html"
	"io"
	"sync"

	"github.com/a-h/templ"
	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	gast "github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	gtext "github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

var (
	md        = goldmark.New(goldmark.WithExtensions(extension.Linkify, boundedTables{}, extension.Strikethrough, extension.TaskList))
	sanitizer = bluemonday.UGCPolicy()
	mdCache   = renderCache{max: maxMarkdownCache}
)

// maxTableCells bounds the table cells one document may make. A GFM
// table pads every row to its header's width, so a header of c columns
// and r rows of "|" make c×r cells from 2c+2r bytes: 64 KiB of markdown
// asked for 268 million cells (gigabytes) before this bound. Past it, a
// table stays the paragraph of text it was written as.
const maxTableCells = 50_000

// maxMarkdownSource is the longest text rendered as markdown; a longer one
// is shown as the plain text it is. goldmark's time grows faster than the
// input on some texts (deep blockquotes, runs of "[a]("): 64 KiB of them
// took up to 3.7 s, the 200 KB a program policy may hold took 70 s.
const maxMarkdownSource = 64 << 10

// maxMarkdownCache bounds the bytes of sources and HTML the render cache
// keeps: each policy or advisory text as edited would stay otherwise.
const maxMarkdownCache = 32 << 20

// tableCells is where a parse counts the cells its tables made (the
// parser.Context is one document's).
var tableCells = parser.NewContextKey()

// boundedTables is GFM's table extension with a budget of cells per
// document (maxTableCells).
type boundedTables struct{}

func (boundedTables) Extend(m goldmark.Markdown) {
	m.Parser().AddOptions(parser.WithParagraphTransformers(util.Prioritized(boundedTableTransformer{extension.NewTableParagraphTransformer()}, 200)),
		parser.WithASTTransformers(util.Prioritized(extension.NewTableASTTransformer(), 0)))
	m.Renderer().AddOptions(renderer.WithNodeRenderers(util.Prioritized(extension.NewTableHTMLRenderer(), 500)))
}

type boundedTableTransformer struct{ table parser.ParagraphTransformer }

// Transform turns a paragraph into a table only while the document's
// tables stay within maxTableCells. It counts an upper bound of what the
// table could make before it is made: every line a row as wide as the
// widest line's "|" allow.
func (b boundedTableTransformer) Transform(node *gast.Paragraph, reader gtext.Reader, pc parser.Context) {
	lines := node.Lines()
	if lines.Len() < 2 {
		return
	}
	widest := 0
	for i := range lines.Len() {
		line := lines.At(i)
		widest = max(widest, bytes.Count(line.Value(reader.Source()), []byte("|"))+1)
	}
	used, _ := pc.Get(tableCells).(int)
	cells := widest * lines.Len()
	if cells > maxTableCells-used {
		return
	}
	pc.Set(tableCells, used+cells)
	b.table.Transform(node, reader, pc)
}

// RenderMarkdown turns operator-written markdown into HTML that bluemonday
// has sanitised, so even a policy with raw HTML cannot run script.
func RenderMarkdown(src string) string {
	if v, ok := mdCache.get(src); ok {
		return v
	}
	var buf bytes.Buffer
	if len(src) > maxMarkdownSource {
		out := "<pre>" + html.EscapeString(src) + "</pre>"
		mdCache.put(src, out)
		return out
	}
	if err := md.Convert([]byte(src), &buf); err != nil {
		return sanitizer.Sanitize(src)
	}
	out := sanitizer.Sanitize(buf.String())
	mdCache.put(src, out)
	return out
}

// renderCache keeps rendered markdown by source, at most max bytes of
// sources and HTML: when full it starts again empty (what is shown again
// is rendered again, once).
type renderCache struct {
	max int

	mu    sync.Mutex
	size  int
	items map[string]string
}

func (c *renderCache) get(src string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.items[src]
	return v, ok
}

func (c *renderCache) put(src, out string) {
	n := len(src) + len(out)
	if n > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.items == nil || c.size+n > c.max {
		c.items, c.size = map[string]string{}, 0
	}
	if _, ok := c.items[src]; !ok {
		c.items[src] = out
		c.size += n
	}
}

// Markdown is a component of rendered, sanitised markdown.
func Markdown(src string) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		_, err := io.WriteString(w, RenderMarkdown(src))
		return err
	})
}

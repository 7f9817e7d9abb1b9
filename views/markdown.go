package views

import (
	"bytes"
	"container/list"
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
	"golang.org/x/sync/singleflight"
)

var (
	md        = goldmark.New(goldmark.WithExtensions(extension.Linkify, boundedTables{}, extension.Strikethrough, extension.TaskList))
	sanitizer = bluemonday.UGCPolicy()
	mdCache   = renderCache{max: maxMarkdownCache}
	// mdFlight makes concurrent first views of one source wait for one
	// render instead of each rendering it.
	mdFlight singleflight.Group
)

// maxTableCells bounds the table cells one document may make. A GFM
// table pads every row to its header's width, so a header of c columns
// and r rows of "|" make c×r cells from 2c+2r bytes: 64 KiB of markdown
// asked for 268 million cells (gigabytes) before this bound. Past it, a
// table stays the paragraph of text it was written as.
const maxTableCells = 50_000

// maxMarkdownSource is the longest text rendered as markdown; a longer one
// is shown as the plain text it is. goldmark's time grows about with the
// cube of the input on some texts (deep blockquotes, "> > " lines, nested
// lists, runs of "[a]("): measured on the shared 2-core machine, the worst
// 8 KiB took 40-100 ms, 16 KiB 0.2-0.25 s, 32 KiB 1 s, 64 KiB 3-4 s, the
// 200 KB a program policy may hold 70 s. At 16 KiB the worst a tenant's
// admin can save costs a fifth of a second, once per source.
const maxMarkdownSource = 16 << 10

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
// has sanitised, so even a policy with raw HTML cannot run script. Each
// source is rendered once: concurrent first views share one render
// (mdFlight), later views are served from mdCache.
func RenderMarkdown(src string) string {
	if v, ok := mdCache.get(src); ok {
		return v
	}
	v, _, _ := mdFlight.Do(src, func() (any, error) {
		if v, ok := mdCache.get(src); ok {
			return v, nil
		}
		out := renderMarkdown(src)
		mdCache.put(src, out)
		return out, nil
	})
	return v.(string)
}

// renderMarkdown renders src without the cache.
func renderMarkdown(src string) string {
	if len(src) > maxMarkdownSource {
		return "<pre>" + html.EscapeString(src) + "</pre>"
	}
	var buf bytes.Buffer
	if err := md.Convert([]byte(src), &buf); err != nil {
		return sanitizer.Sanitize(src)
	}
	return sanitizer.Sanitize(buf.String())
}

// renderCache keeps rendered markdown by source, at most max bytes of
// sources and HTML. When full it drops the least recently used renders
// (not all of them: one tenant's stream of new sources must not make
// every other tenant's policies render again).
type renderCache struct {
	max int

	mu    sync.Mutex
	size  int
	items map[string]*list.Element
	order list.List // of *cached, most recently used first
}

type cached struct{ src, out string }

func (c *renderCache) get(src string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[src]
	if !ok {
		return "", false
	}
	c.order.MoveToFront(e)
	return e.Value.(*cached).out, true
}

func (c *renderCache) put(src, out string) {
	n := len(src) + len(out)
	if n > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.items == nil {
		c.items = map[string]*list.Element{}
	}
	if e, ok := c.items[src]; ok {
		c.order.MoveToFront(e)
		return
	}
	for c.size+n > c.max {
		last := c.order.Back()
		old := last.Value.(*cached)
		c.order.Remove(last)
		delete(c.items, old.src)
		c.size -= len(old.src) + len(old.out)
	}
	c.items[src] = c.order.PushFront(&cached{src, out})
	c.size += n
}

// Markdown is a component of rendered, sanitised markdown.
func Markdown(src string) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		_, err := io.WriteString(w, RenderMarkdown(src))
		return err
	})
}

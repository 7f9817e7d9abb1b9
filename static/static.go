// Package static embeds the stylesheet, images and the little JavaScript the
// pages use for progressive enhancement, and serves them under fingerprinted
// URLs so that browsers may cache them forever.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

//go:embed *.css *.js *.svg
var files embed.FS

type asset struct {
	name string
	data []byte
	ct   string
}

var (
	byURL  = map[string]*asset{}
	urlOf  = map[string]string{}
	prefix = "/static/"
)

func init() {
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		data, err := files.ReadFile(e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(data)
		ext := path.Ext(e.Name())
		u := prefix + strings.TrimSuffix(e.Name(), ext) + "." + hex.EncodeToString(sum[:])[:12] + ext
		byURL[u] = &asset{name: e.Name(), data: data, ct: mime.TypeByExtension(ext)}
		urlOf[e.Name()] = u
	}
}

// URL returns the fingerprinted URL of an embedded file; it panics on a name
// that is not embedded, which tests catch.
func URL(name string) string {
	u, ok := urlOf[name]
	if !ok {
		panic("static: no embedded file " + name)
	}
	return u
}

// Handler serves the embedded files under /static/.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := byURL[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", a.ct)
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		if r.Method != http.MethodHead {
			w.Write(a.data)
		}
	})
}

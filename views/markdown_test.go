package views_test

import (
	"strings"
	"testing"

	"github.com/disclose/disclose/views"
)

func TestRenderMarkdown(t *testing.T) {
	out := views.RenderMarkdown("## Scope\n\n- *www*\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=alert(1)>")
	if !strings.Contains(out, "<h2") || !strings.Contains(out, "<em>www</em>") {
		t.Fatalf("markdown not rendered: %s", out)
	}
	for _, bad := range []string{"<script", "javascript:", "onerror"} {
		if strings.Contains(out, bad) {
			t.Fatalf("sanitised output keeps %q: %s", bad, out)
		}
	}
}

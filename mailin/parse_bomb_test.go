package mailin

import (
	"fmt"
	"strings"
	"testing"
)

// A stranger's mail of many tiny parts, past the attachment limit, must not
// turn into one timeline note per part: the notes are bounded and the rest
// summed up in one line.
func TestParseManyParts(t *testing.T) {
	const parts = 20000
	const notes = 20 // notes kept before the summary line
	var b strings.Builder
	b.WriteString("From: x@example.net\r\nTo: security@example.org\r\nSubject: parts\r\nMessage-ID: <parts@example.net>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n")
	b.WriteString("--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n")
	for i := 0; i < parts; i++ {
		fmt.Fprintf(&b, "--b\r\nContent-Type: application/octet-stream\r\n\r\n%d\r\n", i)
	}
	b.WriteString("--b--\r\n")
	in, err := Parse(strings.NewReader(b.String()), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(in.Files), DefaultLimits.MaxAttachments; got != want {
		t.Errorf("files = %d, want %d", got, want)
	}
	if got, max := len(in.Omitted), notes+1; got > max {
		t.Fatalf("omitted notes = %d, want at most %d", got, max)
	}
	last := in.Omitted[len(in.Omitted)-1]
	if want := fmt.Sprintf("%d more parts", parts-DefaultLimits.MaxAttachments-notes); !strings.Contains(last, want) {
		t.Errorf("last note %q, want it to say %q", last, want)
	}
	if in.Body != "hello" {
		t.Errorf("body %q", in.Body)
	}
}

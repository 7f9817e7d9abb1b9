package mailin

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// A stranger's mail of many tiny parts, past the attachment limit, must not
// turn into one timeline note per part: the notes are bounded and the rest
// summed up in one line; past MaxParts, the parts are not read at all.
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
	if got, max := len(in.Omitted), notes+2; got > max {
		t.Fatalf("omitted notes = %d, want at most %d", got, max)
	}
	// The top entity and the text are parts too: MaxParts-2 files were read.
	read := DefaultLimits.MaxParts - 2
	all := strings.Join(in.Omitted, "\n")
	for _, want := range []string{
		fmt.Sprintf("%d more parts", read-DefaultLimits.MaxAttachments-notes),
		fmt.Sprintf("more than %d MIME parts; only the first %d were read", DefaultLimits.MaxParts, DefaultLimits.MaxParts),
	} {
		if !strings.Contains(all, want) {
			t.Errorf("notes %q, want one to say %q", all, want)
		}
	}
	if in.Body != "hello" {
		t.Errorf("body %q", in.Body)
	}
}

// The parts of multipart/encrypted count too: a mail of thousands of parts
// there is read no further than MaxParts.
func TestParseManyEncryptedParts(t *testing.T) {
	var b strings.Builder
	b.WriteString(head("Parts", "enc-parts", `Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="e"`))
	for i := 0; i < 5000; i++ {
		fmt.Fprintf(&b, "\n--e\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n")
	}
	b.WriteString("\n--e--\n")
	in, err := ParsePGP(context.Background(), strings.NewReader(crlfString(b.String())), DefaultLimits, &PGP{})
	if err != nil {
		t.Fatal(err)
	}
	if all := strings.Join(in.Omitted, "\n"); !strings.Contains(all, "more than 1000 MIME parts") {
		t.Errorf("notes %q", all)
	}
}

package mailin

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"
)

// splitMultipart cuts a multipart body into its parts as raw bytes, as
// splitSections finds them.
func splitMultipart(body []byte, boundary string) ([][]byte, bool) {
	secs, closed := splitSections(bytes.NewReader(body), boundary)
	parts := make([][]byte, len(secs))
	for i, s := range secs {
		parts[i] = body[s.off : s.off+s.n]
	}
	return parts, closed
}

func TestSplitSections(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       []string
		closed     bool
	}{
		{"CRLF", "pre\r\n--b\r\nA: 1\r\n\r\nx\r\n--b\r\n\r\ny\r\n--b--\r\nepi", []string{"A: 1\r\n\r\nx", "\r\ny"}, true},
		{"LF", "--b\nA\n--b \t\nB\n\n--b--", []string{"A", "B\n"}, true},
		{"Unclosed", "--b\nA\n--b\nB", []string{"A"}, false},
		{"EmptyPart", "--b\n--b\nB\n--b--\n", []string{"", "B"}, true},
		{"NotADelimiter", "--b\n--bx\n--b--", []string{"--bx"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parts, closed := splitMultipart([]byte(tc.body), "b")
			var got []string
			for _, p := range parts {
				got = append(got, string(p))
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") || closed != tc.closed {
				t.Errorf("got %q closed=%v, want %q closed=%v", got, closed, tc.want, tc.closed)
			}
		})
	}
}

func TestCRLFReader(t *testing.T) {
	for in, want := range map[string]string{
		"a\nb\r\nc\rd\n": "a\r\nb\r\nc\rd\r\n",
		"\n\n":           "\r\n\r\n",
		"\r\r\n":         "\r\r\n",
		"":               "",
	} {
		// A one-byte buffer crosses every CR/LF boundary.
		var out bytes.Buffer
		r := &crlfReader{r: bufio.NewReader(strings.NewReader(in))}
		buf := make([]byte, 1)
		for {
			n, err := r.Read(buf)
			out.Write(buf[:n])
			if err == io.EOF {
				break
			} else if err != nil {
				t.Fatal(err)
			}
		}
		if got := out.String(); got != want || got != string(crlf([]byte(in))) {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}

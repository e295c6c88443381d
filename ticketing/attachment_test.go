package ticketing_test

import (
	"bytes"
	"mime"
	"net/http"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/ticketing"
)

// Real file headers: the first bytes of files made by common tools.
var (
	jpegHead = []byte("\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
	pngHead  = []byte("\x89PNG\r\n\x1A\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00")
	gifHead  = []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\xFF\xFF\xFF\x00\x00\x00!\xF9\x04")
	webpHead = []byte("RIFF\x1A\x00\x00\x00WEBPVP8L\x0D\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xFE\x07\x00")
	pdfHead  = []byte("%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n")
)

func TestSniffAttachmentType(t *testing.T) {
	accepted := []struct {
		name string
		head []byte
		want string
	}{
		{"JPEG", jpegHead, "image/jpeg"},
		{"PNG", pngHead, "image/png"},
		{"GIF", gifHead, "image/gif"},
		{"WebP", webpHead, "image/webp"},
		{"PDF", pdfHead, "application/pdf"},
	}
	for _, c := range accepted {
		t.Run(c.name, func(t *testing.T) {
			got, err := ticketing.SniffAttachmentType(c.head)
			if err != nil || got != c.want {
				t.Fatalf("got %q, %v; want %q", got, err, c.want)
			}
		})
	}
	refused := map[string][]byte{
		"Empty":          nil,
		"HTML":           []byte("<!DOCTYPE html><html><script>alert(document.cookie)</script>"),
		"HTMLAfterSpace": []byte("  \n<html><body>x</body></html>"),
		"SVG":            []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`),
		"ELF":            []byte("\x7FELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00"),
		"WindowsExe":     []byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xFF\xFF\x00\x00"),
		"Zip":            []byte("PK\x03\x04\x14\x00\x06\x00"),
		"Text":           []byte("just some text"),
		"RIFFWave":       []byte("RIFF$\x00\x00\x00WAVEfmt \x10\x00\x00\x00"),
		"TruncatedPNG":   []byte("\x89PNG"),
		"PDFNotAtStart":  []byte("junk %PDF-1.4"),
		"JavaScript":     []byte("alert(1) // \xFF\xD8\xFF"),
	}
	for name, head := range refused {
		t.Run("Refuses"+name, func(t *testing.T) {
			got, err := ticketing.SniffAttachmentType(head)
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("got %q, %v; want invalid", got, err)
			}
		})
	}
}

func TestCleanFileName(t *testing.T) {
	long := strings.Repeat("长", 300)
	for in, want := range map[string]string{
		"整改后照片.jpg":              "整改后照片.jpg",
		"../../etc/passwd":       "passwd",
		`..\..\windows\evil.png`: "evil.png",
		"C:\\Users\\张三\\回复函.pdf": "回复函.pdf",
		"/":                      "attachment",
		"..":                     "attachment",
		"":                       "attachment",
		" . ":                    "attachment",
		".bashrc":                "bashrc",
		"a\x00b\r\n\tc.png":      "abc.png",
		"photo\u202Egpj.exe":     "photogpj.exe", // a right-to-left override must not disguise the extension
		"zero\u200Bwidth.jpg":    "zerowidth.jpg",
		"bad\xFF\xFEutf8.gif":    "badutf8.gif",
		"照片\u3000一.jpg":          "照片 一.jpg",
		long + ".pdf":            strings.Repeat("长", 196) + ".pdf",
		long:                     strings.Repeat("长", 200),
	} {
		if got := ticketing.CleanFileName(in); got != want {
			t.Errorf("CleanFileName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAttachmentName_ExtensionFitsTheContent(t *testing.T) {
	for _, c := range []struct{ name, contentType, want string }{
		{"整改照片.JPG", "image/jpeg", "整改照片.JPG"},
		{"scan.jpeg", "image/jpeg", "scan.jpeg"},
		{"report.html", "image/png", "report.html.png"},
		{"letter", "application/pdf", "letter.pdf"},
		{"../../etc/passwd", "image/gif", "passwd.gif"},
		{"", "image/webp", "attachment.webp"},
		{strings.Repeat("长", 300) + ".exe", "image/png", strings.Repeat("长", 192) + ".exe.png"},
	} {
		if got := ticketing.AttachmentName(c.name, c.contentType); got != c.want {
			t.Errorf("AttachmentName(%q, %s) = %q, want %q", c.name, c.contentType, got, c.want)
		}
	}
}

// FuzzCleanFileName checks that no name, however odd, yields a stored name
// that could leave its directory, hide its extension or break a header.
func FuzzCleanFileName(f *testing.F) {
	for _, s := range []string{"整改后照片.jpg", "../../etc/passwd", `a\b`, "..", "a\x00b", "x\u202Egpj.exe",
		strings.Repeat("长", 250) + ".pdf", "\xFF", " .a. ", "CON", "a/b\\c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := ticketing.CleanFileName(in)
		if got == "" || got == "." || got == ".." || !utf8.ValidString(got) || utf8.RuneCountInString(got) > 200 {
			t.Fatalf("CleanFileName(%q) = %q", in, got)
		}
		if strings.ContainsAny(got, `/\`) || strings.IndexFunc(got, func(r rune) bool {
			return unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
		}) >= 0 {
			t.Fatalf("CleanFileName(%q) = %q keeps a separator or control character", in, got)
		}
		if strings.HasPrefix(got, ".") || strings.HasSuffix(got, " ") {
			t.Fatalf("CleanFileName(%q) = %q starts with a dot or ends with a space", in, got)
		}
		if again := ticketing.CleanFileName(got); again != got {
			t.Fatalf("not idempotent: %q → %q → %q", in, got, again)
		}
		for _, ct := range ticketing.AttachmentTypes {
			if n := ticketing.AttachmentName(in, ct); utf8.RuneCountInString(n) > 200 || strings.ContainsAny(n, `/\`) {
				t.Fatalf("AttachmentName(%q, %s) = %q", in, ct, n)
			}
		}
	})
}

// FuzzSniffAttachmentType checks the sniffer against the standard library:
// whatever it accepts, http.DetectContentType names the same type, and what
// http.DetectContentType calls an accepted image or PDF is accepted
// (except WebP, where the sniffer also requires a VP8 chunk).
func FuzzSniffAttachmentType(f *testing.F) {
	for _, b := range [][]byte{jpegHead, pngHead, gifHead, webpHead, pdfHead, []byte("<html>"),
		[]byte("\x7FELF"), []byte("RIFF\x00\x00\x00\x00WEBPVP"), []byte("GIF87a")} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, head []byte) {
		if len(head) > ticketing.SniffLen {
			head = head[:ticketing.SniffLen]
		}
		got, err := ticketing.SniffAttachmentType(head)
		std, _, perr := mime.ParseMediaType(http.DetectContentType(head))
		if perr != nil {
			t.Fatal(perr)
		}
		if err == nil && got != std {
			t.Fatalf("sniffed %q, DetectContentType says %q for %q", got, std, head)
		}
		if err != nil && !errs.Is(err, errs.Invalid) {
			t.Fatalf("error %v is not invalid", err)
		}
		if err != nil && len(head) > 0 && std != "image/webp" && slices.Contains(ticketing.AttachmentTypes, std) {
			t.Fatalf("refused %q, which DetectContentType calls %s", head, std)
		}
		if err == nil && bytes.HasPrefix(bytes.TrimSpace(head), []byte("<")) {
			t.Fatalf("accepted markup %q", head)
		}
	})
}

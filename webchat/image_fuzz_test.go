package webchat_test

import (
	"bytes"
	"encoding/base64"
	"image"
	"testing"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/webchat"
)

// FuzzClean: whatever is uploaded, Clean does not panic, answers one of
// its codes, and what it accepts decodes to the size it reports, within
// the limits.
func FuzzClean(f *testing.F) {
	f.Add(withSegment(encodeJPEG(f, photo(8, 4)), exifGPS()))
	for _, s := range []string{webpLossy, webpLossless} {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("\x89PNG\r\n\x1A\n"))
	f.Add([]byte("\xFF\xD8\xFF\xE1\x00\x08Exif\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := webchat.Clean(data)
		if err != nil {
			switch errs.CodeOf(err) {
			case errs.Invalid, errs.TooLarge, errs.UnsupportedType:
				return
			}
			t.Fatalf("Clean: %v", err)
		}
		cfg, format, err := image.DecodeConfig(bytes.NewReader(out.Data))
		if err != nil {
			t.Fatalf("the cleaned image does not decode: %v", err)
		}
		if "image/"+format != out.ContentType || cfg.Width != out.Width || cfg.Height != out.Height ||
			int64(cfg.Width)*int64(cfg.Height) > webchat.MaxImagePixels {
			t.Fatalf("cleaned to %s %d×%d, which decodes as %s %d×%d", out.ContentType, out.Width, out.Height, format, cfg.Width, cfg.Height)
		}
	})
}

package webchat_test

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/webchat"
)

// photo is a w×h picture whose left half is red and right half blue, so
// that a turn shows.
func photo(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{R: 220, A: 255}
			if x >= w/2 {
				c = color.RGBA{B: 220, A: 255}
			}
			img.Set(x, y, c)
		}
	}
	return img
}

func encodeJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// exifGPS is an EXIF APP1 segment as a phone writes it: orientation 6
// (turn 90° clockwise to stand up) and a GPS position (23°7'45.12"N).
func exifGPS() []byte {
	le := binary.LittleEndian
	t := []byte("II\x2A\x00\x08\x00\x00\x00")
	entry := func(tag, typ uint16, count, value uint32) []byte {
		e := make([]byte, 12)
		le.PutUint16(e, tag)
		le.PutUint16(e[2:], typ)
		le.PutUint32(e[4:], count)
		le.PutUint32(e[8:], value)
		return e
	}
	t = append(t, 2, 0)
	t = append(t, entry(0x0112, 3, 1, 6)...)  // Orientation
	t = append(t, entry(0x8825, 4, 1, 38)...) // GPS IFD at 38
	t = append(t, 0, 0, 0, 0)
	t = append(t, 2, 0)
	t = append(t, entry(0x0001, 2, 2, uint32('N'))...) // GPSLatitudeRef "N"
	t = append(t, entry(0x0002, 5, 3, 68)...)          // GPSLatitude at 68
	t = append(t, 0, 0, 0, 0)
	for _, r := range [][2]uint32{{23, 1}, {7, 1}, {4512, 100}} {
		t = le.AppendUint32(t, r[0])
		t = le.AppendUint32(t, r[1])
	}
	seg := append([]byte("Exif\x00\x00"), t...)
	return append([]byte{0xFF, 0xE1, byte((len(seg) + 2) >> 8), byte(len(seg) + 2)}, seg...)
}

// withSegment puts a segment right after a JPEG's SOI.
func withSegment(jpg, seg []byte) []byte {
	return append(append(append([]byte{}, jpg[:2]...), seg...), jpg[2:]...)
}

// jpegMarkers lists the markers of a JPEG's segments before its image data.
func jpegMarkers(t *testing.T, b []byte) []byte {
	t.Helper()
	var out []byte
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xFF {
			t.Fatalf("no marker at %d", i)
		}
		m := b[i+1]
		out = append(out, m)
		if m == 0xDA {
			return out
		}
		i += 2 + int(binary.BigEndian.Uint16(b[i+2:]))
	}
	return out
}

func TestClean_JPEGLosesItsEXIFAndStandsUp(t *testing.T) {
	in := withSegment(encodeJPEG(t, photo(16, 8)), exifGPS())
	if !bytes.Contains(in, []byte("Exif")) {
		t.Fatal("the test photo has no EXIF")
	}
	out, err := webchat.Clean(in)
	if err != nil {
		t.Fatal(err)
	}
	if out.ContentType != webchat.TypeJPEG || out.Width != 8 || out.Height != 16 {
		t.Fatalf("cleaned to %s %d×%d, want image/jpeg 8×16 (turned by its orientation)", out.ContentType, out.Width, out.Height)
	}
	if bytes.Contains(out.Data, []byte("Exif")) || bytes.Contains(out.Data, []byte{0x11, 0x30, 0, 0, 0x64}) {
		t.Error("the cleaned photo still holds its EXIF")
	}
	for _, m := range jpegMarkers(t, out.Data) {
		if m >= 0xE1 && m <= 0xEF || m == 0xFE {
			t.Errorf("the cleaned photo has an APP%d/COM segment (%#x)", m-0xE0, m)
		}
	}
	img, err := jpeg.Decode(bytes.NewReader(out.Data))
	if err != nil {
		t.Fatal(err)
	}
	// Turned clockwise, the red left half is on top.
	if r, _, b, _ := img.At(4, 2).RGBA(); r < b {
		t.Errorf("the top of the turned photo is not red: %v", img.At(4, 2))
	}
}

func TestClean_PNGStaysPNGWithoutItsText(t *testing.T) {
	var b bytes.Buffer
	if err := png.Encode(&b, photo(10, 6)); err != nil {
		t.Fatal(err)
	}
	in := pngWithText(b.Bytes(), "Comment", "shot at 23.1291N 113.2644E")
	out, err := webchat.Clean(in)
	if err != nil {
		t.Fatal(err)
	}
	if out.ContentType != webchat.TypePNG || out.Width != 10 || out.Height != 6 {
		t.Fatalf("cleaned to %s %d×%d, want image/png 10×6", out.ContentType, out.Width, out.Height)
	}
	if bytes.Contains(out.Data, []byte("tEXt")) || bytes.Contains(out.Data, []byte("113.2644E")) {
		t.Error("the cleaned PNG keeps its text chunk")
	}
}

// pngWithText adds a tEXt chunk after a PNG's IHDR.
func pngWithText(p []byte, key, value string) []byte {
	data := append(append([]byte(key), 0), value...)
	chunk := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	chunk = append(chunk, "tEXt"...)
	chunk = append(chunk, data...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	const ihdrEnd = 8 + 25
	return append(append(append([]byte{}, p[:ihdrEnd]...), chunk...), p[ihdrEnd:]...)
}

// Tiny WebP files: lossy (VP8, opaque) and lossless (VP8L, transparent).
const (
	webpLossy    = "UklGRiIAAABXRUJQVlA4IBYAAAAwAQCdASoBAAEADsD+JaQAA3AAAAAA"
	webpLossless = "UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA=="
)

func TestClean_WebPBecomesJPEGOrPNG(t *testing.T) {
	for _, c := range []struct {
		name, b64, want string
	}{{"lossy", webpLossy, webchat.TypeJPEG}, {"lossless with transparency", webpLossless, webchat.TypePNG}} {
		t.Run(c.name, func(t *testing.T) {
			in, err := base64.StdEncoding.DecodeString(c.b64)
			if err != nil {
				t.Fatal(err)
			}
			out, err := webchat.Clean(in)
			if err != nil {
				t.Fatal(err)
			}
			if out.ContentType != c.want || out.Width != 1 || out.Height != 1 {
				t.Fatalf("cleaned to %s %d×%d, want %s 1×1", out.ContentType, out.Width, out.Height, c.want)
			}
			if _, _, err := image.Decode(bytes.NewReader(out.Data)); err != nil {
				t.Errorf("the cleaned image does not decode: %v", err)
			}
		})
	}
}

func TestClean_Refuses(t *testing.T) {
	jpg := encodeJPEG(t, photo(64, 64))
	var hugePNG bytes.Buffer
	if err := png.Encode(&hugePNG, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
		t.Fatal(err)
	}
	bomb := hugePNG.Bytes()
	binary.BigEndian.PutUint32(bomb[16:], 50000) // IHDR: 50000 × 50000 pixels
	binary.BigEndian.PutUint32(bomb[20:], 50000)
	binary.BigEndian.PutUint32(bomb[29:], crc32.ChecksumIEEE(bomb[12:29]))
	for _, c := range []struct {
		name string
		data []byte
		want errs.Code
	}{
		{"an ELF program named .jpg", []byte("\x7fELF\x02\x01\x01\x00" + string(make([]byte, 64))), errs.UnsupportedType},
		{"a Windows program", []byte("MZ\x90\x00\x03\x00\x00\x00" + string(make([]byte, 64))), errs.UnsupportedType},
		{"a ZIP archive", []byte("PK\x03\x04\x14\x00\x00\x00" + string(make([]byte, 64))), errs.UnsupportedType},
		{"a GIF", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), errs.UnsupportedType},
		{"a truncated JPEG", jpg[:len(jpg)/2], errs.Invalid},
		{"a JPEG header alone", jpg[:20], errs.Invalid},
		{"nothing", nil, errs.Invalid},
		{"6 MB", append(append([]byte{}, jpg...), make([]byte, 6<<20)...), errs.TooLarge},
		{"a PNG claiming 2.5 gigapixels", bomb, errs.TooLarge},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := webchat.Clean(c.data)
			var coded *errs.Error
			if !errors.As(err, &coded) || coded.Code != c.want {
				t.Errorf("Clean: %v, want %s", err, c.want)
			}
		})
	}
}

func TestImageRef_RoundTrips(t *testing.T) {
	if ref := webchat.ImageRef(42); ref != "image:42" {
		t.Fatalf("ImageRef(42) = %q", ref)
	}
	if id, ok := webchat.ParseImageRef("image:42"); !ok || id != 42 {
		t.Errorf("ParseImageRef(image:42) = %d, %v", id, ok)
	}
	for _, bad := range []string{"", "image:", "image:0", "image:-1", "image:042", "image:4x", "file:42", "image:99999999999999999999"} {
		if _, ok := webchat.ParseImageRef(bad); ok {
			t.Errorf("ParseImageRef(%q) accepted", bad)
		}
	}
}

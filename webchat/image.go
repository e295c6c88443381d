package webchat

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"strconv"
	"strings"
	"time"

	"golang.org/x/image/webp"

	"github.com/open12345/hotline/errs"
)

// Limits on the images a chat accepts.
const (
	// MaxImageBytes bounds one uploaded image: a phone's photo fits.
	MaxImageBytes = 5 << 20
	// MaxImagePixels bounds an image's width × height, read from its
	// header before any pixel is decoded: a few kilobytes of PNG can
	// claim a picture that needs gigabytes once decoded.
	MaxImagePixels = 40_000_000
	// MaxStoredImageBytes bounds an image once re-encoded, so that it
	// fits a ticket's attachment (10 MiB) when a ticket is made from the chat.
	MaxStoredImageBytes = 10 << 20
	// jpegQuality is what JPEG and WebP photos are re-encoded with.
	jpegQuality = 85
)

// Image content types: what a chat accepts, and what it stores (photos
// are stored as JPEG, drawings with transparency as PNG).
const (
	TypeJPEG = "image/jpeg"
	TypePNG  = "image/png"
	TypeWebP = "image/webp"
)

// Image is a picture sent in a chat. Its content, cleaned, is a blob in
// the file store under StorageKey; the message that shows it names it
// by ImageRef(ID).
type Image struct {
	ID          int64
	ChatID      int64
	ContentType string // TypeJPEG or TypePNG: as stored
	Size        int64
	SHA256      string // hex digest of the stored content
	StorageKey  string // never shown
	Width       int
	Height      int
	From        From   // FromCitizen or FromAgent
	Agent       string // the agent who sent it, for FromAgent
	CreatedAt   time.Time
}

// imageRefPrefix starts a message's attachment that names a chat image.
const imageRefPrefix = "image:"

// ImageRef is the attachment of a message that shows image id: "image:42".
// Clients turn it into the URL they may read it at.
func ImageRef(id int64) string { return imageRefPrefix + strconv.FormatInt(id, 10) }

// ParseImageRef returns the image an attachment names; false when it
// names none.
func ParseImageRef(ref string) (int64, bool) {
	s, ok := strings.CutPrefix(ref, imageRefPrefix)
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0 && strconv.FormatInt(id, 10) == s
}

// CleanImage is an uploaded image made safe to keep and show.
type CleanImage struct {
	Data        []byte
	ContentType string // TypeJPEG or TypePNG
	Width       int
	Height      int
}

// SniffImage returns the type of an image from its first bytes,
// whatever its name or declared type says. Errors: unsupported_type.
func SniffImage(head []byte) (string, error) {
	switch {
	case bytes.HasPrefix(head, []byte("\xFF\xD8\xFF")):
		return TypeJPEG, nil
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1A\n")):
		return TypePNG, nil
	case len(head) >= 16 && bytes.HasPrefix(head, []byte("RIFF")) && bytes.HasPrefix(head[8:], []byte("WEBPVP8")):
		return TypeWebP, nil
	}
	return "", errs.E(errs.UnsupportedType, "only JPEG, PNG or WebP images may be sent")
}

// Clean checks an uploaded image and re-encodes it: its type comes from
// its content (JPEG, PNG or WebP), its dimensions from its header before
// anything is decoded (at most MaxImagePixels), and then the decoded
// pixels are encoded anew — PNG as PNG, JPEG and WebP as JPEG at quality
// 85 (a WebP with transparency as PNG) — so that nothing else of the
// upload survives: no EXIF (GPS position, camera serial), XMP, comments
// or trailing data. A JPEG's EXIF orientation is applied to the pixels
// first, so that the photo stands as it was taken. Errors: too_large
// (bytes or pixels), unsupported_type, invalid (truncated or corrupt).
func Clean(data []byte) (out CleanImage, err error) {
	if len(data) > MaxImageBytes {
		return CleanImage{}, errs.E(errs.TooLarge, "an image may be at most %d MB", MaxImageBytes>>20)
	}
	if len(data) == 0 {
		return CleanImage{}, errs.E(errs.Invalid, "the image is empty")
	}
	typ, err := SniffImage(data)
	if err != nil {
		return CleanImage{}, err
	}
	decodeConfig, decode := jpeg.DecodeConfig, jpeg.Decode
	switch typ {
	case TypePNG:
		decodeConfig, decode = png.DecodeConfig, png.Decode
	case TypeWebP:
		decodeConfig, decode = webp.DecodeConfig, webp.Decode
	}
	defer func() {
		if p := recover(); p != nil { // a decoder's bug must not end the server
			out, err = CleanImage{}, errs.Wrap(errs.Invalid, fmt.Errorf("%v", p), "the image could not be read")
		}
	}()
	cfg, err := decodeConfig(bytes.NewReader(data))
	if err != nil {
		return CleanImage{}, errs.Wrap(errs.Invalid, err, "the image is damaged or incomplete")
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return CleanImage{}, errs.E(errs.Invalid, "the image has no pixels")
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxImagePixels {
		return CleanImage{}, errs.E(errs.TooLarge, "an image may have at most %d million pixels; this one has %d×%d",
			MaxImagePixels/1_000_000, cfg.Width, cfg.Height)
	}
	img, err := decode(bytes.NewReader(data))
	if err != nil {
		return CleanImage{}, errs.Wrap(errs.Invalid, err, "the image is damaged or incomplete")
	}
	if typ == TypeJPEG {
		img = orient(img, jpegOrientation(data))
	}
	return encode(img, typ)
}

// encode writes img as PNG (PNGs, and WebPs with transparency) or JPEG.
func encode(img image.Image, from string) (CleanImage, error) {
	var buf bytes.Buffer
	typ := TypeJPEG
	if from == TypePNG || from == TypeWebP && !opaque(img) {
		typ = TypePNG
	}
	var err error
	if typ == TypePNG {
		err = (&png.Encoder{CompressionLevel: png.DefaultCompression}).Encode(&buf, img)
	} else {
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: jpegQuality})
	}
	if err != nil {
		return CleanImage{}, fmt.Errorf("re-encode the image as %s: %w", typ, err)
	}
	if buf.Len() > MaxStoredImageBytes {
		return CleanImage{}, errs.E(errs.TooLarge, "the image is too detailed to keep; send a smaller one")
	}
	b := img.Bounds()
	return CleanImage{Data: buf.Bytes(), ContentType: typ, Width: b.Dx(), Height: b.Dy()}, nil
}

// opaque reports whether img has no transparent pixel, as far as its
// type can tell cheaply.
func opaque(img image.Image) bool {
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	return true
}

package webchat

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/files"
	"github.com/open12345/hotline/internal/httpx"
)

// maxImageBody is an image upload's body: the image and, for a
// multipart form, the framing around it.
const maxImageBody = MaxImageBytes + 64<<10

// ImageFiles move chats' images over HTTP, for the citizens' side and the
// staff's alike: an upload is read, cleaned and stored as a file, then
// sent into the chat; a download is the stored file. Who may do either is
// the caller's to check.
type ImageFiles struct {
	images *Images
	blobs  *files.Store
	log    *slog.Logger
}

// NewImageFiles returns the HTTP side of images, their contents in blobs.
func NewImageFiles(images *Images, blobs *files.Store, log *slog.Logger) *ImageFiles {
	return &ImageFiles{images: images, blobs: blobs, log: log}
}

// ImageView is a stored image as an upload's answer shows it.
type ImageView struct {
	Seq         int    `json:"seq"`
	Attachment  string `json:"attachment"`
	ID          int64  `json:"id"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
}

// Upload reads, cleans and stores the request's image and sends it into
// the chat as agent's ("" for the citizen's), answering its ImageView;
// X-Client-Id makes a resend answer the first copy (200).
func (f *ImageFiles) Upload(w http.ResponseWriter, r *http.Request, chatID int64, agent string) error {
	clientID := r.Header.Get("X-Client-Id")
	if err := CheckClientID(clientID); err != nil {
		return err
	}
	data, err := readImage(w, r)
	if err != nil {
		return err
	}
	clean, err := f.images.Clean(r.Context(), data)
	if err != nil {
		return err
	}
	blob, err := f.blobs.Put(r.Context(), bytes.NewReader(clean.Data), MaxStoredImageBytes)
	if err != nil {
		return err
	}
	// The client going away now must not leave a blob nobody recorded.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), httpx.RecordTimeout)
	defer cancel()
	m, img, dup, err := f.images.Send(ctx, chatID, agent, clientID, Image{ContentType: clean.ContentType,
		Size: blob.Size, SHA256: blob.SHA256, StorageKey: blob.Key, Width: clean.Width, Height: clean.Height})
	if err != nil || dup {
		if rmErr := f.blobs.Remove(blob.Key); rmErr != nil {
			f.log.ErrorContext(ctx, "remove the file of an unrecorded chat image", "key", blob.Key, "err", rmErr)
		}
	}
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if dup {
		status = http.StatusOK
	}
	httpx.WriteJSON(w, status, ImageView{Seq: m.Seq, Attachment: m.Attachment, ID: img.ID, ContentType: img.ContentType,
		Size: img.Size, Width: img.Width, Height: img.Height})
	return nil
}

// readImage reads an upload's image: the raw body, or the field "file"
// of a multipart form. Errors: too_large, invalid.
func readImage(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.ContentLength > maxImageBody {
		return nil, imageTooLarge()
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxImageBody)
	var src io.Reader = r.Body
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil && mt == "multipart/form-data" {
		part, err := httpx.FilePart(r)
		if err != nil {
			return nil, imageUploadError(err)
		}
		src = part
	}
	data, err := io.ReadAll(io.LimitReader(src, MaxImageBytes+1))
	if err != nil {
		return nil, imageUploadError(errs.Wrap(errs.Invalid, err, "could not read the upload"))
	}
	if len(data) > MaxImageBytes {
		return nil, imageTooLarge()
	}
	return data, nil
}

func imageTooLarge() error {
	return errs.E(errs.TooLarge, "an image may be at most %d MB", MaxImageBytes>>20)
}

// imageUploadError turns running past the body's limit into too_large.
func imageUploadError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) || errs.CodeOf(err) == errs.TooLarge {
		return imageTooLarge()
	}
	return err
}

// Serve sends an image's content as its own type, never sniffed, in a
// sandbox should it be opened as a page, and kept in no cache.
func (f *ImageFiles) Serve(w http.ResponseWriter, r *http.Request, img Image) error {
	file, err := f.blobs.Open(img.StorageKey)
	if err != nil {
		return errs.Wrap(errs.Internal, err, "chat image %d has no stored file", img.ID)
	}
	defer func() {
		if err := file.Close(); err != nil {
			f.log.WarnContext(r.Context(), "close chat image", "image", img.ID, "err", err)
		}
	}()
	w.Header().Set("Cache-Control", "private, no-store")
	name := "chat-image-" + strconv.FormatInt(img.ID, 10) + img.Ext()
	httpx.ServeStored(w, r, f.log, file, httpx.Stored{ContentType: img.ContentType,
		Disposition: strings.Replace(httpx.ContentDisposition(name), "attachment", "inline", 1), SHA256: img.SHA256, ModTime: img.CreatedAt})
	return nil
}

// Ext is the file name extension of the image's type.
func (img Image) Ext() string {
	if img.ContentType == TypePNG {
		return ".png"
	}
	return ".jpg"
}

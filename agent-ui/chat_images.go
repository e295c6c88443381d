package agentui

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/webchat"
)

// How fast images may come: per client address and per chat (a citizen
// photographing a pothole sends a few, not a hundred), and how fast the
// citizens' pages may fetch them (a reload fetches every image again).
var (
	imageUploadRate = CitizenLimit{PerSecond: 1.0 / 6, Burst: 10}
	imageChatRate   = CitizenLimit{PerSecond: 1.0 / 10, Burst: 6}
	imageReadRate   = CitizenLimit{PerSecond: 5, Burst: 100}
)

// imageDecoders bounds the images decoded at once on this server: a
// 40-megapixel image takes a few hundred megabytes while it is decoded.
const imageDecoders = 2

// maxImageBody is an image upload's body: the image and, for a
// multipart form, the framing around it.
const maxImageBody = webchat.MaxImageBytes + 64<<10

// chatImages serves the images of web chats: the citizens' uploads and
// downloads under /public/chat/images (the chat's resume token as a
// bearer token), the staff's under /api/v1/chats/{id}/images.
type chatImages struct {
	srv     *Server
	images  *webchat.Images
	uploads *clientLimiter // per address
	perChat *clientLimiter // per chat
	reads   *clientLimiter // per address
	slots   chan struct{}  // images being decoded
}

func newChatImages(s *Server, images *webchat.Images) *chatImages {
	return &chatImages{srv: s, images: images, uploads: newClientLimiter(imageUploadRate),
		perChat: newClientLimiter(imageChatRate), reads: newClientLimiter(imageReadRate), slots: make(chan struct{}, imageDecoders)}
}

// chatImageRoutes mounts the chat images when web chat runs here.
func (s *Server) chatImageRoutes() {
	if s.chatImages == nil {
		return
	}
	ci := s.chatImages
	s.mux.Handle("POST /public/chat/images", s.public(ci.citizenUpload))
	s.mux.Handle("GET /public/chat/images/{id}", s.public(ci.citizenDownload))
	s.mux.Handle("POST /api/v1/chats/{id}/images", s.authed(ci.agentUpload, staffRoles...))
	s.mux.Handle("GET /api/v1/chats/{id}/images/{image}", s.authed(withQuery(ci.staffDownload), staffRoles...))
}

// imageView is a stored image as an upload's answer shows it.
type imageView struct {
	Seq         int    `json:"seq"`
	Attachment  string `json:"attachment"`
	ID          int64  `json:"id"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
}

// citizenGate checks what every citizen image request must pass: the
// Origin of the chat's pages (as /ws/chat) and the address's limit.
func (ci *chatImages) citizenGate(r *http.Request, lim *clientLimiter) error {
	if origin := r.Header.Get("Origin"); origin != "" && !originAllowed(r, origin, ci.srv.chatOrigins) {
		return errs.E(errs.Forbidden, "requests from %s are not accepted", clip(origin, 80))
	}
	if ok, wait := lim.allow(clientKey(r), ci.srv.clock.Now()); !ok {
		return &errs.Error{Code: errs.RateLimited, Message: "too many images; try again shortly", RetryAfter: wait}
	}
	return nil
}

// chatToken is the resume token a citizen's request carries as
// "Authorization: Bearer"; never a cookie, never the URL.
func chatToken(r *http.Request) (webchat.Token, error) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || strings.TrimSpace(tok) == "" {
		return "", errs.E(errs.Unauthorized, "send the chat's token as Authorization: Bearer")
	}
	return webchat.Token(strings.TrimSpace(tok)), nil
}

// citizenUpload stores a citizen's image as the chat's next message. The
// token and the chat are checked before the body is read.
func (ci *chatImages) citizenUpload(w http.ResponseWriter, r *http.Request) error {
	if err := ci.citizenGate(r, ci.uploads); err != nil {
		return err
	}
	tok, err := chatToken(r)
	if err != nil {
		return err
	}
	c, err := ci.images.CitizenChat(r.Context(), tok)
	if err != nil {
		return err
	}
	if ok, wait := ci.perChat.allow("chat:"+strconv.FormatInt(c.ID, 10), ci.srv.clock.Now()); !ok {
		return &errs.Error{Code: errs.RateLimited, Message: "too many images in this chat; try again shortly", RetryAfter: wait}
	}
	return ci.upload(w, r, c.ID, "")
}

// agentUpload stores an image of the agent who has the chat.
func (ci *chatImages) agentUpload(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return errs.E(errs.NotFound, "no chat %q", clip(r.PathValue("id"), 40))
	}
	if _, err := ci.images.AgentChat(r.Context(), id, a.Username); err != nil {
		return err
	}
	return ci.upload(w, r, id, a.Username)
}

// upload reads, cleans and stores the request's image and sends it into
// the chat; X-Client-Id makes a resend answer the first copy (200).
func (ci *chatImages) upload(w http.ResponseWriter, r *http.Request, chatID int64, agent string) error {
	clientID := r.Header.Get("X-Client-Id")
	if err := webchat.CheckClientID(clientID); err != nil {
		return err
	}
	data, err := readImage(w, r)
	if err != nil {
		return err
	}
	clean, err := ci.clean(r.Context(), data)
	if err != nil {
		return err
	}
	s := ci.srv
	blob, err := s.files.Put(r.Context(), bytes.NewReader(clean.Data), webchat.MaxStoredImageBytes)
	if err != nil {
		return err
	}
	// The client going away now must not leave a blob nobody recorded.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), recordTimeout)
	defer cancel()
	m, img, dup, err := ci.images.Send(ctx, chatID, agent, clientID, webchat.Image{ContentType: clean.ContentType,
		Size: blob.Size, SHA256: blob.SHA256, StorageKey: blob.Key, Width: clean.Width, Height: clean.Height})
	if err != nil || dup {
		if rmErr := s.files.Remove(blob.Key); rmErr != nil {
			s.log.ErrorContext(ctx, "remove the file of an unrecorded chat image", "key", blob.Key, "err", rmErr)
		}
	}
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if dup {
		status = http.StatusOK
	}
	writeJSON(w, status, imageView{Seq: m.Seq, Attachment: m.Attachment, ID: img.ID, ContentType: img.ContentType,
		Size: img.Size, Width: img.Width, Height: img.Height})
	return nil
}

// clean decodes and re-encodes an image, a few at a time.
func (ci *chatImages) clean(ctx context.Context, data []byte) (webchat.CleanImage, error) {
	select {
	case ci.slots <- struct{}{}:
	case <-ctx.Done():
		return webchat.CleanImage{}, errs.Wrap(errs.Unavailable, ctx.Err(), "the upload was abandoned")
	}
	defer func() { <-ci.slots }()
	return webchat.Clean(data)
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
		part, err := filePart(r)
		if err != nil {
			return nil, imageUploadError(err)
		}
		src = part
	}
	data, err := io.ReadAll(io.LimitReader(src, webchat.MaxImageBytes+1))
	if err != nil {
		return nil, imageUploadError(errs.Wrap(errs.Invalid, err, "could not read the upload"))
	}
	if len(data) > webchat.MaxImageBytes {
		return nil, imageTooLarge()
	}
	return data, nil
}

func imageTooLarge() error {
	return errs.E(errs.TooLarge, "an image may be at most %d MB", webchat.MaxImageBytes>>20)
}

// imageUploadError turns running past the body's limit into too_large.
func imageUploadError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) || errs.CodeOf(err) == errs.TooLarge {
		return imageTooLarge()
	}
	return err
}

// citizenDownload sends an image of the token's chat.
func (ci *chatImages) citizenDownload(w http.ResponseWriter, r *http.Request) error {
	if len(r.URL.Query()) > 0 {
		return errs.E(errs.Invalid, "this endpoint takes no query parameters")
	}
	if err := ci.citizenGate(r, ci.reads); err != nil {
		return err
	}
	tok, err := chatToken(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	img, err := ci.images.ForCitizen(r.Context(), tok, id)
	if err != nil {
		return err
	}
	return ci.serve(w, r, img)
}

// staffDownload sends an image of a chat to its agent or an overseer.
func (ci *chatImages) staffDownload(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	chatID, err := pathID(r, "id")
	if err != nil {
		return err
	}
	id, err := pathID(r, "image")
	if err != nil {
		return err
	}
	img, err := ci.images.ForStaff(r.Context(), chatID, id, a.Username, a.Is(overseers...))
	if err != nil {
		return err
	}
	return ci.serve(w, r, img)
}

// pathID reads a positive id of the path; anything else is not found.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.E(errs.NotFound, "no %s %q", name, clip(r.PathValue(name), 40))
	}
	return id, nil
}

// serve sends an image's content as its own type, never sniffed, in a
// sandbox should it be opened as a page, and kept in no cache.
func (ci *chatImages) serve(w http.ResponseWriter, r *http.Request, img webchat.Image) error {
	s := ci.srv
	f, err := s.files.Open(img.StorageKey)
	if err != nil {
		return errs.Wrap(errs.Internal, err, "chat image %d has no stored file", img.ID)
	}
	defer func() {
		if err := f.Close(); err != nil {
			s.log.WarnContext(r.Context(), "close chat image", "image", img.ID, "err", err)
		}
	}()
	h := w.Header()
	h.Set("Content-Type", img.ContentType)
	h.Set("Content-Disposition", strings.Replace(contentDisposition("chat-image-"+strconv.FormatInt(img.ID, 10)+imageExt(img)), "attachment", "inline", 1))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox")
	h.Set("Cache-Control", "private, no-store")
	h.Set("ETag", `"`+img.SHA256+`"`)
	s.allowSlowTransfer(w, r, false)
	http.ServeContent(w, r, "", img.CreatedAt, f)
	return nil
}

// imageExt is the file name extension of an image's type.
func imageExt(img webchat.Image) string {
	if img.ContentType == webchat.TypePNG {
		return ".png"
	}
	return ".jpg"
}

package citizenweb

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/internal/httpx"
	"github.com/open12345/hotline/webchat"
)

// How fast images may come: per client address and per chat (a citizen
// photographing a pothole sends a few, not a hundred), and how fast the
// citizens' pages may fetch them (a reload fetches every image again).
var (
	imageUploadRate = httpx.Rate{PerSecond: 1.0 / 6, Burst: 10}
	imageChatRate   = httpx.Rate{PerSecond: 1.0 / 10, Burst: 6}
	imageReadRate   = httpx.Rate{PerSecond: 5, Burst: 100}
)

// chatImages serves the citizens' uploads and downloads of chat images
// under /public/chat/images, the chat's resume token as a bearer token.
type chatImages struct {
	srv     *Server
	images  *webchat.Images
	files   *webchat.ImageFiles
	uploads *httpx.Limiter // per address
	perChat *httpx.Limiter // per chat
	reads   *httpx.Limiter // per address
}

func newChatImages(s *Server, images *webchat.Images, files *webchat.ImageFiles) *chatImages {
	return &chatImages{srv: s, images: images, files: files, uploads: httpx.NewLimiter(imageUploadRate),
		perChat: httpx.NewLimiter(imageChatRate), reads: httpx.NewLimiter(imageReadRate)}
}

// chatImageRoutes mounts the chat images when web chat runs here.
func (s *Server) chatImageRoutes(m *http.ServeMux) {
	if s.chatImages == nil {
		return
	}
	ci := s.chatImages
	m.Handle("POST /public/chat/images", httpx.Handle(s.log, ci.citizenUpload))
	m.Handle("GET /public/chat/images/{id}", httpx.Handle(s.log, ci.citizenDownload))
}

// citizenGate checks what every citizen image request must pass: the
// Origin of the chat's pages (as /ws/chat) and the address's limit.
func (ci *chatImages) citizenGate(r *http.Request, lim *httpx.Limiter) error {
	if origin := r.Header.Get("Origin"); origin != "" && !httpx.OriginAllowed(r, origin, ci.srv.chatOrigins) {
		return errs.E(errs.Forbidden, "requests from %s are not accepted", httpx.Clip(origin, 80))
	}
	if ok, wait := lim.Allow(httpx.ClientKey(r), ci.srv.clock.Now()); !ok {
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
	if ok, wait := ci.perChat.Allow("chat:"+strconv.FormatInt(c.ID, 10), ci.srv.clock.Now()); !ok {
		return &errs.Error{Code: errs.RateLimited, Message: "too many images in this chat; try again shortly", RetryAfter: wait}
	}
	return ci.files.Upload(w, r, c.ID, "")
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
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	img, err := ci.images.ForCitizen(r.Context(), tok, id)
	if err != nil {
		return err
	}
	return ci.files.Serve(w, r, img)
}

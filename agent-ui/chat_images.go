package agentui

import (
	"net/http"
	"strconv"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/internal/httpx"
)

// chatImageRoutes mounts the staff's side of chat images under
// /api/v1/chats/{id}/images when web chat runs here; the citizens' side
// is citizenweb's.
func (s *Server) chatImageRoutes() {
	if s.chatImages == nil {
		return
	}
	s.mux.Handle("POST /api/v1/chats/{id}/images", s.authed(s.agentImageUpload, staffRoles...))
	s.mux.Handle("GET /api/v1/chats/{id}/images/{image}", s.authed(withQuery(s.staffImageDownload), staffRoles...))
}

// agentImageUpload stores an image of the agent who has the chat.
func (s *Server) agentImageUpload(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return errs.E(errs.NotFound, "no chat %q", httpx.Clip(r.PathValue("id"), 40))
	}
	if _, err := s.chatImages.AgentChat(r.Context(), id, a.Username); err != nil {
		return err
	}
	return s.imageFiles.Upload(w, r, id, a.Username)
}

// staffImageDownload sends an image of a chat to its agent or an overseer.
func (s *Server) staffImageDownload(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	chatID, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	id, err := httpx.PathID(r, "image")
	if err != nil {
		return err
	}
	img, err := s.chatImages.ForStaff(r.Context(), chatID, id, a.Username, a.Is(overseers...))
	if err != nil {
		return err
	}
	return s.imageFiles.Serve(w, r, img)
}

// Package citizenweb is the citizens' side of the hotline over HTTP: the
// pages (web form, progress lookup, chat, guides), the chat widget, the
// public API, the chat socket and the chat images, and their rate limits.
// It is served under the staff server's edge (agent-ui), on the same mux,
// so that both share one set of checks, headers and metrics.
package citizenweb

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/files"
	"github.com/open12345/hotline/internal/httpx"
	"github.com/open12345/hotline/knowledge"
	"github.com/open12345/hotline/phonecode"
	"github.com/open12345/hotline/quota"
	"github.com/open12345/hotline/ticketing"
	"github.com/open12345/hotline/webchat"
)

// DefaultLimit allows a person typing in a search box, not a scraper.
var DefaultLimit = httpx.Rate{PerSecond: 2, Burst: 20}

// Deps are what the citizens' side serves.
type Deps struct {
	Tickets *ticketing.Service
	Guides  *knowledge.Service
	// Codes send and check the SMS codes of the web form; Quotas count
	// what citizens do across instances.
	Codes        *phonecode.Service
	Quotas       quota.Store
	PublicLimits PublicLimits // zero: DefaultPublicLimits
	// Limit bounds the public endpoints per client address (zero:
	// DefaultLimit).
	Limit httpx.Rate
	Clock clock.Clock
	Log   *slog.Logger

	// Chats is the web chat; nil: no /ws/chat. ChatOrigins are the pages
	// besides the server's own that may open it and embed the chat page.
	Chats       *webchat.Service
	ChatOrigins []string
	// ChatImages are the chats' images, their contents in Files; nil:
	// chats take text only.
	ChatImages *webchat.Images
	Files      *files.Store
}

// Server is the citizens' side: its routes go on the staff server's mux
// (Routes), its chat socket under the same edge (ChatSocket).
type Server struct {
	tickets      *ticketing.Service
	guides       *knowledge.Service
	codes        *phonecode.Service
	quotas       quota.Store
	publicLimits PublicLimits
	clock        clock.Clock
	log          *slog.Logger
	// perClient rate-limits the public endpoints.
	perClient *httpx.Limiter
	// chatOrigins are the portals besides the server itself that may
	// embed the chat (HOTLINE_CHAT_ORIGINS).
	chatOrigins []string
	chats       *webchat.Socket // nil: no chat
	chatImages  *chatImages     // nil: none
}

// New returns the citizens' side for deps. Close ends its chat sockets.
func New(deps Deps) (*Server, error) {
	if deps.Tickets == nil || deps.Guides == nil || deps.Codes == nil || deps.Quotas == nil || deps.Clock == nil || deps.Log == nil {
		return nil, errors.New("citizenweb: Deps.Tickets, Guides, Codes, Quotas, Clock and Log are required")
	}
	if deps.ChatImages != nil && deps.Files == nil {
		return nil, errors.New("citizenweb: Deps.ChatImages needs Files")
	}
	if deps.PublicLimits == (PublicLimits{}) {
		deps.PublicLimits = DefaultPublicLimits
	}
	if deps.Limit.PerSecond <= 0 || deps.Limit.Burst <= 0 {
		deps.Limit = DefaultLimit
	}
	s := &Server{tickets: deps.Tickets, guides: deps.Guides, codes: deps.Codes, quotas: deps.Quotas,
		publicLimits: deps.PublicLimits, clock: deps.Clock, log: deps.Log,
		perClient: httpx.NewLimiter(deps.Limit), chatOrigins: deps.ChatOrigins}
	if deps.Chats != nil {
		s.chats = s.chatSocket(deps.Chats)
		if deps.ChatImages != nil {
			s.chatImages = newChatImages(s, deps.ChatImages, webchat.NewImageFiles(deps.ChatImages, deps.Files, deps.Log))
		}
	}
	return s, nil
}

// Routes registers the citizens' pages and public API on m.
func (s *Server) Routes(m *http.ServeMux) {
	s.pageRoutes(m)
	s.publicTicketRoutes(m)
	m.Handle("GET /api/v1/public/guides/search", s.citizen(s.publicSearchGuides))
	s.chatImageRoutes(m)
}

// ChatSocket is /ws/chat; nil when no chat runs here.
func (s *Server) ChatSocket() http.Handler {
	if s.chats == nil {
		return nil
	}
	return s.chats
}

// Close ends every chat socket.
func (s *Server) Close() {
	if s.chats != nil {
		s.chats.Close()
	}
}

// citizen wraps a handler for the public, rate-limited per client address.
func (s *Server) citizen(h func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return httpx.Handle(s.log, func(w http.ResponseWriter, r *http.Request) error {
		if ok, wait := s.perClient.Allow(httpx.ClientKey(r), s.clock.Now()); !ok {
			return &errs.Error{Code: errs.RateLimited, Message: "too many requests; try again shortly", RetryAfter: wait}
		}
		return h(w, r)
	})
}

package citizenweb

import (
	"net/http"

	"github.com/open12345/hotline/internal/httpx"
	"github.com/open12345/hotline/webchat"
)

// newChatRate is how often one address may start a chat: a family
// behind one router, not a script.
var newChatRate = httpx.Rate{PerSecond: 1.0 / 12, Burst: 10}

// chatSocket is /ws/chat under the edge: Origin the server's own or one
// of the chat's origins, the client's address as the edge found it, and
// new chats bounded per address.
func (s *Server) chatSocket(chats *webchat.Service) *webchat.Socket {
	newChats := httpx.NewLimiter(newChatRate)
	return webchat.NewSocket(chats, webchat.SocketConfig{
		OriginAllowed: func(r *http.Request) bool {
			origin := r.Header.Get("Origin")
			return origin == "" || httpx.OriginAllowed(r, origin, s.chatOrigins)
		},
		ClientAddr: httpx.ClientAddr,
		AllowNewChat: func(addr string) bool {
			ok, _ := newChats.Allow(httpx.LimitKey(addr), s.clock.Now())
			return ok
		},
	})
}

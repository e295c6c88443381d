package webchat

import "sync"

// listenerBuffer is how many messages a listener may fall behind before
// it is dropped: a dropped listener's client resumes from its last seq
// and loses nothing, so a slow reader never holds up a chat.
const listenerBuffer = 64

// Hub tells a chat's listeners on this node (the citizen's sockets, the
// agent's console) of each message once it is stored.
type Hub struct {
	mu     sync.Mutex
	byChat map[int64]map[*Listener]struct{}
}

// A Listener receives a chat's messages until it is closed or falls
// behind; then C is closed.
type Listener struct {
	C    <-chan Message
	c    chan Message
	chat int64
	hub  *Hub
	once sync.Once
}

// NewHub returns a Hub without listeners.
func NewHub() *Hub { return &Hub{byChat: map[int64]map[*Listener]struct{}{}} }

// Listen starts listening to a chat's new messages.
func (h *Hub) Listen(chatID int64) *Listener {
	c := make(chan Message, listenerBuffer)
	l := &Listener{C: c, c: c, chat: chatID, hub: h}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.byChat[chatID] == nil {
		h.byChat[chatID] = map[*Listener]struct{}{}
	}
	h.byChat[chatID][l] = struct{}{}
	return l
}

// Close stops the listener; C is closed.
func (l *Listener) Close() {
	l.hub.mu.Lock()
	defer l.hub.mu.Unlock()
	l.closeLocked()
}

func (l *Listener) closeLocked() {
	l.once.Do(func() {
		ls := l.hub.byChat[l.chat]
		delete(ls, l)
		if len(ls) == 0 {
			delete(l.hub.byChat, l.chat)
		}
		close(l.c)
	})
}

// Publish tells the chat's listeners of m, dropping those that fell behind.
func (h *Hub) Publish(m Message) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for l := range h.byChat[m.ChatID] {
		select {
		case l.c <- m:
		default:
			l.closeLocked()
		}
	}
}

// Listeners returns how many listeners the chat has, for tests and metrics.
func (h *Hub) Listeners(chatID int64) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.byChat[chatID])
}

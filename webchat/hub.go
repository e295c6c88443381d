package webchat

import "sync"

// listenerBuffer is how many messages a listener may fall behind before
// it is dropped: a dropped listener's client resumes from its last seq
// and loses nothing, so a slow reader never holds up a chat.
const listenerBuffer = 64

// Hub tells a chat's listeners on this node (the citizen's sockets, the
// agent's console) of each message once it is stored, and of the signals
// that are not part of the transcript.
type Hub struct {
	mu     sync.Mutex
	byChat map[int64]map[*Listener]struct{}
	all    map[*Listener]struct{} // every chat's events: the staff consoles' hub
}

// Event is what a chat's listeners are told: a stored message, or a
// signal outside the transcript (the queue position, an agent joining).
type Event struct {
	Chat    int64
	Message *Message
	Signal  string // with Message nil: "queue", "agent.joined", "rate.request"
	Data    any
}

// A Listener receives a chat's events until it is closed or falls
// behind; then C is closed.
type Listener struct {
	C    <-chan Event
	c    chan Event
	chat int64
	hub  *Hub
	once sync.Once
}

// NewHub returns a Hub without listeners.
func NewHub() *Hub {
	return &Hub{byChat: map[int64]map[*Listener]struct{}{}, all: map[*Listener]struct{}{}}
}

// allBuffer is how far a listener to every chat may fall behind.
const allBuffer = 4096

// ListenAll starts listening to every chat's events, each with its chat
// in Event.Chat.
func (h *Hub) ListenAll() *Listener {
	c := make(chan Event, allBuffer)
	l := &Listener{C: c, c: c, chat: allChats, hub: h}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.all[l] = struct{}{}
	return l
}

// allChats marks the listener to every chat.
const allChats = -1

// Listen starts listening to a chat's new messages.
func (h *Hub) Listen(chatID int64) *Listener {
	c := make(chan Event, listenerBuffer)
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
		if l.chat == allChats {
			delete(l.hub.all, l)
		} else {
			ls := l.hub.byChat[l.chat]
			delete(ls, l)
			if len(ls) == 0 {
				delete(l.hub.byChat, l.chat)
			}
		}
		close(l.c)
	})
}

// Publish tells the chat's listeners of the stored message m.
func (h *Hub) Publish(m Message) { h.tell(m.ChatID, Event{Chat: m.ChatID, Message: &m}) }

// Signal tells the chat's listeners of something outside the transcript.
func (h *Hub) Signal(chatID int64, signal string, data any) {
	h.tell(chatID, Event{Chat: chatID, Signal: signal, Data: data})
}

// tell sends ev to the chat's listeners, dropping those that fell behind.
func (h *Hub) tell(chatID int64, ev Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ls := range []map[*Listener]struct{}{h.byChat[chatID], h.all} {
		for l := range ls {
			select {
			case l.c <- ev:
			default:
				l.closeLocked()
			}
		}
	}
}

// Listeners returns how many listeners the chat has, for tests and metrics.
func (h *Hub) Listeners(chatID int64) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.byChat[chatID])
}

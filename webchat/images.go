package webchat

import (
	"context"

	"github.com/open12345/hotline/errs"
)

// ImageStore keeps the images sent in chats.
type ImageStore interface {
	// AppendImage stores img and the message m that shows it (its
	// Attachment set to the image's ref) as the chat's next message, in
	// one transaction under the chat's lock. A message with the ClientID
	// of one already stored stores nothing and returns the stored message
	// (and its image, when it shows one) with duplicate set.
	// Errors: not_found (no such chat), invalid.
	AppendImage(ctx context.Context, m Message, img Image) (Message, Image, bool, error)
	// Image returns an image by id. Errors: not_found.
	Image(ctx context.Context, id int64) (Image, error)
	// ChatImages returns the chat's images, oldest first.
	ChatImages(ctx context.Context, chatID int64) ([]Image, error)
}

// ImageText is the text of a message that shows an image, for clients
// that show text only and for the history's search.
const ImageText = "[图片]"

// Images are the pictures of chats: a citizen's photo of a broken street
// lamp, an agent's map. Each is a message of the transcript, told like
// any other once it is stored.
type Images struct {
	chats *Service
	store ImageStore
	slots chan struct{} // images being decoded
}

// imageDecoders bounds the images decoded at once on this server: a
// 40-megapixel image takes a few hundred megabytes while it is decoded.
const imageDecoders = 2

// NewImages returns the images of the chats of svc, kept in store.
func NewImages(svc *Service, store ImageStore) *Images {
	return &Images{chats: svc, store: store, slots: make(chan struct{}, imageDecoders)}
}

// Clean is the package's Clean, a few images at a time on this server,
// whoever sends them. Errors: those of Clean; unavailable when ctx ends
// while the image waits.
func (im *Images) Clean(ctx context.Context, data []byte) (CleanImage, error) {
	select {
	case im.slots <- struct{}{}:
	case <-ctx.Done():
		return CleanImage{}, errs.Wrap(errs.Unavailable, ctx.Err(), "the upload was abandoned")
	}
	defer func() { <-im.slots }()
	return Clean(data)
}

// CitizenChat returns the chat of a token that may take an image now,
// so that the edge refuses before it reads an upload. Errors:
// unauthorized (a token of no chat), conflict (the chat has ended).
func (im *Images) CitizenChat(ctx context.Context, tok Token) (Chat, error) {
	c, err := im.chats.Resume(ctx, tok)
	if err == nil && c.State == StateClosed {
		err = errs.E(errs.Conflict, "this chat has ended; start a new one")
	}
	return c, err
}

// AgentChat returns the chat an agent may send an image into now: one
// the agent has. Errors: not_found (none, or another agent's), conflict
// (the agent's chat has ended).
func (im *Images) AgentChat(ctx context.Context, chatID int64, agent string) (Chat, error) {
	c, err := im.chats.store.Chat(ctx, chatID)
	switch {
	case errs.CodeOf(err) == errs.NotFound || err == nil && c.Agent != agent:
		return Chat{}, errs.E(errs.NotFound, "no chat %d of yours is open", chatID)
	case err != nil:
		return Chat{}, err
	case c.State == StateClosed:
		return Chat{}, errs.E(errs.Conflict, "chat %d has ended", chatID)
	case c.State != StateAgent:
		return Chat{}, errs.E(errs.NotFound, "no chat %d of yours is open", chatID)
	}
	return c, nil
}

// Send stores a cleaned, stored image as the chat's next message, from
// the citizen (agent "") or the agent, and tells the chat's listeners.
// A resend with the same clientID stores nothing and returns the first
// copy with duplicate set; the caller then removes its blob. Errors:
// invalid, conflict (the chat has ended), not_found.
func (im *Images) Send(ctx context.Context, chatID int64, agent, clientID string, img Image) (Message, Image, bool, error) {
	if err := CheckClientID(clientID); err != nil {
		return Message{}, Image{}, false, err
	}
	c, err := im.chats.store.Chat(ctx, chatID)
	if err != nil {
		return Message{}, Image{}, false, err
	}
	if c.State == StateClosed {
		return Message{}, Image{}, false, errs.E(errs.Conflict, "this chat has ended")
	}
	now := im.chats.clock.Now()
	img.ChatID, img.From, img.Agent, img.CreatedAt = chatID, FromCitizen, "", now
	m := Message{ChatID: chatID, From: FromCitizen, Text: ImageText, At: now, ClientID: clientID}
	if agent != "" {
		img.From, img.Agent = FromAgent, agent
		m.From, m.Agent = FromAgent, agent
	}
	m, img, dup, err := im.store.AppendImage(ctx, m, img)
	if err != nil {
		return Message{}, Image{}, false, err
	}
	if !dup {
		im.chats.hub.Publish(m)
	}
	return m, img, dup, nil
}

// ForCitizen returns an image of the token's chat. An image of another
// chat is not found, as one that does not exist. Errors: unauthorized,
// not_found.
func (im *Images) ForCitizen(ctx context.Context, tok Token, id int64) (Image, error) {
	c, err := im.chats.Resume(ctx, tok)
	if err != nil {
		return Image{}, err
	}
	return im.inChat(ctx, c.ID, id)
}

// ForStaff returns an image of a chat for the chat's agent, or for an
// overseer (a supervisor or admin). Errors: not_found (also for an agent
// of another chat).
func (im *Images) ForStaff(ctx context.Context, chatID, id int64, user string, overseer bool) (Image, error) {
	c, err := im.chats.store.Chat(ctx, chatID)
	if errs.CodeOf(err) == errs.NotFound || err == nil && !overseer && (c.Agent == "" || c.Agent != user) {
		return Image{}, errs.E(errs.NotFound, "chat %d has no image %d", chatID, id)
	}
	if err != nil {
		return Image{}, err
	}
	return im.inChat(ctx, chatID, id)
}

// OfChat returns every image of a chat, oldest first.
func (im *Images) OfChat(ctx context.Context, chatID int64) ([]Image, error) {
	return im.store.ChatImages(ctx, chatID)
}

func (im *Images) inChat(ctx context.Context, chatID, id int64) (Image, error) {
	img, err := im.store.Image(ctx, id)
	if errs.CodeOf(err) == errs.NotFound || err == nil && img.ChatID != chatID {
		return Image{}, errs.E(errs.NotFound, "chat %d has no image %d", chatID, id)
	}
	return img, err
}

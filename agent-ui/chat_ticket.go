package agentui

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/ticketing"
	"github.com/open12345/hotline/webchat"
)

// chatRecordTimeout bounds attaching a chat's transcript and images to
// the ticket made from it.
const chatRecordTimeout = 2 * time.Minute

// utf8BOM starts the transcript, so that every editor opens it as UTF-8.
const utf8BOM = "\uFEFF"

// attachChatRecord attaches to a ticket made from a chat what the chat
// holds: the transcript as a text file (会话记录-{chat}.txt, phone and ID
// numbers masked, since attachments reach departments) and each image,
// through the ticketing attachment path staff uploads take, within the
// ticket's limits. It is done once, when the ticket is created; what
// fails is logged, and the ticket stands.
func (s *Server) attachChatRecord(ctx context.Context, a auth.Actor, t *ticketing.Ticket, chatID int64) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), chatRecordTimeout)
	defer cancel()
	if err := s.attachChat(ctx, a, t.ID, chatID); err != nil {
		s.log.WarnContext(ctx, "the chat's record not attached to its ticket", "ticket", t.ID, "chat", chatID, "err", err)
	}
}

func (s *Server) attachChat(ctx context.Context, a auth.Actor, ticketID, chatID int64) error {
	c, ms, err := s.chatsSvc.Chat(ctx, chatID)
	if err != nil {
		return err
	}
	var imgs []webchat.Image
	if s.chatImages != nil {
		if imgs, err = s.chatImages.OfChat(ctx, chatID); err != nil {
			return err
		}
	}
	byRef := map[string]webchat.Image{}
	for _, img := range imgs {
		byRef[webchat.ImageRef(img.ID)] = img
	}
	names := map[string]string{} // image ref → its attachment's name
	var order []webchat.Image
	for _, m := range ms {
		if img, ok := byRef[m.Attachment]; ok {
			names[m.Attachment] = fmt.Sprintf("会话图片-%d-%d%s", chatID, m.Seq, img.Ext())
			order = append(order, img)
		}
	}
	text := webchat.TranscriptText(c, ms, s.tickets.Location(), ticketing.MaskText, func(ref string) string {
		if n, ok := names[ref]; ok {
			return n
		}
		return "图片"
	})
	name := fmt.Sprintf("会话记录-%d.txt", chatID)
	if err := s.attachFile(ctx, a, ticketID, name, ticketing.TextType, bytes.NewReader([]byte(utf8BOM+text))); err != nil {
		return fmt.Errorf("attach the transcript: %w", err)
	}
	for _, img := range order {
		if err := s.attachImage(ctx, a, ticketID, names[webchat.ImageRef(img.ID)], img); err != nil {
			return fmt.Errorf("attach chat image %d: %w", img.ID, err)
		}
	}
	return nil
}

// attachImage copies a chat image into a ticket's attachment: the two
// keep their own blobs, so neither's removal touches the other.
func (s *Server) attachImage(ctx context.Context, a auth.Actor, ticketID int64, name string, img webchat.Image) error {
	f, err := s.files.Open(img.StorageKey)
	if err != nil {
		return errs.Wrap(errs.Internal, err, "chat image %d has no stored file", img.ID)
	}
	attachErr := s.attachFile(ctx, a, ticketID, name, img.ContentType, f)
	if err := f.Close(); err != nil {
		s.log.WarnContext(ctx, "close chat image", "image", img.ID, "err", err)
	}
	return attachErr
}

// attachFile stores content and records it as the ticket's attachment,
// removing the blob again when it cannot be recorded (a full ticket).
func (s *Server) attachFile(ctx context.Context, a auth.Actor, ticketID int64, name, contentType string, content io.Reader) error {
	blob, err := s.files.Put(ctx, content, ticketing.MaxAttachmentSize)
	if err != nil {
		return err
	}
	_, err = s.tickets.Attach(ctx, a, ticketID, name, contentType, ticketing.StoredFile{Key: blob.Key, Size: blob.Size, SHA256: blob.SHA256})
	if err != nil {
		if rmErr := s.files.Remove(blob.Key); rmErr != nil {
			s.log.ErrorContext(ctx, "remove the file of an unrecorded attachment", "key", blob.Key, "err", rmErr)
		}
	}
	return err
}

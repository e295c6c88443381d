package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/postgres/pgtest"
	"github.com/open12345/hotline/webchat"
)

func testImage(key string) webchat.Image {
	return webchat.Image{ContentType: webchat.TypeJPEG, Size: 1234, SHA256: strings.Repeat("ab", 32), StorageKey: key,
		Width: 40, Height: 30, From: webchat.FromCitizen, CreatedAt: chatStart}
}

// An image is the chat's next message, named by its ref; a resend with
// the same client_id stores nothing and answers the first copy.
func TestChatStore_AppendImageOnce(t *testing.T) {
	ctx := context.Background()
	s := postgres.NewChatStore(pgtest.NewDB(t))
	c, _ := newChat(t, s)
	m := webchat.Message{ChatID: c.ID, From: webchat.FromCitizen, Text: webchat.ImageText, At: chatStart, ClientID: "p1"}
	first, img, dup, err := s.AppendImage(ctx, m, testImage("k1"))
	if err != nil || dup || first.Seq != 1 || first.Attachment != webchat.ImageRef(img.ID) || img.ID == 0 {
		t.Fatalf("AppendImage: %+v %+v %v %v", first, img, dup, err)
	}
	again, img2, dup, err := s.AppendImage(ctx, m, testImage("k2"))
	if err != nil || !dup || again.Seq != 1 || img2.ID != img.ID || img2.StorageKey != "k1" {
		t.Errorf("the resend: %+v %+v %v %v", again, img2, dup, err)
	}
	ms, err := s.MessagesAfter(ctx, c.ID, 0, 10)
	if err != nil || len(ms) != 1 || ms[0].Attachment != first.Attachment {
		t.Errorf("the transcript: %+v %v", ms, err)
	}
	imgs, err := s.ChatImages(ctx, c.ID)
	if err != nil || len(imgs) != 1 || imgs[0].Width != 40 || imgs[0].From != webchat.FromCitizen {
		t.Errorf("the chat's images: %+v %v", imgs, err)
	}
	if _, err := s.Image(ctx, img.ID+100); errs.CodeOf(err) != errs.NotFound {
		t.Errorf("an image that does not exist: %v", err)
	}
	if _, _, _, err := s.AppendImage(ctx, webchat.Message{ChatID: c.ID + 100, From: webchat.FromCitizen, Text: "x", At: chatStart},
		testImage("k3")); errs.CodeOf(err) != errs.NotFound {
		t.Errorf("an image of no chat: %v", err)
	}
}

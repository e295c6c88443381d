package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/open12345/hotline/webchat"
)

var _ webchat.ImageStore = (*ChatStore)(nil)

const imageColumns = `id, chat_id, content_type, size, sha256, storage_key, width, height, sender, agent, created_at`

func scanImage(row pgx.Row) (webchat.Image, error) {
	var i webchat.Image
	err := row.Scan(&i.ID, &i.ChatID, &i.ContentType, &i.Size, &i.SHA256, &i.StorageKey, &i.Width, &i.Height,
		&i.From, &i.Agent, &i.CreatedAt)
	return i, err
}

// AppendImage stores an image and the message showing it under the
// chat's row lock, as Append stores a message; a resend (the same
// client_id) finds the first copy and stores nothing.
func (s *ChatStore) AppendImage(ctx context.Context, m webchat.Message, img webchat.Image) (webchat.Message, webchat.Image, bool, error) {
	var clientID *string
	if m.ClientID != "" {
		clientID = &m.ClientID
	}
	duplicate := false
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		var last int
		if err := tx.QueryRow(ctx, `SELECT last_seq FROM chats WHERE id = $1 FOR UPDATE`, m.ChatID).Scan(&last); err != nil {
			return err
		}
		if clientID != nil {
			stored, err := messageByClientID(ctx, tx, m.ChatID, *clientID)
			if err == nil {
				m, duplicate = stored, true
				img = webchat.Image{}
				if id, ok := webchat.ParseImageRef(m.Attachment); ok {
					img, err = scanImage(tx.QueryRow(ctx, `SELECT `+imageColumns+` FROM chat_images WHERE id = $1`, id))
				}
				return err
			}
			if !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
		}
		if err := tx.QueryRow(ctx, `INSERT INTO chat_images (chat_id, content_type, size, sha256, storage_key, width, height, sender, agent, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			m.ChatID, img.ContentType, img.Size, img.SHA256, img.StorageKey, img.Width, img.Height, img.From, img.Agent, img.CreatedAt).Scan(&img.ID); err != nil {
			return err
		}
		m.Seq, m.Attachment = last+1, webchat.ImageRef(img.ID)
		if _, err := tx.Exec(ctx, `INSERT INTO chat_messages (chat_id, seq, sender, agent, body, at, client_id, attachment)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			m.ChatID, m.Seq, m.From, m.Agent, m.Text, m.At, clientID, m.Attachment); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE chats SET last_seq = $2 WHERE id = $1`, m.ChatID, m.Seq)
		return err
	})
	if err != nil {
		return webchat.Message{}, webchat.Image{}, false, translate(err, fmt.Sprintf("store an image of chat %d", m.ChatID))
	}
	return m, img, duplicate, nil
}

// Image returns a chat image by id.
func (s *ChatStore) Image(ctx context.Context, id int64) (webchat.Image, error) {
	img, err := scanImage(s.db.Pool.QueryRow(ctx, `SELECT `+imageColumns+` FROM chat_images WHERE id = $1`, id))
	return img, translate(err, fmt.Sprintf("chat image %d", id))
}

// ChatImages returns a chat's images, oldest first.
func (s *ChatStore) ChatImages(ctx context.Context, chatID int64) ([]webchat.Image, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+imageColumns+` FROM chat_images WHERE chat_id = $1 ORDER BY id`, chatID)
	if err != nil {
		return nil, translate(err, fmt.Sprintf("images of chat %d", chatID))
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (webchat.Image, error) { return scanImage(row) })
	return out, translate(err, fmt.Sprintf("images of chat %d", chatID))
}

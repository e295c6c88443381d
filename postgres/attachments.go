package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/ticketing"
)

// attachmentColumns read an attachment, with its uploader's display name
// as the account has it now.
const attachmentColumns = `id, ticket_id, name, content_type, size, sha256, storage_key,
	coalesce(uploaded_by, 0), uploader_name,
	coalesce((SELECT u.display_name FROM users u WHERE u.id = attachments.uploaded_by), ''),
	uploader_role, uploader_department, created_at`

func scanAttachment(row pgx.Row) (ticketing.Attachment, error) {
	var a ticketing.Attachment
	err := row.Scan(&a.ID, &a.TicketID, &a.Name, &a.ContentType, &a.Size, &a.SHA256, &a.StorageKey,
		&a.UploadedBy, &a.UploaderName, &a.UploaderDisplayName, &a.UploaderRole, &a.UploaderDepartment, &a.CreatedAt)
	return a, err
}

const insertAttachmentSQL = `INSERT INTO attachments (ticket_id, name, content_type, size, sha256, storage_key,
	uploaded_by, uploader_name, uploader_role, uploader_department, created_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`

// AddAttachment locks the ticket, inserts the attachment, lets fn check it
// and build the event, and saves the ticket and the event, in one
// transaction: the history shows an attachment exactly when it exists.
func (s *TicketStore) AddAttachment(ctx context.Context, a *ticketing.Attachment,
	fn func(t *ticketing.Ticket, a *ticketing.Attachment, held ticketing.AttachmentTotals) (ticketing.Event, error)) error {
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		t, err := scanTicket(tx.QueryRow(ctx, `SELECT `+ticketColumns+` FROM tickets WHERE id = $1 FOR UPDATE`, a.TicketID))
		if errors.Is(err, pgx.ErrNoRows) {
			return errs.E(errs.NotFound, "ticket %d not found", a.TicketID)
		}
		if err != nil {
			return err
		}
		var held ticketing.AttachmentTotals
		if err := tx.QueryRow(ctx, `SELECT count(*), coalesce(sum(size), 0) FROM attachments WHERE ticket_id = $1`,
			a.TicketID).Scan(&held.Count, &held.Bytes); err != nil {
			return err
		}
		var uploader *int64
		if a.UploadedBy != 0 {
			uploader = &a.UploadedBy
		}
		if err := tx.QueryRow(ctx, insertAttachmentSQL, a.TicketID, a.Name, a.ContentType, a.Size, a.SHA256,
			a.StorageKey, uploader, a.UploaderName, a.UploaderRole, a.UploaderDepartment, a.CreatedAt).Scan(&a.ID); err != nil {
			return err
		}
		ev, err := fn(t, a, held)
		if err != nil {
			return err
		}
		return saveTickets(ctx, tx, []*ticketing.Ticket{t}, []ticketing.Event{ev})
	})
	if err != nil {
		a.ID = 0
		return translate(err, fmt.Sprintf("attach a file to ticket %d", a.TicketID))
	}
	return nil
}

// Attachments lists a ticket's attachments, oldest first.
func (s *TicketStore) Attachments(ctx context.Context, ticketID int64) ([]ticketing.Attachment, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+attachmentColumns+` FROM attachments WHERE ticket_id = $1 ORDER BY id`, ticketID)
	if err != nil {
		return nil, translate(err, "list attachments")
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ticketing.Attachment, error) { return scanAttachment(r) })
	return out, translate(err, "list attachments")
}

// Attachment returns one attachment.
func (s *TicketStore) Attachment(ctx context.Context, id int64) (ticketing.Attachment, error) {
	a, err := scanAttachment(s.db.Pool.QueryRow(ctx, `SELECT `+attachmentColumns+` FROM attachments WHERE id = $1`, id))
	if err != nil {
		return ticketing.Attachment{}, translate(err, fmt.Sprintf("attachment %d", id))
	}
	return a, nil
}

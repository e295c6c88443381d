package agentui

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/internal/httpx"
	"github.com/open12345/hotline/ticketing"
)

// maxUploadBody bounds an upload request: one file of the largest size
// allowed plus the multipart framing around it. The file itself is
// measured exactly while it is stored.
const maxUploadBody = ticketing.MaxAttachmentSize + 64<<10

// attachmentView is the JSON form of an attachment; the storage key stays inside.
type attachmentView struct {
	ID          int64     `json:"id"`
	TicketID    int64     `json:"ticket_id"`
	Name        string    `json:"name"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	UploadedBy  actorView `json:"uploaded_by"`
	CreatedAt   time.Time `json:"created_at"`
}

func viewAttachment(a ticketing.Attachment, loc *time.Location) attachmentView {
	return attachmentView{ID: a.ID, TicketID: a.TicketID, Name: a.Name, ContentType: a.ContentType,
		Size: a.Size, SHA256: a.SHA256, CreatedAt: a.CreatedAt.In(loc),
		UploadedBy: actorView{ID: a.UploadedBy, Username: a.UploaderName, DisplayName: a.UploaderDisplayName,
			Role: a.UploaderRole, Department: a.UploaderDepartment}}
}

// uploadAttachment stores the "file" field of a multipart form and records
// it. The ticket is checked before any content is read; the type comes from
// the content's first bytes, checked before anything is written; the size is
// counted while the content streams to disk. A stored file whose recording
// fails is removed again.
func (s *Server) uploadAttachment(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	id, err := s.ticketID(r, a)
	if err != nil {
		return err
	}
	if err := s.tickets.CheckAttach(r.Context(), a, id); err != nil {
		return err
	}
	httpx.AllowSlowTransfer(w, r, true, s.log)
	r.Body = http.MaxBytesReader(w, r.Body, maxUploadBody)
	part, err := httpx.FilePart(r)
	if err != nil {
		return uploadError(err)
	}
	src := bufio.NewReaderSize(part, ticketing.SniffLen)
	head, err := src.Peek(ticketing.SniffLen)
	if err != nil && !errors.Is(err, io.EOF) {
		return uploadError(errs.Wrap(errs.Invalid, err, "could not read the upload"))
	}
	contentType, err := ticketing.SniffAttachmentType(head)
	if err != nil {
		return err
	}
	blob, err := s.files.Put(r.Context(), src, ticketing.MaxAttachmentSize)
	if err != nil {
		return uploadError(err)
	}
	// The client going away now must not leave a recorded attachment whose
	// file is removed, nor a file nobody recorded.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), httpx.RecordTimeout)
	defer cancel()
	att, err := s.tickets.Attach(ctx, a, id, part.FileName(), contentType,
		ticketing.StoredFile{Key: blob.Key, Size: blob.Size, SHA256: blob.SHA256})
	if err != nil {
		if rmErr := s.files.Remove(blob.Key); rmErr != nil {
			s.log.ErrorContext(ctx, "remove the file of an unrecorded attachment", "key", blob.Key, "err", rmErr)
		}
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/tickets/%d/attachments/%d", id, att.ID))
	httpx.WriteJSON(w, http.StatusCreated, viewAttachment(*att, s.tickets.Location()))
	return nil
}

// uploadError turns running past the request body's limit into too_large.
func uploadError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return errs.E(errs.TooLarge, "an upload may carry one file of at most %d bytes", ticketing.MaxAttachmentSize)
	}
	return err
}

func (s *Server) listAttachments(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	id, err := s.ticketID(r, a)
	if err != nil {
		return err
	}
	as, err := s.tickets.Attachments(r.Context(), a, id)
	if err != nil {
		return err
	}
	out := make([]attachmentView, len(as))
	for i, at := range as {
		out[i] = viewAttachment(at, s.tickets.Location())
	}
	httpx.WriteJSON(w, http.StatusOK, page[attachmentView]{Items: out})
	return nil
}

// downloadAttachment sends an attachment's content as a download that
// browsers neither sniff nor render in the console's origin; ranges and
// conditional requests are served by http.ServeContent.
func (s *Server) downloadAttachment(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	id, err := s.ticketID(r, a)
	if err != nil {
		return err
	}
	aid, err := strconv.ParseInt(r.PathValue("aid"), 10, 64)
	if err != nil || aid <= 0 {
		return errs.E(errs.NotFound, "no attachment %q", r.PathValue("aid"))
	}
	att, err := s.tickets.Attachment(r.Context(), a, id, aid)
	if err != nil {
		return err
	}
	f, err := s.files.Open(att.StorageKey)
	if err != nil {
		return errs.Wrap(errs.Internal, err, "attachment %d has no stored file", att.ID)
	}
	defer func() {
		if err := f.Close(); err != nil {
			s.log.WarnContext(r.Context(), "close attachment file", "attachment", att.ID, "err", err)
		}
	}()
	httpx.ServeStored(w, r, s.log, f, httpx.Stored{ContentType: att.ContentType, Disposition: httpx.ContentDisposition(att.Name),
		SHA256: att.SHA256, ModTime: att.CreatedAt})
	return nil
}

package agentui

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/ticketing"
)

// maxUploadBody bounds an upload request: one file of the largest size
// allowed plus the multipart framing around it. The file itself is
// measured exactly while it is stored.
const maxUploadBody = ticketing.MaxAttachmentSize + 64<<10

// maxFormParts bounds the form fields read while looking for "file".
const maxFormParts = 10

// transferTimeout replaces the server's read and write timeouts for one
// upload or download, so that 10 MiB over a slow mobile link can finish.
const transferTimeout = 10 * time.Minute

// recordTimeout bounds recording an uploaded file in the database.
const recordTimeout = 30 * time.Second

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
	s.allowSlowTransfer(w, r, true)
	r.Body = http.MaxBytesReader(w, r.Body, maxUploadBody)
	part, err := filePart(r)
	if err != nil {
		return err
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
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), recordTimeout)
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
	writeJSON(w, http.StatusCreated, viewAttachment(*att, s.tickets.Location()))
	return nil
}

// filePart returns the form's "file" part, skipping a few other fields
// before it. Errors: invalid, too_large.
func filePart(r *http.Request) (*multipart.Part, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, errs.E(errs.Invalid, "the body must be multipart/form-data with the file in a field named file")
	}
	for range maxFormParts {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, uploadError(errs.Wrap(errs.Invalid, err, "malformed multipart body"))
		}
		if p.FormName() == "file" {
			return p, nil
		}
		if err := p.Close(); err != nil {
			return nil, uploadError(errs.Wrap(errs.Invalid, err, "malformed multipart body"))
		}
	}
	return nil, errs.E(errs.Invalid, "the form has no field named file")
}

// uploadError turns running past the request body's limit into too_large.
func uploadError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return errs.E(errs.TooLarge, "an upload may carry one file of at most %d bytes", ticketing.MaxAttachmentSize)
	}
	return err
}

// allowSlowTransfer lifts the server's read (for uploads) and write
// timeouts for this request to transferTimeout.
func (s *Server) allowSlowTransfer(w http.ResponseWriter, r *http.Request, read bool) {
	rc := http.NewResponseController(w)
	deadline := time.Now().Add(transferTimeout)
	var err error
	if read {
		err = rc.SetReadDeadline(deadline)
	}
	if err == nil {
		err = rc.SetWriteDeadline(deadline)
	}
	if err != nil && !errors.Is(err, http.ErrNotSupported) {
		s.log.WarnContext(r.Context(), "could not extend the connection's deadline", "err", err)
	}
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
	writeJSON(w, http.StatusOK, page[attachmentView]{Items: out})
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
	h := w.Header()
	h.Set("Content-Type", att.ContentType)
	h.Set("Content-Disposition", contentDisposition(att.Name))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox")
	h.Set("ETag", `"`+att.SHA256+`"`)
	s.allowSlowTransfer(w, r, false)
	http.ServeContent(w, r, "", att.CreatedAt, f)
	return nil
}

// contentDisposition makes an attachment header for name (RFC 6266): an
// ASCII-only filename for old clients and the exact UTF-8 name as
// filename* (RFC 5987), so that 整改照片.jpg downloads under its own name.
func contentDisposition(name string) string {
	var ascii, ext strings.Builder
	for _, r := range name {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '%' {
			ascii.WriteByte('_')
		} else {
			ascii.WriteRune(r)
		}
	}
	for _, b := range []byte(name) {
		if isAttrChar(b) {
			ext.WriteByte(b)
		} else {
			fmt.Fprintf(&ext, "%%%02X", b)
		}
	}
	return `attachment; filename="` + ascii.String() + `"; filename*=UTF-8''` + ext.String()
}

// isAttrChar reports whether b may appear unencoded in an RFC 5987 value.
func isAttrChar(b byte) bool {
	switch {
	case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		return true
	}
	return strings.IndexByte("!#$&+-.^_`|~", b) >= 0
}

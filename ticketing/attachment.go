package ticketing

import (
	"bytes"
	"context"
	"path"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/errs"
)

// Attachment is a file attached to a ticket: a photo of the fixed problem,
// a PDF letter. The content lives in a blob store under StorageKey.
type Attachment struct {
	ID           int64
	TicketID     int64
	Name         string // cleaned file name, for display and download
	ContentType  string // sniffed from the content, one of AttachmentTypes
	Size         int64
	SHA256       string // hex digest of the content
	StorageKey   string // the blob's key in the file store; never shown
	UploadedBy   int64  // user ID; 0 for the system
	UploaderName string
	// UploaderDisplayName is the account's display name, read with the
	// attachment ("" right after an upload).
	UploaderDisplayName string
	UploaderRole        string
	UploaderDepartment  string
	CreatedAt           time.Time
}

// StoredFile is what the file store reports about a stored blob.
type StoredFile struct {
	Key    string
	Size   int64
	SHA256 string
}

// MaxAttachmentSize bounds one attached file: 10 MiB.
const MaxAttachmentSize = 10 << 20

// A ticket holds at most MaxAttachmentsPerTicket files of together at most
// MaxAttachmentBytesPerTicket, so that one ticket cannot fill the disk.
const (
	MaxAttachmentsPerTicket     = 20
	MaxAttachmentBytesPerTicket = 100 << 20
)

// AttachmentTotals is what a ticket's attachments add up to.
type AttachmentTotals struct {
	Count int
	Bytes int64
}

// room checks that a file of size still fits the ticket.
// Errors: conflict (too many files), too_large (too many bytes).
func (h AttachmentTotals) room(size int64) error {
	if h.Count >= MaxAttachmentsPerTicket {
		return errs.E(errs.Conflict, "a ticket holds at most %d attachments", MaxAttachmentsPerTicket)
	}
	if h.Bytes+size > MaxAttachmentBytesPerTicket {
		return errs.E(errs.TooLarge, "a ticket's attachments may add up to at most %d MiB", MaxAttachmentBytesPerTicket>>20)
	}
	return nil
}

// MaxAttachmentRefs bounds how many attachments one reply or note names.
const MaxAttachmentRefs = 20

// maxFileNameRunes bounds an attachment's name.
const maxFileNameRunes = 200

// SniffLen is how many leading bytes SniffAttachmentType needs at most.
const SniffLen = 512

// attachmentKinds are the accepted types: their magic numbers and the file
// name extensions that fit them (the first is added when none fits).
var attachmentKinds = []struct {
	contentType string
	magic       func(head []byte) bool
	exts        []string
}{
	{"image/jpeg", prefix("\xFF\xD8\xFF"), []string{".jpg", ".jpeg", ".jpe", ".jfif"}},
	{"image/png", prefix("\x89PNG\r\n\x1A\n"), []string{".png"}},
	{"image/gif", func(h []byte) bool { return prefix("GIF87a")(h) || prefix("GIF89a")(h) }, []string{".gif"}},
	// RIFF, a 4-byte length, WEBP, then the first chunk: VP8 , VP8L or VP8X.
	{"image/webp", func(h []byte) bool {
		return len(h) >= 15 && prefix("RIFF")(h) && bytes.HasPrefix(h[8:], []byte("WEBPVP8"))
	}, []string{".webp"}},
	{"application/pdf", prefix("%PDF-"), []string{".pdf"}},
}

func prefix(p string) func([]byte) bool {
	return func(h []byte) bool { return bytes.HasPrefix(h, []byte(p)) }
}

// AttachmentTypes lists the accepted content types.
var AttachmentTypes = func() []string {
	out := make([]string, len(attachmentKinds))
	for i, k := range attachmentKinds {
		out[i] = k.contentType
	}
	return out
}()

// SniffAttachmentType returns the content type of a file from its first
// bytes (up to SniffLen), whatever its name or declared type says: the
// magic numbers of JPEG, PNG, GIF, WebP and PDF, the signatures
// http.DetectContentType also uses. Errors: invalid (empty, or any other type).
func SniffAttachmentType(head []byte) (string, error) {
	if len(head) == 0 {
		return "", errs.E(errs.Invalid, "the file is empty")
	}
	for _, k := range attachmentKinds {
		if k.magic(head) {
			return k.contentType, nil
		}
	}
	return "", errs.E(errs.Invalid, "only JPEG, PNG, WebP or GIF images and PDF documents may be attached; the content of this file is none of them")
}

// CleanFileName makes a client's file name safe to store and show: only the
// last path element (after / or \), without control, formatting (such as
// right-to-left overrides) or invalid characters, without leading and
// trailing dots and spaces, at most 200 characters (keeping the extension).
// It returns "attachment" when nothing is left.
func CleanFileName(name string) string {
	name = strings.ToValidUTF8(name, "")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError ||
			unicode.In(r, unicode.Co, unicode.Cs) || r == '\u2028' || r == '\u2029' {
			return -1
		}
		if unicode.IsSpace(r) {
			return ' '
		}
		return r
	}, name)
	name = strings.Trim(name, ". ")
	if name == "" {
		return "attachment"
	}
	return truncateName(name, maxFileNameRunes)
}

// truncateName shortens name to n runes, keeping a short extension.
func truncateName(name string, n int) string {
	if utf8.RuneCountInString(name) <= n {
		return name
	}
	ext := path.Ext(name)
	if utf8.RuneCountInString(ext) > 16 {
		ext = ""
	}
	stem := []rune(strings.TrimSuffix(name, ext))
	stem = stem[:n-utf8.RuneCountInString(ext)]
	return strings.TrimRight(string(stem), ". ") + ext
}

// AttachmentName is the stored name of an upload: CleanFileName(name), with
// the usual extension of contentType appended when its extension does not
// fit, so that a saved download opens as what it is (a PNG named
// "report.html" becomes "report.html.png").
func AttachmentName(name, contentType string) string {
	name = CleanFileName(name)
	for _, k := range attachmentKinds {
		if k.contentType != contentType {
			continue
		}
		if slices.Contains(k.exts, strings.ToLower(path.Ext(name))) {
			return name
		}
		ext := k.exts[0]
		return truncateName(name, maxFileNameRunes-len(ext)) + ext
	}
	return name
}

// mayAttach returns nil when the actor may attach files to t: anyone who
// can see the ticket (staff; the lead or a supporting department), unless
// the ticket is merged or rejected. Closed tickets still take attachments,
// such as a department's photo of the finished work.
// Errors: not_found, forbidden, conflict.
func mayAttach(actor auth.Actor, t *Ticket) error {
	if err := visible(actor, t); err != nil {
		return err
	}
	if t.Status == StatusMerged || t.Status == StatusRejected {
		return errs.E(errs.Conflict, "files cannot be attached to a ticket that is %s", t.Status)
	}
	return nil
}

// CheckAttach tells whether the actor may attach a file to the ticket now,
// so that the edge refuses before storing any content. Attach checks again.
// Errors: not_found, forbidden, conflict (also when the ticket holds the
// most files it may), too_large.
func (s *Service) CheckAttach(ctx context.Context, actor auth.Actor, ticketID int64) error {
	t, err := s.store.Ticket(ctx, ticketID)
	if err != nil {
		return sameNotFound(err, ticketID)
	}
	if err := mayAttach(actor, t); err != nil {
		return err
	}
	as, err := s.store.Attachments(ctx, ticketID)
	if err != nil {
		return err
	}
	held := AttachmentTotals{Count: len(as)}
	for _, a := range as {
		held.Bytes += a.Size
	}
	return held.room(1)
}

// TextType is the type of the text files the hotline itself attaches
// (the transcript of the chat a ticket was made from); uploads cannot
// have it, since SniffAttachmentType never answers it.
const TextType = "text/plain; charset=utf-8"

// VoicemailType is the type of a voicemail's recording the IVR attaches
// (8 kHz mono PCM WAV); uploads cannot have it either.
const VoicemailType = "audio/wav"

// validate checks what the file store reported and the sniffed type.
func (f StoredFile) validate(contentType string) error {
	switch {
	case !slices.Contains(AttachmentTypes, contentType) && contentType != TextType && contentType != VoicemailType:
		return errs.E(errs.Invalid, "content type %q may not be attached", contentType)
	case f.Size <= 0:
		return errs.E(errs.Invalid, "the file is empty")
	case f.Size > MaxAttachmentSize:
		return errs.E(errs.TooLarge, "the file is larger than %d bytes", MaxAttachmentSize)
	case f.Key == "" || len(f.SHA256) != 64:
		return errs.E(errs.Internal, "stored file without key or digest")
	}
	return nil
}

// Attach records a stored file as an attachment of the ticket, with an
// "attach" event in the ticket's history, in one transaction that holds the
// ticket's lock. name is the client's file name (cleaned here) and
// contentType the sniffed type. Errors: not_found, forbidden, conflict
// (merged or rejected ticket), invalid, too_large.
func (s *Service) Attach(ctx context.Context, actor auth.Actor, ticketID int64, name, contentType string, f StoredFile) (*Attachment, error) {
	if err := f.validate(contentType); err != nil {
		return nil, err
	}
	now := s.now()
	a := &Attachment{TicketID: ticketID, Name: AttachmentName(name, contentType), ContentType: contentType,
		Size: f.Size, SHA256: f.SHA256, StorageKey: f.Key, UploadedBy: actor.UserID,
		UploaderName: actor.Username, UploaderRole: string(actor.Role), UploaderDepartment: actor.Department,
		CreatedAt: now}
	err := s.store.AddAttachment(ctx, a, func(t *Ticket, a *Attachment, held AttachmentTotals) (Event, error) {
		if err := mayAttach(actor, t); err != nil {
			return Event{}, err
		}
		if err := held.room(a.Size); err != nil {
			return Event{}, err
		}
		t.UpdatedAt = now
		t.Version++
		return newEvent(now, actor, t.ID, "attach", t.Status, t.Status, map[string]any{
			"attachment_id": a.ID, "name": a.Name, "content_type": a.ContentType, "size": a.Size}), nil
	})
	if err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "ticket attachment", "ticket", ticketID, "attachment", a.ID,
		"content_type", a.ContentType, "size", a.Size, "user", actor.Username)
	return a, nil
}

// Attachments lists the attachments of a ticket the actor may see, oldest
// first; department users get phone and ID numbers in file names masked.
// Errors: not_found.
func (s *Service) Attachments(ctx context.Context, actor auth.Actor, ticketID int64) ([]Attachment, error) {
	if _, err := s.Get(ctx, actor, ticketID); err != nil {
		return nil, err
	}
	as, err := s.store.Attachments(ctx, ticketID)
	if err != nil || actor.IsStaff() {
		return as, err
	}
	for i := range as {
		as[i].Name = MaskText(as[i].Name)
	}
	return as, nil
}

// Attachment returns one attachment of a ticket the actor may see, for
// download. Errors: not_found (also when it belongs to another ticket).
func (s *Service) Attachment(ctx context.Context, actor auth.Actor, ticketID, attachmentID int64) (Attachment, error) {
	if _, err := s.Get(ctx, actor, ticketID); err != nil {
		return Attachment{}, err
	}
	a, err := s.store.Attachment(ctx, attachmentID)
	if errs.Is(err, errs.NotFound) || (err == nil && a.TicketID != ticketID) {
		return Attachment{}, errs.E(errs.NotFound, "ticket %d has no attachment %d", ticketID, attachmentID)
	}
	if err == nil && !actor.IsStaff() {
		a.Name = MaskText(a.Name)
	}
	return a, err
}

// attachmentRefs checks the attachments a reply or note names before the
// action runs: each must be an attachment of the same ticket. It returns
// the IDs without repeats, or nil for actions that do not take attachments.
// The ticket is checked as the action will check it (visibility, role,
// status) first, so that the answer does not reveal another ticket's files.
// Errors: invalid, and those of Authorize and visible.
func (s *Service) attachmentRefs(ctx context.Context, actor auth.Actor, id int64, a Action, ids []int64) ([]int64, error) {
	if len(ids) == 0 || (a != ActionReply && a != ActionNote) {
		return nil, nil
	}
	ids, err := normalizeRefs(ids)
	if err != nil {
		return nil, err
	}
	t, err := s.store.Ticket(ctx, id)
	if err != nil {
		return nil, sameNotFound(err, id)
	}
	if err := visible(actor, t); err != nil {
		return nil, err
	}
	if err := Authorize(actor, t, a); err != nil {
		return nil, err
	}
	own, err := s.store.Attachments(ctx, id)
	if err != nil {
		return nil, err
	}
	for _, ref := range ids {
		if !slices.ContainsFunc(own, func(at Attachment) bool { return at.ID == ref }) {
			return nil, errs.E(errs.Invalid, "attachment %d is not an attachment of ticket %d", ref, id)
		}
	}
	return ids, nil
}

// normalizeRefs drops repeated attachment IDs and checks their number.
// Errors: invalid.
func normalizeRefs(ids []int64) ([]int64, error) {
	if len(ids) > MaxAttachmentRefs {
		return nil, errs.E(errs.Invalid, "at most %d attachments may be referenced", MaxAttachmentRefs)
	}
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if id <= 0 {
			return nil, errs.E(errs.Invalid, "attachments must be attachment IDs, not %d", id)
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, nil
}

// withAttachments adds the attachments a request names to an event
// payload, when there are any. Errors: invalid.
func withAttachments(payload map[string]any, req Request) (map[string]any, error) {
	if len(req.Attachments) == 0 {
		return payload, nil
	}
	ids, err := normalizeRefs(req.Attachments)
	if err != nil {
		return nil, err
	}
	payload["attachments"] = ids
	return payload, nil
}

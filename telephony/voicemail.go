package telephony

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/files"
	"github.com/open12345/hotline/ticketing"
)

// MaxVoicemail is the longest voicemail a caller may leave, in seconds.
const MaxVoicemail = 120

// Voicemail is a message a caller left (电话留言): the recording of the
// caller alone, a mono WAV.
type Voicemail struct {
	CallID     string // the call's id; the ticket is linked to it
	Caller     string // the calling number
	Queue      string // the queue the caller was in (or would have been): the ticket's kind
	Path       string // the recording
	Seconds    int
	AfterHours bool // left because nobody answers at this hour
}

// VoicemailBox files voicemails (Voicemails).
type VoicemailBox interface {
	// Leave files v and returns the ticket's number. The recording stays
	// where it is: the call's record names it too.
	Leave(ctx context.Context, v Voicemail) (number string, err error)
}

// VoicemailTickets is what filing a voicemail needs of tickets
// (ticketing.Service).
type VoicemailTickets interface {
	CreateOnce(ctx context.Context, actor auth.Actor, n ticketing.NewTicket, key string) (*ticketing.Ticket, bool, error)
	Attach(ctx context.Context, actor auth.Actor, ticketID int64, name, contentType string, f ticketing.StoredFile) (*ticketing.Attachment, error)
}

// Blobs stores attachments' content (files.Store).
type Blobs interface {
	Put(ctx context.Context, r io.Reader, max int64) (files.Blob, error)
	Remove(key string) error
}

// ivr is who files voicemails: the IVR, with an agent's rights to
// record tickets and attach files.
var ivr = auth.Actor{Username: "ivr", Role: auth.RoleAgent}

// Voicemails turns voicemails into tickets: one per call, of the kind
// the caller's menu choice named (a consultation otherwise), channel
// phone, the recording attached and the call linked. The citizen hears
// the ticket's number by the SMS every accepted ticket sends to a mobile
// phone.
type Voicemails struct {
	tickets VoicemailTickets
	blobs   Blobs
	calls   *Calls
	log     *slog.Logger
}

// NewVoicemails returns the voicemail box over tickets, the attachments'
// blobs and the call records (to link the call; nil: not linked).
func NewVoicemails(tickets VoicemailTickets, blobs Blobs, calls *Calls, log *slog.Logger) *Voicemails {
	return &Voicemails{tickets: tickets, blobs: blobs, calls: calls, log: log}
}

// Leave files v as a ticket; a second Leave of the same call answers the
// same ticket. Errors: invalid, those of the ticket and file stores.
func (b *Voicemails) Leave(ctx context.Context, v Voicemail) (string, error) {
	kind, err := ticketing.ParseKind(v.Queue)
	if err != nil {
		kind = ticketing.KindConsultation
	}
	phone, err := ticketing.NormalizePhone(v.Caller)
	if err != nil {
		phone = "" // withheld or not a number: the ticket has no phone to call back
	}
	why := "市民在排队等待时选择留言"
	if v.AfterHours {
		why = "非人工服务时间来电留言"
	}
	n := ticketing.NewTicket{Kind: kind, Channel: ticketing.ChannelPhone,
		Title:   fmt.Sprintf("电话留言（%d秒）", v.Seconds),
		Content: fmt.Sprintf("%s，留言录音见附件（%d秒），请收听后补充诉求内容。", why, v.Seconds),
		Citizen: ticketing.Citizen{Phone: phone}, CallID: v.CallID}
	t, replayed, err := b.tickets.CreateOnce(ctx, ivr, n, "voicemail:"+v.CallID)
	if err != nil {
		return "", fmt.Errorf("file the voicemail of call %s: %w", v.CallID, err)
	}
	if replayed {
		return t.Number, nil
	}
	var linkErr error
	if id, err := strconv.ParseInt(v.CallID, 10, 64); err == nil && b.calls != nil {
		if err := b.calls.LinkTicket(ctx, id, t.ID); err != nil {
			linkErr = fmt.Errorf("link call %s to ticket %s: %w", v.CallID, t.Number, err)
		}
	}
	if err := b.attach(ctx, t.ID, v); err != nil {
		return t.Number, errors.Join(linkErr, fmt.Errorf("attach the voicemail of call %s to ticket %s: %w", v.CallID, t.Number, err))
	}
	return t.Number, linkErr
}

// attach copies the recording into a ticket attachment; its blob is
// removed again when the ticket refuses it.
func (b *Voicemails) attach(ctx context.Context, ticketID int64, v Voicemail) error {
	f, err := os.Open(v.Path)
	if err != nil {
		return fmt.Errorf("open the recording: %w", err)
	}
	blob, err := b.blobs.Put(ctx, f, ticketing.MaxAttachmentSize)
	if err = errors.Join(err, f.Close()); err != nil {
		return fmt.Errorf("store the recording: %w", err)
	}
	_, err = b.tickets.Attach(ctx, ivr, ticketID, "电话留言-"+v.CallID+".wav", ticketing.VoicemailType,
		ticketing.StoredFile{Key: blob.Key, Size: blob.Size, SHA256: blob.SHA256})
	if err != nil {
		if rmErr := b.blobs.Remove(blob.Key); rmErr != nil {
			b.log.ErrorContext(ctx, "remove the file of an unrecorded voicemail", "key", blob.Key, "err", rmErr)
		}
		return err
	}
	return nil
}

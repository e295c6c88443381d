package httpx

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"strings"
	"time"

	"github.com/open12345/hotline/errs"
)

// TransferTimeout replaces the server's read and write timeouts for one
// upload or download, so that 10 MiB over a slow mobile link can finish.
const TransferTimeout = 10 * time.Minute

// RecordTimeout bounds recording an uploaded file in the database.
const RecordTimeout = 30 * time.Second

// maxFormParts bounds the form fields read while looking for "file".
const maxFormParts = 10

// AllowSlowTransfer lifts the server's read (for uploads) and write
// timeouts for this request to TransferTimeout.
func AllowSlowTransfer(w http.ResponseWriter, r *http.Request, read bool, log *slog.Logger) {
	rc := http.NewResponseController(w)
	deadline := time.Now().Add(TransferTimeout)
	var err error
	if read {
		err = rc.SetReadDeadline(deadline)
	}
	if err == nil {
		err = rc.SetWriteDeadline(deadline)
	}
	if err != nil && !errors.Is(err, http.ErrNotSupported) {
		log.WarnContext(r.Context(), "could not extend the connection's deadline", "err", err)
	}
}

// Stored is what a stored file is served as: its type, its
// Content-Disposition, its SHA-256 (the ETag) and when it was stored.
type Stored struct {
	ContentType, Disposition, SHA256 string
	ModTime                          time.Time
}

// ServeStored sends a stored file's content as its own type, never
// sniffed, in a sandbox should it be opened as a page; ranges and
// conditional requests are served by http.ServeContent, over a slow link
// too.
func ServeStored(w http.ResponseWriter, r *http.Request, log *slog.Logger, content io.ReadSeeker, f Stored) {
	h := w.Header()
	h.Set("Content-Type", f.ContentType)
	h.Set("Content-Disposition", f.Disposition)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox")
	h.Set("ETag", `"`+f.SHA256+`"`)
	AllowSlowTransfer(w, r, false, log)
	http.ServeContent(w, r, "", f.ModTime, content)
}

// FilePart returns the form's "file" part, skipping a few other fields
// before it. A body past its http.MaxBytesReader limit is an invalid
// error wrapping *http.MaxBytesError, for the caller to name its limit.
// Errors: invalid.
func FilePart(r *http.Request) (*multipart.Part, error) {
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
			return nil, errs.Wrap(errs.Invalid, err, "malformed multipart body")
		}
		if p.FormName() == "file" {
			return p, nil
		}
		if err := p.Close(); err != nil {
			return nil, errs.Wrap(errs.Invalid, err, "malformed multipart body")
		}
	}
	return nil, errs.E(errs.Invalid, "the form has no field named file")
}

// ContentDisposition makes an attachment header for name (RFC 6266): an
// ASCII-only filename for old clients and the exact UTF-8 name as
// filename* (RFC 5987), so that 整改照片.jpg downloads under its own name.
func ContentDisposition(name string) string {
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

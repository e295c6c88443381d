package agentui_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io/fs"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// attachment is the JSON form of an attachment as the tests read it.
type attachment struct {
	ID          int64
	TicketID    int64 `json:"ticket_id"`
	Name        string
	ContentType string `json:"content_type"`
	Size        int64
	SHA256      string
	UploadedBy  struct{ Username, Role, Department string } `json:"uploaded_by"`
	CreatedAt   time.Time                                   `json:"created_at"`
}

func testImage() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for x := range 64 {
		for y := range 48 {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 5), 128, 255})
		}
	}
	return img
}

func jpegFile(t *testing.T) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, testImage(), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func pngFile(t *testing.T) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, testImage()); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func pdfFile() []byte {
	return []byte("%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
}

// multipartBody is a form with one file part in field, as browsers send it.
func multipartBody(t *testing.T, field, name, declared string, content []byte) ([]byte, string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	h := textproto.MIMEHeader{}
	esc := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"; filename="%s"`, esc.Replace(field), esc.Replace(name)))
	h.Set("Content-Type", declared)
	w, err := mw.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(content); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), mw.FormDataContentType()
}

func (e *env) upload(user string, ticketID int64, name, declared string, content []byte) response {
	e.t.Helper()
	body, ct := multipartBody(e.t, "file", name, declared, content)
	return e.callWith(user, "POST", fmt.Sprintf("/api/v1/tickets/%d/attachments", ticketID), body, ct)
}

func (e *env) mustUpload(user string, ticketID int64, name string, content []byte) attachment {
	e.t.Helper()
	var a attachment
	e.must(e.upload(user, ticketID, name, "application/octet-stream", content), 201, &a)
	return a
}

// download fetches an attachment with extra request headers.
func (e *env) download(user string, ticketID, id int64, header map[string]string) response {
	e.t.Helper()
	req, err := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/tickets/%d/attachments/%d", e.srv.URL, ticketID, id), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.tokens[user])
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return e.do(req)
}

// stored returns how many attachment rows and files (temporary ones too) exist.
func (e *env) stored() (rows, files int) {
	e.t.Helper()
	if err := e.db.Pool.QueryRow(e.t.Context(), `SELECT count(*) FROM attachments`).Scan(&rows); err != nil {
		e.t.Fatal(err)
	}
	return rows, len(e.storedFiles())
}

// storedFiles lists the files under the attachment directory, relative to it.
func (e *env) storedFiles() []string {
	e.t.Helper()
	var out []string
	err := filepath.WalkDir(e.files, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(e.files, p)
		out = append(out, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// dispatched is a new ticket dispatched to rsj (and supported by co).
func (e *env) dispatched(co ...string) ticket {
	e.t.Helper()
	t := e.newTicket("complaint", nil)
	if co == nil {
		co = []string{}
	}
	return e.mustAct("agent1", t.ID, "dispatch", map[string]any{"department": "rsj", "co_departments": co})
}

func TestAttachments_UploadAndDownload(t *testing.T) {
	e := newEnv(t)
	tk := e.dispatched()
	files := []struct {
		user, name, contentType string
		content                 []byte
	}{
		{"agent1", "整改前.jpg", "image/jpeg", jpegFile(t)},
		{"dept-rsj", "整改后 照片.png", "image/png", pngFile(t)},
		{"dept-rsj", "关于噪音投诉的回复函.pdf", "application/pdf", pdfFile()},
	}
	var ids []int64
	for _, f := range files {
		a := e.mustUpload(f.user, tk.ID, f.name, f.content)
		sum := sha256.Sum256(f.content)
		if a.ID == 0 || a.TicketID != tk.ID || a.Name != f.name || a.ContentType != f.contentType ||
			a.Size != int64(len(f.content)) || a.SHA256 != hex.EncodeToString(sum[:]) ||
			a.UploadedBy.Username != f.user || a.CreatedAt.IsZero() {
			t.Fatalf("uploaded %s as %+v", f.name, a)
		}
		ids = append(ids, a.ID)
		for _, reader := range []string{"admin", "agent2", "dept-rsj"} {
			r := e.download(reader, tk.ID, a.ID, nil)
			if r.Status != 200 || !bytes.Equal(r.Body, f.content) {
				t.Fatalf("%s downloading %s: status %d, %d bytes, want %d", reader, f.name, r.Status, len(r.Body), len(f.content))
			}
			checkDownloadHeaders(t, r, f.name, f.contentType)
		}
	}
	var list struct{ Items []attachment }
	e.must(e.call("dept-rsj", "GET", fmt.Sprintf("/api/v1/tickets/%d/attachments", tk.ID), nil), 200, &list)
	if len(list.Items) != 3 || list.Items[0].ID != ids[0] || list.Items[2].Name != files[2].name {
		t.Fatalf("list: %+v", list.Items)
	}
	var attached []event
	for _, ev := range e.events(tk.ID) {
		if ev.Action == "attach" {
			attached = append(attached, ev)
		}
	}
	if len(attached) != 3 || attached[1].Payload["attachment_id"] != float64(ids[1]) ||
		attached[1].Payload["name"] != files[1].name || attached[1].Payload["content_type"] != "image/png" ||
		attached[1].Payload["size"] != float64(len(files[1].content)) || attached[1].Actor.Username != "dept-rsj" {
		t.Fatalf("attach events: %+v", attached)
	}
	if got := e.get("agent1", tk.ID); got.Status != "dispatched" || got.Version != tk.Version+3 {
		t.Fatalf("ticket after three attachments: status %s, version %d", got.Status, got.Version)
	}
}

func checkDownloadHeaders(t *testing.T, r response, name, contentType string) {
	t.Helper()
	if got := r.Header.Get("Content-Type"); got != contentType {
		t.Fatalf("Content-Type %q, want %q", got, contentType)
	}
	cd := r.Header.Get("Content-Disposition")
	disp, params, err := mime.ParseMediaType(cd) // decodes filename* (RFC 2231/5987)
	if err != nil || disp != "attachment" || params["filename"] != name || !strings.Contains(cd, "filename*=UTF-8''") {
		t.Fatalf("Content-Disposition %q: %s %v, %v", cd, disp, params, err)
	}
	for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox", "Accept-Ranges": "bytes"} {
		if got := r.Header.Get(h); got != want {
			t.Fatalf("%s: %q, want %q", h, got, want)
		}
	}
}

func TestAttachments_DownloadServesRangesAndConditionalRequests(t *testing.T) {
	e := newEnv(t)
	tk := e.dispatched()
	content := pngFile(t)
	a := e.mustUpload("agent1", tk.ID, "photo.png", content)
	r := e.download("dept-rsj", tk.ID, a.ID, map[string]string{"Range": "bytes=8-23"})
	if r.Status != 206 || !bytes.Equal(r.Body, content[8:24]) {
		t.Fatalf("range: status %d, body %q", r.Status, r.Body)
	}
	etag := e.download("agent1", tk.ID, a.ID, nil).Header.Get("ETag")
	if r := e.download("agent1", tk.ID, a.ID, map[string]string{"If-None-Match": etag}); etag == "" || r.Status != 304 {
		t.Fatalf("If-None-Match %q: status %d", etag, r.Status)
	}
}

func TestAttachments_SupportingDepartmentMayAttach(t *testing.T) {
	e := newEnv(t)
	tk := e.dispatched("cgj")
	a := e.mustUpload("dept-cgj", tk.ID, "协办现场.jpg", jpegFile(t))
	if r := e.download("dept-rsj", tk.ID, a.ID, nil); r.Status != 200 {
		t.Fatalf("lead department downloading: %d", r.Status)
	}
}

func TestAttachments_OtherDepartmentGets404(t *testing.T) {
	e := newEnv(t)
	tk := e.dispatched()
	a := e.mustUpload("agent1", tk.ID, "photo.jpg", jpegFile(t))
	rows, files := e.stored()
	list := fmt.Sprintf("/api/v1/tickets/%d/attachments", tk.ID)
	for name, r := range map[string]response{
		"Upload":   e.upload("dept-cgj", tk.ID, "x.jpg", "image/jpeg", jpegFile(t)),
		"List":     e.call("dept-cgj", "GET", list, nil),
		"Download": e.download("dept-cgj", tk.ID, a.ID, nil),
	} {
		if r.Status != 404 || e.errorCode(r) != "not_found" {
			t.Fatalf("%s by another department: %d %s", name, r.Status, r.Body)
		}
	}
	other := e.dispatched()
	for name, r := range map[string]response{
		"OfAnotherTicket":    e.download("agent1", other.ID, a.ID, nil),
		"Missing":            e.download("agent1", tk.ID, a.ID+100, nil),
		"MissingTicket":      e.download("agent1", 424242, a.ID, nil),
		"NonNumeric":         e.call("agent1", "GET", list+"/abc", nil),
		"UploadToNoTicket":   e.upload("agent1", 424242, "x.jpg", "image/jpeg", jpegFile(t)),
		"NegativeAttachment": e.call("agent1", "GET", list+"/-1", nil),
	} {
		if r.Status != 404 {
			t.Fatalf("%s: %d %s", name, r.Status, r.Body)
		}
	}
	if r, f := e.stored(); r != rows || f != files {
		t.Fatalf("refused uploads stored %d rows and %d files", r-rows, f-files)
	}
	if r := e.call("", "GET", list, nil); r.Status != 401 {
		t.Fatalf("without login: %d", r.Status)
	}
}

func TestAttachments_RefusedUploadsStoreNothing(t *testing.T) {
	e := newEnv(t)
	tk := e.dispatched()
	path := fmt.Sprintf("/api/v1/tickets/%d/attachments", tk.ID)
	tooLarge := append(pngFile(t), bytes.Repeat([]byte{0}, 10<<20)...)[:10<<20+1]
	noFile, noFileType := multipartBody(t, "photo", "a.png", "image/png", pngFile(t))
	whole, wholeType := multipartBody(t, "file", "a.png", "image/png", pngFile(t))
	cases := []struct {
		name   string
		send   func() response
		status int
		code   string
	}{
		{"HTMLClaimingPNG", func() response {
			return e.upload("dept-rsj", tk.ID, "photo.png", "image/png", []byte("<!DOCTYPE html><html><script>alert(document.cookie)</script></html>"))
		}, 400, "invalid"},
		{"ELFClaimingPNG", func() response {
			return e.upload("dept-rsj", tk.ID, "photo.png", "image/png", []byte("\x7FELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00>\x00"))
		}, 400, "invalid"},
		{"WindowsExeClaimingJPEG", func() response {
			return e.upload("agent1", tk.ID, "photo.jpg", "image/jpeg", append([]byte("MZ\x90\x00"), make([]byte, 2000)...))
		}, 400, "invalid"},
		{"SVG", func() response {
			return e.upload("agent1", tk.ID, "x.svg", "image/svg+xml", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`))
		}, 400, "invalid"},
		{"EmptyFile", func() response { return e.upload("agent1", tk.ID, "empty.png", "image/png", nil) }, 400, "invalid"},
		{"OneByteOverTenMiB", func() response { return e.upload("agent1", tk.ID, "big.png", "image/png", tooLarge) }, 413, "too_large"},
		{"MissingFileField", func() response { return e.callWith("agent1", "POST", path, noFile, noFileType) }, 400, "invalid"},
		{"NotMultipart", func() response {
			return e.callWith("agent1", "POST", path, []byte(`{"file":"iVBORw0KGgo="}`), "application/json")
		}, 400, "invalid"},
		{"NoBody", func() response { return e.callWith("agent1", "POST", path, nil, "") }, 400, "invalid"},
		{"TruncatedBody", func() response { return e.callWith("agent1", "POST", path, whole[:len(whole)-60], wholeType) }, 400, "invalid"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.t = t
			r := c.send()
			if r.Status != c.status || e.errorCode(r) != c.code {
				t.Fatalf("status %d, want %d %s: %.300s", r.Status, c.status, c.code, r.Body)
			}
			if rows, files := e.stored(); rows != 0 || files != 0 {
				t.Fatalf("stored %d rows and %d files: %v", rows, files, e.storedFiles())
			}
		})
	}
	e.t = t
	if evs := e.events(tk.ID); evs[len(evs)-1].Action != "dispatch" {
		t.Fatalf("refused uploads left an event: %+v", evs[len(evs)-1])
	}
}

func TestAttachments_ExactlyTenMiBIsAccepted(t *testing.T) {
	e := newEnv(t)
	tk := e.dispatched()
	content := append(pdfFile(), bytes.Repeat([]byte("0"), 10<<20)...)[:10<<20]
	a := e.mustUpload("dept-rsj", tk.ID, "扫描件.pdf", content)
	if a.Size != 10<<20 {
		t.Fatalf("size %d", a.Size)
	}
	if r := e.download("dept-rsj", tk.ID, a.ID, nil); !bytes.Equal(r.Body, content) {
		t.Fatalf("download: %d, %d bytes", r.Status, len(r.Body))
	}
}

var keyPath = regexp.MustCompile(`^[0-9a-f]{2}/[0-9a-f]{32}$`)

func TestAttachments_ClientNamesNeverReachTheFileSystem(t *testing.T) {
	e := newEnv(t)
	tk := e.dispatched()
	for _, c := range []struct{ sent, declared, stored string }{
		{"../../etc/passwd", "image/png", "passwd.png"},
		{`..\..\..\Windows\System32\evil.png`, "image/png", "evil.png"},
		{"photo\u202Egnp.exe", "image/png", "photognp.exe.png"},
		{"index.html", "text/html", "index.html.png"},
		{"..", "image/png", "attachment.png"},
	} {
		a := e.mustUpload("dept-rsj", tk.ID, c.sent, pngFile(t))
		if a.Name != c.stored || a.ContentType != "image/png" {
			t.Fatalf("sent %q (%s): stored as %q, %s", c.sent, c.declared, a.Name, a.ContentType)
		}
	}
	got := e.storedFiles()
	if len(got) != 5 {
		t.Fatalf("files: %v", got)
	}
	for _, p := range got {
		if !keyPath.MatchString(p) {
			t.Fatalf("stored under %q, not under a key", p)
		}
	}
}

func TestAttachments_TicketStatus(t *testing.T) {
	e := newEnv(t)
	closed := e.newTicket("consultation", nil)
	e.mustAct("agent1", closed.ID, "close_directly", map[string]any{"reply": "已答复"})
	e.mustUpload("agent1", closed.ID, "答复截图.png", pngFile(t))

	rejected := e.newTicket("complaint", nil)
	e.mustAct("agent1", rejected.ID, "reject", map[string]any{"reason": "无效来电"})
	merged := e.newTicket("complaint", nil)
	e.mustAct("agent1", merged.ID, "merge", map[string]any{"into": closed.ID})
	for _, id := range []int64{rejected.ID, merged.ID} {
		if r := e.upload("agent1", id, "x.png", "image/png", pngFile(t)); r.Status != 409 {
			t.Fatalf("upload to ticket %d: %d %s", id, r.Status, r.Body)
		}
	}
	if rows, files := e.stored(); rows != 1 || files != 1 {
		t.Fatalf("stored %d rows, %d files; want 1 and 1", rows, files)
	}
}

func TestAttachments_FailedRecordingRemovesTheFile(t *testing.T) {
	e := newEnv(t)
	tk := e.dispatched()
	if _, err := e.db.Pool.Exec(t.Context(), `ALTER TABLE attachments ADD CONSTRAINT refuse_all CHECK (false) NOT VALID`); err != nil {
		t.Fatal(err)
	}
	if r := e.upload("agent1", tk.ID, "photo.jpg", "image/jpeg", jpegFile(t)); r.Status/100 == 2 {
		t.Fatalf("upload succeeded although the row could not be written: %d", r.Status)
	}
	if rows, files := e.stored(); rows != 0 || files != 0 {
		t.Fatalf("left %d rows and files %v", rows, e.storedFiles())
	}
}
